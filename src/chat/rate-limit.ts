/**
 * One rate-limited call must not hold up the others. A platform limits calls per method (Slack:
 * per workspace, chat.postMessage also per channel) and answers one call with "retry after N s";
 * a client that then pauses every call for N s freezes answers that were never limited. So the
 * platform client rejects a rate-limited call at once, and the delivery layer decides, per call,
 * what the user would rather have:
 *
 *   - a call whose result the user must see (the first message, the final answer, the sources,
 *     a failure note) is retried after the Retry-After while that is brief (`retryBriefly`);
 *     past `BRIEF_WAIT_MS` it fails at once, and the user gets a plain message instead;
 *   - a live update is skipped, and the next ones held until the Retry-After has passed
 *     (`RateLimitHold`): the text goes out with a later, larger update, or with the final one;
 *   - when even the plain message could not go out, it is made once the limit has passed
 *     (`retryWhenAllowed`), so no asker is left with nothing, or with "thinking…" for good.
 *
 *   const posted = await retryBriefly(() => transport.post(message, 0), transport.retryAfterMs);
 *   if (hold.remainingMs() > 0) return;   // a live update during the hold: skipped
 *   hold.hold(retryAfterMs);              // after a rate-limited live update
 *   view.fail(rateLimitedText('Discord', retryAfterMs));   // "… Please ask again in 2 minutes."
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { inMinutes } from '../plural.ts';

/**
 * The most a call waits out Retry-Afters in all before it gives up. Slack's per-channel limit
 * for chat.postMessage (about one a second, short bursts allowed) answers with 1–2 s, worth
 * waiting for: the answer is then a moment late, not missing. Its per-minute tiers answer with up
 * to a minute or more: a user watching nothing for that long is worse than a plain message now.
 */
export const BRIEF_WAIT_MS = 5_000;
/** A Retry-After of 0 must not turn into a tight loop. */
const MAX_ATTEMPTS = 4;

/** For a call the platform rate-limited: how long it asks to wait (ms); undefined for any other failure. */
export type RetryAfter = (error: unknown) => number | undefined;

/** `call`, retried after each brief Retry-After while `budgetMs` lasts; other failures and long waits are thrown at once. */
export async function retryBriefly<T>(call: () => Promise<T>, retryAfterMs: RetryAfter | undefined, budgetMs = BRIEF_WAIT_MS): Promise<T> {
  let left = budgetMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const wait = retryAfterMs?.(error);
      if (wait === undefined || wait > left || attempt >= MAX_ATTEMPTS) throw error;
      left -= wait;
      await sleep(wait);
    }
  }
}

/**
 * `call` once the platform's limit has passed (`waitMs` from now), again after each further
 * Retry-After, `attempts` times at most; other failures are thrown. Only for the last message an
 * asker must get (the plain note about the limit): late is better than nothing. The timers do not
 * keep the process alive, and `signal` (shutdown) drops the call.
 */
export async function retryWhenAllowed<T>(
  call: () => Promise<T>,
  retryAfterMs: RetryAfter,
  options: { waitMs: number; attempts?: number; signal?: AbortSignal },
): Promise<T> {
  let wait = options.waitMs;
  for (let attempt = 1; ; attempt += 1) {
    await sleep(wait, undefined, { signal: options.signal, ref: false });
    try {
      return await call();
    } catch (error) {
      const next = retryAfterMs(error);
      if (next === undefined || attempt >= (options.attempts ?? MAX_ATTEMPTS)) throw error;
      wait = next;
    }
  }
}

/**
 * What the asker reads when `platform` rate-limited the answer for longer than is worth waiting:
 * when to ask again, from its Retry-After ("in a minute" would be wrong for 3).
 */
export function rateLimitedText(platform: string, retryAfterMs: number): string {
  return `${platform} is limiting how fast I can post right now, so I couldn't finish this answer. Please ask again in ${inMinutes(retryAfterMs)}.`;
}

/** The same, shown only once the limit has passed (`retryWhenAllowed`): asking again works now. */
export function rateLimitPassedText(platform: string): string {
  return `${platform} was limiting how fast I could post, so I couldn't finish this answer. You can ask again now.`;
}

/** After a rate-limited live update: no further live updates until the platform's Retry-After has passed. */
export class RateLimitHold {
  #until = 0;

  /** Milliseconds until live updates may go again; 0 when not held. */
  remainingMs(): number {
    return Math.max(0, this.#until - Date.now());
  }

  hold(ms: number): void {
    this.#until = Math.max(this.#until, Date.now() + ms);
  }
}
