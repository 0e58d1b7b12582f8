/**
 * The one Redis connection a bot process shares between its stores (claims, limits,
 * thread memory, feedback), and what it knows about being reachable.
 *
 * API:
 *   const redis = connectSharedRedis({ url: config.redis.url, logger });
 *   redis.client          // ioredis client; commands fail fast while disconnected
 *   redis.available       // true while the connection is ready and Redis answers on it
 *   await redis.whenReady(ms) // true once connected; false if not within ms (start degraded);
 *                             // rejects when Redis refuses REDIS_URL's credentials or database
 *   redis.refusal         // that refusal, in one line naming REDIS_URL (no reconnect fixes it)
 *   redis.onRecovered(fn) // called on every (re)connection: after an outage, and the first time
 *   redis.readinessDetail() // one line for /readyz
 *   await redis.close();
 *
 * Why fail fast: a chat answer must never wait on a Redis that is gone. With the offline
 * queue off and a short command timeout, every store sees an error at once and falls back
 * to what this process knows; ioredis keeps reconnecting in the background.
 *
 * A Redis that stops answering while the connection stays up (a SIGSTOPped or hung server,
 * a black-holed port) is an outage too, though no 'close' ever comes: each command would
 * wait for its timeout. After TIMEOUTS_FOR_OUTAGE command timeouts in a row, and a PING that
 * times out as well (a busy event loop here can miss a few replies Redis did send), the
 * connection counts as down: `available` is false, so the stores use their offline
 * fallbacks, and commands sent anyway (feedback, the rate limiter) fail at once, as they do
 * while disconnected. A PING every PROBE_FIRST_MS, backing off to PROBE_MAX_MS, tells when
 * it answers again; then the recovery listeners run, as after a reconnection.
 *
 * A refusal is not an outage: a wrong password (WRONGPASS), a password missing (NOAUTH),
 * a user without the commands askdocs needs (NOPERM), or a database the server does not
 * have are mistakes in REDIS_URL, so `whenReady` rejects and a bot does not start. A
 * database the server lacks also ends the connection: ioredis would go on, on database 0.
 */
import { Command, Redis, ReplyError } from 'ioredis';
import { redisDatabaseOf } from '../config.ts';
import { AskdocsError } from '../errors.ts';
import { type Logger, registerSecrets } from '../logger.ts';
import { credentialsOf } from '../url-credentials.ts';

export interface SharedRedisOptions {
  url: string;
  logger: Logger;
  /** Longest a single command may take before it counts as failed (default 500 ms). */
  commandTimeoutMs?: number;
  /** Prefix of every key askdocs writes, so one Redis can serve several bots (default "askdocs:"). */
  keyPrefix?: string;
}

