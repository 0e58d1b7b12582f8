/**
 * The one Redis connection a bot process shares between its stores (claims, limits,
 * thread memory, feedback), and what it knows about being reachable.
 *
 * API:
 *   const redis = connectSharedRedis({ url: config.redis.url, logger });
 *   redis.client          // ioredis client; commands fail fast while disconnected
 *   redis.available       // true while the connection is ready
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
 * A refusal is not an outage: a wrong password (WRONGPASS), a password missing (NOAUTH),
 * a user without the commands askdocs needs (NOPERM), or a database the server does not
 * have are mistakes in REDIS_URL, so `whenReady` rejects and a bot does not start. A
 * database the server lacks also ends the connection: ioredis would go on, on database 0.
 */
import { Redis } from 'ioredis';
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

export function connectSharedRedis(options: SharedRedisOptions): SharedRedis {
  const log = options.logger.child({ component: 'redis' });
  registerSecrets(options.url, credentialsOf(options.url)?.password);
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
    lazyConnect: false,
  });
  const recoveredListeners: (() => void)[] = [];
  let everReady = false;
  let down = false;
  let downSince: number | undefined;
  let closing = false;

  let refusal: string | undefined;
  const refusedListeners = new Set<(refusal: string) => void>();

  client.on('ready', () => {
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
  client.on('close', () => markDown('connection closed'));

  return {
    client,
    prefix: options.keyPrefix ?? 'askdocs:',
    get available() {
      return client.status === 'ready';
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
      if (client.status === 'ready') return 'Redis connected: event claims, limits and feedback are shared by all replicas';
      if (refusal !== undefined) return `${refusal} Still answering, with per-replica state.`;
      return 'Redis unreachable: still answering, with per-replica state (duplicate answers and per-replica limits are possible until it is back)';
    },
    async close() {
      closing = true;
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
