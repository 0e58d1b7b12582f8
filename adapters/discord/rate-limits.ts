/**
 * Discord's rate limits, the way askdocs takes them (the why is in src/chat/rate-limit.ts):
 * `@discordjs/rest` waits out a short limit itself, as before; a limit longer than a brief wait,
 * on the routes an answer goes through, makes the call reject at once with a `RateLimitError`
 * instead of holding the answer (and "askdocs is thinking…") for the whole Retry-After. Each
 * answer then deals with its own refused call: live edits are held, the asker gets a plain
 * note, and if even the note was refused, it goes out once the limit has passed.
 *
 *   new REST({ rejectOnRateLimit: refuseLongRateLimit });
 *   const reach = new AnswerReach(logger);   // one per answer, kept by its transport
 *   followUpIfUnseen(transport, { signal, logger });   // after the answer was delivered
 */
import { type RateLimitData, RateLimitError } from 'discord.js';
import { BRIEF_WAIT_MS, rateLimitedText, rateLimitPassedText, retryWhenAllowed } from '../../src/chat/rate-limit.ts';
import type { Logger } from '../../src/logger.ts';
import { failureText } from './render.ts';
import type { DiscordTransport } from './transports.ts';

/**
 * Where a user waits on the call: messages, threads, typing (`/channels`), a command's reply and
 * follow-ups (`/webhooks`), its acknowledgement (`/interactions`). Elsewhere (logging in, reading
 * the application) nobody is waiting on an answer, and waiting is better than failing to start.
 */
const ANSWER_ROUTES = ['/channels/', '/webhooks/', '/interactions/'];
/** A refusal ending this much later than the ones before is a new limit (worth a log line). */
const NEW_LIMIT_MARGIN_MS = 1_000;
/** The note about a limit that has passed is tried this often at most (each time after the next Retry-After). */
const LATE_NOTE_ATTEMPTS = 3;

/** For `@discordjs/rest`'s `rejectOnRateLimit`: true (reject now) for a long limit on an answer's route. */
export function refuseLongRateLimit(limit: RateLimitData): boolean {
  return ANSWER_ROUTES.some((prefix) => limit.route.startsWith(prefix)) && waitMsOf(limit) > BRIEF_WAIT_MS;
}

/** How long `@discordjs/rest` would wait: the 429's Retry-After, or longer while its bucket (or the global limit) is still spent. */
function waitMsOf(limit: Pick<RateLimitData, 'retryAfter' | 'timeToReset'>): number {
  return Math.max(limit.retryAfter, limit.timeToReset);
}

/** For a call refused over a long rate limit: how long it asked to wait (ms); undefined for any other failure. */
export function discordRetryAfterMs(error: unknown): number | undefined {
  return error instanceof RateLimitError ? waitMsOf(error) : undefined;
}

/** The plain text for an answer that failed because Discord rate-limited it; undefined for other failures. */
export function discordFailureText(error: unknown): string | undefined {
  const retryAfterMs = discordRetryAfterMs(error);
  return retryAfterMs === undefined ? undefined : rateLimitedText('Discord', retryAfterMs);
}

/** What one answer's calls met: whether anything reached the asker, and until when Discord refused calls. */
export class AnswerReach {
  /** True once the answer shows something (a message; for a command, its reply no longer "thinking…"). */
  seen = false;
  #limitedUntil = 0;
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** True when a call of this answer was refused over a long rate limit. */
  get rateLimited(): boolean {
    return this.#limitedUntil > 0;
  }

  /** Milliseconds until that limit has passed; 0 once it has. */
  remainingMs(): number {
    return Math.max(0, this.#limitedUntil - Date.now());
  }

  /** Runs one call of the answer; `shows`: its success makes the answer show something (see `seen`). */
  async track<T>(call: () => Promise<T>, shows: boolean): Promise<T> {
    try {
      const result = await call();
      if (shows) this.seen = true;
      return result;
    } catch (error) {
      this.#noteLimit(error);
      throw error;
    }
  }

  #noteLimit(error: unknown): void {
    if (!(error instanceof RateLimitError)) return;
    const retryAfterMs = waitMsOf(error);
    const until = Date.now() + retryAfterMs;
    // Logged when new (later calls in the same spent bucket are refused until the same moment, give or
    // take timer drift); the route's `:token` is a placeholder, the URL (with the token) is not logged.
    if (until > this.#limitedUntil + NEW_LIMIT_MARGIN_MS) {
      const { route, method, global, scope } = error;
      this.#logger.warn({ route, method, retryAfterMs, global, scope }, 'Discord rate limit: too long to wait; the call was refused');
    }
    this.#limitedUntil = Math.max(this.#limitedUntil, until);
  }
}

/**
 * After an answer was delivered: when a long rate limit kept it from ever being shown (no message
 * at all, not even the plain note; for a command, a reply still "thinking…", whatever follow-up
 * went out below it), a plain note goes out once the limit has passed: posted, or edited into the
 * command's reply, which would otherwise say "thinking…" until its token expires. Not awaited by
 * the answer: shutdown must not wait minutes for it; `signal` drops it instead.
 */
export function followUpIfUnseen(transport: DiscordTransport, options: { signal: AbortSignal; logger: Logger }): void {
  const { reach } = transport;
  if (reach.seen || !reach.rateLimited) return;
  const { logger } = options;
  const waitMs = reach.remainingMs();
  logger.warn({ waitMs }, 'Discord rate limit: the answer was never shown; a note follows once the limit has passed');
  const note = { content: failureText(rateLimitPassedText('Discord')) };
  retryWhenAllowed(() => transport.post(note, 0), discordRetryAfterMs, {
    waitMs,
    attempts: LATE_NOTE_ATTEMPTS,
    signal: options.signal,
  }).then(
    () => logger.info('told the asker after the rate limit passed'),
    (error: unknown) =>
      options.signal.aborted
        ? logger.warn('the bot stopped before it could tell the asker about the rate limit')
        : logger.error({ err: error }, 'could not tell the asker after the rate limit passed'),
  );
}