export interface SharedRedis {
  readonly client: Redis;
  /** Prefix for every askdocs key (ioredis' keyPrefix is not used: rate-limiter-flexible and Lua scripts need real key names). */
  readonly prefix: string;
  readonly available: boolean;
  /** Why Redis refused this connection (REDIS_URL's credentials or database), until it accepts one. */
  readonly refusal: string | undefined;
  /**
   * Resolves true once connected, false after `timeoutMs` without a connection; rejects
   * with the refusal (an AskdocsError) when Redis refuses REDIS_URL, before or meanwhile.
   */
  whenReady(timeoutMs: number): Promise<boolean>;
  /** Called on every (re)connection, the first included. */
  onRecovered(listener: () => void): void;
  readinessDetail(): string;
  close(): Promise<void>;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 500;
const MAX_RECONNECT_DELAY_MS = 2_000;
/** Command timeouts in a row, with no reply between them, that make a PING decide whether Redis is hung. */
const TIMEOUTS_FOR_OUTAGE = 3;
/** How soon a hung Redis is first asked again, and the longest wait between PINGs as it stays hung. */
const PROBE_FIRST_MS = 1_000;
const PROBE_MAX_MS = 5_000;
/** Why a command was not sent: the same fail-fast a disconnected client gives. */
export const NOT_ANSWERING_MESSAGE = 'Redis is not answering (commands time out); not sent until it answers again';

export function connectSharedRedis(options: SharedRedisOptions): SharedRedis {
  const log = options.logger.child({ component: 'redis' });
  registerSecrets(options.url, credentialsOf(options.url)?.password);
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
    lazyConnect: false,
  });
  const recoveredListeners: (() => void)[] = [];
  let everReady = false;
  let down = false;
  let downSince: number | undefined;
  let closing = false;
  /** Connected, but Redis has stopped answering (see the top of this file). */
  let hung = false;
  let timeoutsInARow = 0;
  let confirming = false;
  let probeTimer: NodeJS.Timeout | undefined;
  let probeDelayMs = PROBE_FIRST_MS;

  let refusal: string | undefined;
  const refusedListeners = new Set<(refusal: string) => void>();

  const isAvailable = () => client.status === 'ready' && !hung;

  const stopProbing = () => {
    hung = false;
    timeoutsInARow = 0;
    clearTimeout(probeTimer);
    probeTimer = undefined;
  };

  /** Whether Redis answers a PING within the command timeout; sent past the fail-fast below. */
  const ping = async (): Promise<boolean> => {
    // ioredis gives it the command timeout, as any command.
    const command = new Command('ping', []);
    sendCommand(command);
    try {
      await command.promise;
      return true;
    } catch (error) {
      return error instanceof ReplyError;
    }
  };

  const scheduleProbe = () => {
    probeTimer = setTimeout(async () => {
      if (!hung || closing) return;
      const answered = await ping();
      if (!hung || closing) return;
      if (answered) {
        stopProbing();
        recovered();
        return;
      }
      probeDelayMs = Math.min(probeDelayMs * 2, PROBE_MAX_MS);
      scheduleProbe();
    }, probeDelayMs);
    // An outage must not keep a process that is otherwise done alive.
    probeTimer.unref();
  };

  const commandTimedOut = () => {
    timeoutsInARow += 1;
    if (timeoutsInARow < TIMEOUTS_FOR_OUTAGE || hung || confirming || closing || client.status !== 'ready') return;
    confirming = true;
    void ping().then((answered) => {
      confirming = false;
      if (answered) {
        timeoutsInARow = 0;
        return;
      }
      if (hung || closing || client.status !== 'ready') return;
      hung = true;
      markDown(`no reply to ${TIMEOUTS_FOR_OUTAGE} commands in a row nor to a PING (each timed out after ${commandTimeoutMs} ms)`);
      probeDelayMs = PROBE_FIRST_MS;
      scheduleProbe();
    });
  };

  // Every command passes here (the stores', the rate limiter's, pipelines' and ioredis' own):
  // its outcome is what tells a hung Redis from a slow reply, and while Redis is hung, a
  // command fails at once instead of after its timeout.
  const sendCommand = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    if (hung && client.status === 'ready') {
      command.reject(new Error(NOT_ANSWERING_MESSAGE));
      return command.promise;
    }
    const result = sendCommand(command, stream);
    command.promise.then(
      () => {
        timeoutsInARow = 0;
      },
      (error: unknown) => {
        if (error instanceof ReplyError) timeoutsInARow = 0;
        else if (error instanceof Error && error.message === 'Command timed out') commandTimedOut();
      },
    );
    return result;
  };

  /** Redis is back (a new connection, or a hung one that answers again): tell everyone who waits for it. */
  const recovered = () => {
    refusal = undefined;
    if (down) {
      log.info(
        { event: 'redis_recovered', downForMs: downSince ? Date.now() - downSince : undefined },
        'redis: connection is back; shared state is shared again',
      );
      down = false;
      downSince = undefined;
    } else if (!everReady) {
      log.info({ event: 'redis_connected' }, 'redis: connected; state is shared between replicas');
    }
    everReady = true;
    // Also on the first connection: events may have been claimed locally before it.
    for (const listener of recoveredListeners) listener();
  };
  client.on('ready', () => {
    stopProbing();
    recovered();
  });
  const markDown = (reason: string) => {
    if (closing || down) return;
    down = true;
    downSince = Date.now();
    log.warn(
      { event: 'redis_unavailable', reason },
      "redis: unreachable; answering with this replica's own state (limits and dedupe are per replica until it is back)",
    );
  };
  const refused = (error: Error, line: string, endConnection: boolean) => {
    // Said once: ioredis retries a refused password every ~2 s (the server may be fixed meanwhile).
    if (!closing && refusal === undefined) {
      log.error({ event: 'redis_refused', reason: firstLine(error.message) }, `redis: ${line}`);
    }
    refusal = line;
    down = true;
    downSince ??= Date.now();
    if (endConnection) client.disconnect();
    for (const listener of refusedListeners) listener(line);
  };
  // Before the first connection, errors are the same outage as a later drop, unless Redis refused REDIS_URL.
  client.on('error', (error: Error) => {
    const refusalOf = refusalLine(error, options.url);
    if (refusalOf) refused(error, refusalOf.line, refusalOf.endConnection);
    else markDown(error.message);
  });
  client.on('close', () => {
    // The hung connection is gone: the next one's 'ready' is the recovery.
    stopProbing();
    markDown('connection closed');
  });

  return {
    client,
    prefix: options.keyPrefix ?? 'askdocs:',
    get available() {
      return isAvailable();
    },
    get refusal() {
      return refusal;
    },
    whenReady(timeoutMs) {
      if (client.status === 'ready') return Promise.resolve(true);
      if (refusal !== undefined) return Promise.reject(new AskdocsError('config', refusal));
      return new Promise<boolean>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          client.off('ready', onReady);
          refusedListeners.delete(onRefused);
        };
        const timer = setTimeout(() => {
          done();
          resolve(false);
        }, timeoutMs);
        const onReady = () => {
          done();
          resolve(true);
        };
        const onRefused = (line: string) => {
          done();
          reject(new AskdocsError('config', line));
        };
        client.once('ready', onReady);
        refusedListeners.add(onRefused);
      });
    },
    onRecovered(listener) {
      recoveredListeners.push(listener);
    },
    readinessDetail() {
      if (isAvailable()) return 'Redis connected: event claims, limits and feedback are shared by all replicas';
      if (refusal !== undefined) return `${refusal} Still answering, with per-replica state.`;
      return 'Redis unreachable: still answering, with per-replica state (duplicate answers and per-replica limits are possible until it is back)';
    },
    async close() {
      closing = true;
      stopProbing();
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}

