/**
 * Claims on platform events: the first claim of a key wins, every later one (a Slack
 * retry, the same message seen as `app_mention` and as `message`, a Discord interaction
 * replayed) loses, so one event gets at most one answer.
 *
 * API:
 *   const claims = localClaims();                          // one process (no REDIS_URL)
 *   const claims = redisClaims(redis, { logger });         // every replica sharing a Redis
 *   if (!(await claims.claim('event:Ev123'))) return;      // someone already has it
 *   claims.seenHere(key)                                   // cheap local peek, no claim
 *
 * The Redis version claims with `SET key 1 NX PX ttl`, atomic across replicas. It also
 * claims in this process first, so a duplicate that lands on the same replica costs no
 * round trip.
 *
 * While Redis is unreachable a claim is decided locally (the bot keeps answering), and
 * remembered. When Redis is back, those claims are written to it (`SET NX` with their
 * remaining TTL) before they can matter, so a retry of an event answered during the
 * outage that now lands on another replica finds it claimed and is not answered twice.
 * What no design can prevent: during the outage itself, two replicas that each get a copy
 * of the same event both answer it.
 *
 * A claim that fails while Redis is connected (a timeout) is not taken as an outage: a bot
 * whose event loop is busy with a burst of answers can miss the reply to a claim Redis did
 * write, and deciding locally then answers an event another replica also answers. Each
 * process writes its own token as the claim's value, and Redis runs one connection's
 * commands in order, so reading the key back says who holds it.
 */
import { randomUUID } from 'node:crypto';
import { SeenKeys } from '../chat/dedupe.ts';
import type { Logger } from '../logger.ts';
import type { SharedRedis } from './redis.ts';

export interface Claims {
  /** True for the first claim of a live key (across all replicas when shared). */
  claim(key: string): Promise<boolean>;
  /** Whether this process already saw the key; never asks Redis. */
  seenHere(key: string): boolean;
}

/** How long an event stays claimed: longer than Slack's retries (~5 min) and Discord's replays. */
export const CLAIM_TTL_MS = 30 * 60_000;
const MAX_LOCAL_KEYS = 20_000;

export function localClaims(options: { ttlMs?: number; now?: () => number } = {}): Claims {
  const seen = new SeenKeys({ ttlMs: options.ttlMs ?? CLAIM_TTL_MS, maxKeys: MAX_LOCAL_KEYS, now: options.now });
  return {
    claim: async (key) => seen.firstSeen(key),
    seenHere: (key) => seen.has(key),
  };
}

export interface RedisClaimsOptions {
  logger: Logger;
  ttlMs?: number;
}

export function redisClaims(redis: SharedRedis, options: RedisClaimsOptions): Claims {
  const ttlMs = options.ttlMs ?? CLAIM_TTL_MS;
  const log = options.logger.child({ component: 'claims' });
  const local = new SeenKeys({ ttlMs, maxKeys: MAX_LOCAL_KEYS });
  /** Claims decided without Redis, with when they expire: written to Redis on recovery. */
  const claimedOffline = new Map<string, number>();
  const redisKey = (key: string) => `${redis.prefix}claim:${key}`;
  /** This process's claims carry this value, so it can tell them from other replicas'. */
  const token = randomUUID();
  const claimInRedis = async (key: string, ttl: number) => (await redis.client.set(redisKey(key), token, 'PX', ttl, 'NX')) === 'OK';

  const rememberOffline = (key: string) => {
    claimedOffline.set(key, Date.now() + ttlMs);
    while (claimedOffline.size > MAX_LOCAL_KEYS) {
      const oldest = claimedOffline.keys().next();
      if (oldest.done) break;
      claimedOffline.delete(oldest.value);
    }
  };

  redis.onRecovered(() => {
    void replayOffline();
  });

  async function replayOffline(): Promise<void> {
    const pending = [...claimedOffline];
    claimedOffline.clear();
    let written = 0;
    for (const [key, expiresAt] of pending) {
      const remaining = expiresAt - Date.now();
      if (remaining <= 0) continue;
      try {
        await claimInRedis(key, remaining);
        written += 1;
      } catch (error) {
        // Down again: keep it for the next recovery.
        claimedOffline.set(key, expiresAt);
        log.warn({ err: error }, 'claims: could not write back offline claims; will retry when Redis is back');
        break;
      }
    }
    if (pending.length > 0) log.info({ written, pending: pending.length }, 'claims: claims made while Redis was down are now shared');
  }

  return {
    async claim(key) {
      if (!local.firstSeen(key)) return false;
      if (!redis.available) {
        rememberOffline(key);
        return true;
      }
      try {
        return await claimInRedis(key, ttlMs);
      } catch (firstError) {
        try {
          const holder = await redis.client.get(redisKey(key));
          if (holder !== null) return holder === token;
          // The first attempt never reached Redis: claim again.
          return await claimInRedis(key, ttlMs);
        } catch (error) {
          log.warn({ err: error, firstError, key }, 'claims: Redis did not answer; deciding this claim locally');
          rememberOffline(key);
          return true;
        }
      }
    },
    seenHere: (key) => local.has(key),
  };
}
