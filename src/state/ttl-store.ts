/**
 * A small key-value store with a time-to-live per entry, for what a chat bot remembers
 * about conversations (e.g. which threads it takes part in), so any replica can take the
 * next message of a conversation another replica started.
 *
 * API:
 *   const store = localTtlStore() | redisTtlStore(redis, { logger, namespace: 'threads' });
 *   await store.set(key, value, ttlMs);                       // replace
 *   await store.set(key, value, ttlMs, { ifAbsent: true });   // only when nothing is stored
 *   await store.get(key);                                     // string | undefined
 *   await store.delete(key);
 *
 * The Redis version writes through to an in-process copy and reads it when Redis cannot
 * be reached, so an outage degrades to what this replica knows instead of failing.
 * Bounded: the in-process copy drops its oldest entries past `maxLocalKeys`.
 */
import type { Logger } from '../logger.ts';
import type { SharedRedis } from './redis.ts';

export interface TtlStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number, options?: { ifAbsent?: boolean }): Promise<void>;
  delete(key: string): Promise<void>;
}

const DEFAULT_MAX_LOCAL_KEYS = 50_000;

/** In this process only: what one replica needs. */
export function localTtlStore(options: { maxKeys?: number; now?: () => number } = {}): TtlStore {
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_LOCAL_KEYS;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const getNow = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.value;
  };
  return {
    async get(key) {
      return getNow(key);
    },
    async set(key, value, ttlMs, setOptions = {}) {
      if (setOptions.ifAbsent && getNow(key) !== undefined) return;
      entries.delete(key);
      entries.set(key, { value, expiresAt: now() + ttlMs });
      while (entries.size > maxKeys) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
    },
    async delete(key) {
      entries.delete(key);
    },
  };
}

export function redisTtlStore(redis: SharedRedis, options: { logger: Logger; namespace: string; maxLocalKeys?: number }): TtlStore {
  const local = localTtlStore({ maxKeys: options.maxLocalKeys });
  const log = options.logger.child({ component: `state:${options.namespace}` });
  const redisKey = (key: string) => `${redis.prefix}${options.namespace}:${key}`;
  const fallback = (what: string, error: unknown) =>
    log.warn({ err: error }, `${options.namespace}: Redis did not answer a ${what}; using this replica's copy`);

  return {
    async get(key) {
      if (!redis.available) return local.get(key);
      try {
        return (await redis.client.get(redisKey(key))) ?? undefined;
      } catch (error) {
        fallback('read', error);
        return local.get(key);
      }
    },
    async set(key, value, ttlMs, setOptions = {}) {
      await local.set(key, value, ttlMs, setOptions);
      if (!redis.available) return;
      try {
        if (setOptions.ifAbsent) await redis.client.set(redisKey(key), value, 'PX', ttlMs, 'NX');
        else await redis.client.set(redisKey(key), value, 'PX', ttlMs);
      } catch (error) {
        fallback('write', error);
      }
    },
    async delete(key) {
      await local.delete(key);
      if (!redis.available) return;
      try {
        await redis.client.del(redisKey(key));
      } catch (error) {
        fallback('delete', error);
      }
    },
  };
}