/**
 * The line for a reply from Redis that no reconnect changes (undefined for an outage),
 * and whether to end the connection: after a refused SELECT, ioredis carries on, on
 * database 0. Names REDIS_URL and says what to fix; never holds the password (Redis's
 * reply does not, and the URL is not quoted).
 */
export function refusalLine(error: Error, url: string): { line: string; endConnection: boolean } | undefined {
  // ioredis prefixes a failed ready check ("Ready check failed: NOAUTH …").
  const reply = firstLine(error.message).replace(/^Ready check failed:\s*/, '');
  if (/^WRONGPASS\b/.test(reply)) {
    return {
      line: 'Redis refused the credentials in REDIS_URL (WRONGPASS: wrong password, or no such user): correct the user name or password in REDIS_URL.',
      endConnection: false,
    };
  }
  if (/^NOAUTH\b/.test(reply)) {
    return {
      line: 'Redis requires a password and REDIS_URL has none (NOAUTH): add it before the host, as ":PASSWORD@" (or "USER:PASSWORD@").',
      endConnection: false,
    };
  }
  if (/^NOPERM\b/.test(reply)) {
    return {
      line: `Redis refused the user in REDIS_URL a command askdocs needs (${reply.replace(/\.$/, '')}): allow it in that user's ACL, or use another user.`,
      endConnection: false,
    };
  }
  if (/^ERR (DB index is out of range|invalid DB index)/i.test(reply)) {
    const db = databaseOf(url);
    return {
      line: `Redis has no database ${db} (the number at the end of REDIS_URL): use one from 0 to its number of databases minus 1 (0 to 15 on a default Redis, set by \`databases\` in redis.conf).`,
      endConnection: true,
    };
  }
  return undefined;
}

/** The database a Redis URL selects (config.ts reads it as the Redis client does). */
function databaseOf(url: string): string {
  try {
    return redisDatabaseOf(new URL(url)).db || '0';
  } catch {
    return '?';
  }
}
