/**
 * Concurrency slots for chat questions: at most N questions in flight per user and M per
 * channel. Taking a slot checks both limits and takes both slots in one step.
 *
 * API:
 *   const slots = localSlots(limits) | redisSlots(redis, limits, { logger });
 *   const taken = await slots.acquire({ userId, channelId });
 *   if (taken.ok) { ...; taken.release(); } else taken.reason   // 'user_busy' | 'channel_busy'
 *
 * The Redis version keeps one sorted set per user and per channel; each member is one
 * question, scored by when its slot expires. A replica that dies mid-answer cannot hold a
 * slot for ever: its members expire after `slotTtlMs`. A Lua script makes check-and-take
 * atomic across replicas. When Redis cannot be reached, slots are taken locally (limits
 * then hold per replica until it is back), so a question is never refused or lost for it.
 *
 * A release that cannot reach Redis (an answer that finished during an outage) is kept
 * and sent again when Redis is back, and retried on a timer after other failures; so is
 * the release of a slot the script may have taken when its reply was missed (a timeout). Left
 * to expire, such a slot would hold its user's and channel's capacity for `slotTtlMs`:
 * with the default limits (one question per user, four per channel) that user, or a
 * channel that had four answers in flight, would be refused for half an hour after a
 * Redis restart with persistence, or after a dropped connection.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.ts';
import type { SharedRedis } from './redis.ts';

export type BusyReason = 'user_busy' | 'channel_busy';
export type SlotResult = { ok: true; release(): void } | { ok: false; reason: BusyReason };

export interface ConcurrencyLimits {
  userMaxConcurrent: number;
  channelMaxConcurrent: number;
}

export interface ConcurrencySlots {
  acquire(who: { userId: string; channelId: string }): Promise<SlotResult>;
}

export function localSlots(limits: ConcurrencyLimits): ConcurrencySlots {
  const userActive = new Map<string, number>();
  const channelActive = new Map<string, number>();
  return {
    async acquire(who) {
      if ((userActive.get(who.userId) ?? 0) >= limits.userMaxConcurrent) return { ok: false, reason: 'user_busy' };
      if ((channelActive.get(who.channelId) ?? 0) >= limits.channelMaxConcurrent) return { ok: false, reason: 'channel_busy' };
      increment(userActive, who.userId);
      increment(channelActive, who.channelId);
      return {
        ok: true,
        release: once(() => {
          decrement(userActive, who.userId);
          decrement(channelActive, who.channelId);
        }),
      };
    },
  };
}

// KEYS: user set, channel set. ARGV: now, expiresAt, member, userMax, channelMax, keyTtlMs.
const ACQUIRE_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return 2 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return 0
`;

/** Longer than any answer can take (LLM_TOTAL_TIMEOUT_MS is 90 s by default, at most 30 min). */
export const SLOT_TTL_MS = 35 * 60_000;
/** How soon a release that failed while Redis stayed connected (a timeout) is tried again. */
const RELEASE_RETRY_MS = 5_000;
/** Releases kept for retrying at most; past this the oldest are left to expire. */
const MAX_PENDING_RELEASES = 20_000;

interface HeldSlot {
  userKey: string;
  channelKey: string;
  member: string;
}

export function redisSlots(
  redis: SharedRedis,
  limits: ConcurrencyLimits,
  options: { logger: Logger; slotTtlMs?: number; releaseRetryMs?: number },
): ConcurrencySlots {
  const fallback = localSlots(limits);
  const slotTtlMs = options.slotTtlMs ?? SLOT_TTL_MS;
  const releaseRetryMs = options.releaseRetryMs ?? RELEASE_RETRY_MS;
  const log = options.logger.child({ component: 'limits' });
  /** Slots whose release did not reach Redis, by member, oldest first. */
  const unreleased = new Map<string, HeldSlot>();
  let retryScheduled = false;
  let flushing = false;

  const releaseInRedis = async (slot: HeldSlot) => {
    await redis.client.multi().zrem(slot.userKey, slot.member).zrem(slot.channelKey, slot.member).exec();
  };

  const keepForRetry = (slot: HeldSlot) => {
    unreleased.set(slot.member, slot);
    while (unreleased.size > MAX_PENDING_RELEASES) {
      const oldest = unreleased.keys().next();
      if (oldest.done) break;
      unreleased.delete(oldest.value);
    }
    if (retryScheduled) return;
    retryScheduled = true;
    setTimeout(() => {
      retryScheduled = false;
      void releasePending();
    }, releaseRetryMs).unref();
  };

  /** Sends the releases Redis missed; stops at the first failure (the rest wait for the next try). */
  async function releasePending(): Promise<void> {
    if (flushing || unreleased.size === 0 || !redis.available) return;
    flushing = true;
    let released = 0;
    try {
      for (const slot of [...unreleased.values()]) {
        try {
          await releaseInRedis(slot);
          unreleased.delete(slot.member);
          released += 1;
        } catch (error) {
          log.warn({ err: error, pending: unreleased.size }, 'limits: Redis still misses some slot releases; trying again later');
          keepForRetry(slot);
          break;
        }
      }
    } finally {
      flushing = false;
    }
    if (released > 0) log.info({ released, pending: unreleased.size }, 'limits: slots released during the Redis outage are now free');
  }

  redis.onRecovered(() => {
    void releasePending();
  });

  return {
    async acquire(who) {
      if (!redis.available) return fallback.acquire(who);
      const userKey = `${redis.prefix}active:user:${who.userId}`;
      const channelKey = `${redis.prefix}active:channel:${who.channelId}`;
      const member = randomUUID();
      const now = Date.now();
      let outcome: unknown;
      try {
        outcome = await redis.client.eval(
          ACQUIRE_SCRIPT,
          2,
          userKey,
          channelKey,
          now,
          now + slotTtlMs,
          member,
          limits.userMaxConcurrent,
          limits.channelMaxConcurrent,
          slotTtlMs,
        );
      } catch (error) {
        log.warn({ err: error }, 'limits: Redis did not answer; counting this question on this replica only');
        // The script may have taken the slot before the reply was missed (a timeout): free it,
        // or it would hold the user and the channel for slotTtlMs while this replica counts locally.
        const maybeTaken: HeldSlot = { userKey, channelKey, member };
        releaseInRedis(maybeTaken).catch(() => keepForRetry(maybeTaken));
        return fallback.acquire(who);
      }
      if (outcome === 1) return { ok: false, reason: 'user_busy' };
      if (outcome === 2) return { ok: false, reason: 'channel_busy' };
      const slot: HeldSlot = { userKey, channelKey, member };
      return {
        ok: true,
        release: once(() => {
          releaseInRedis(slot).catch((error: unknown) => {
            log.warn({ err: error }, 'limits: could not release a slot in Redis; releasing it when Redis answers again');
            keepForRetry(slot);
          });
        }),
      };
    },
  };
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function decrement(counts: Map<string, number>, key: string): void {
  const next = (counts.get(key) ?? 0) - 1;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
