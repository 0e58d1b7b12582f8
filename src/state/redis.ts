/**
 * The one Redis connection a bot process shares between its stores (claims, limits,
 * thread memory, feedback), and what it knows about being reachable.
 *
 * API:
 *   const redis = connectSharedRedis({ url: config.redis.url, logger });
 *   redis.client          // ioredis client; commands fail fast while disconnected
 *   redis.available       // true while the connection is ready
 *   await redis.whenReady(ms) // true once connected; false if not within ms (start degraded)
 *   redis.onRecovered(fn) // called on every (re)connection: after an outage, and the first time
 *   redis.readinessDetail() // one line for /readyz
 *   await redis.close();
 *
 * Why fail fast: a chat answer must never wait on a Redis that is gone. With the offline
 * queue off and a short command timeout, every store sees an error at once and falls back
 * to what this process knows; ioredis keeps reconnecting in the background.
 */
import { Redis } from 'ioredis';
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
  /** Resolves true once connected, false after `timeoutMs` without a connection. */
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

  client.on('ready', () => {
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
  // Before the first connection, errors are the same outage as a later drop.
  client.on('error', (error: Error) => markDown(error.message));
  client.on('close', () => markDown('connection closed'));

  return {
    client,
    prefix: options.keyPrefix ?? 'askdocs:',
    get available() {
      return client.status === 'ready';
    },
    whenReady(timeoutMs) {
      if (client.status === 'ready') return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          client.off('ready', onReady);
          resolve(false);
        }, timeoutMs);
        const onReady = () => {
          clearTimeout(timer);
          resolve(true);
        };
        client.once('ready', onReady);
      });
    },
    onRecovered(listener) {
      recoveredListeners.push(listener);
    },
    readinessDetail() {
      if (client.status === 'ready') return 'Redis connected: event claims, limits and feedback are shared by all replicas';
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
