/**
 * Per-user and per-channel limits on chat questions, shared by every chat adapter.
 *
 * API:
 *   const limits = new ChatLimits({ userMaxConcurrent, userQuestionsPerMinute, channelMaxConcurrent });
 *   const limits = new ChatLimits(settings, { redis, logger });   // shared by every replica
 *   const admission = await limits.admit({ userId, channelId });
 *   if (!admission.ok) reply(admission.message);   // friendly, plain text
 *   else try { ...answer... } finally { admission.release(); }
 *
 *   - Concurrency: a user may have at most `userMaxConcurrent` questions in flight and a
 *     channel at most `channelMaxConcurrent` (src/state/concurrency.ts); checked first, so
 *     a refused question does not use up the user's per-minute allowance.
 *   - Rate: at most `userQuestionsPerMinute` admitted questions per user per rolling minute
 *     (rate-limiter-flexible: in memory for one process, in Redis with an in-memory
 *     insurance limiter when `redis` is given, so an outage never refuses everyone).
 *   - `release()` is idempotent.
 *   `limits.inFlight()` is the number of admitted, unreleased questions in this process
 *   (for metrics/shutdown).
 */
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../logger.ts';
import { type ConcurrencySlots, localSlots, redisSlots } from '../state/concurrency.ts';
import type { SharedRedis } from '../state/redis.ts';

export interface ChatLimitSettings {
  userMaxConcurrent: number;
  userQuestionsPerMinute: number;
  channelMaxConcurrent: number;
}

export type LimitReason = 'user_busy' | 'channel_busy' | 'user_rate' | 'shutting_down';

export type Admission = { ok: true; release(): void } | { ok: false; reason: LimitReason; message: string; retryAfterMs?: number };

export interface SharedLimitsOptions {
  redis: SharedRedis;
  logger: Logger;
}

const BUSY_MESSAGES = {
  user_busy: "I'm still working on your previous question. Ask again once it's answered.",
  channel_busy: "I'm answering several questions in this channel right now. Please try again in a minute.",
} as const;

export class ChatLimits {
  private readonly settings: ChatLimitSettings;
  private readonly perMinute: RateLimiterAbstract;
  private readonly slots: ConcurrencySlots;
  private active = 0;

  constructor(settings: ChatLimitSettings, shared?: SharedLimitsOptions) {
    this.settings = settings;
    const inMemory = new RateLimiterMemory({
      keyPrefix: 'askdocs-user-questions',
      points: settings.userQuestionsPerMinute,
      duration: 60,
    });
    if (shared) {
      this.perMinute = new RateLimiterRedis({
        storeClient: shared.redis.client,
        keyPrefix: `${shared.redis.prefix}user-questions`,
        points: settings.userQuestionsPerMinute,
        duration: 60,
        // Not connected → the in-memory limiter decides at once instead of waiting.
        rejectIfRedisNotReady: true,
        insuranceLimiter: inMemory,
      });
      this.slots = redisSlots(shared.redis, settings, { logger: shared.logger });
    } else {
      this.perMinute = inMemory;
      this.slots = localSlots(settings);
    }
  }

  async admit(who: { userId: string; channelId: string }): Promise<Admission> {
    const slot = await this.slots.acquire(who);
    if (!slot.ok) return { ok: false, reason: slot.reason, message: BUSY_MESSAGES[slot.reason] };
    try {
      await this.perMinute.consume(who.userId);
    } catch (rejection) {
      slot.release();
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      return {
        ok: false,
        reason: 'user_rate',
        retryAfterMs: rejection.msBeforeNext,
        message: `You've asked ${this.settings.userQuestionsPerMinute} questions in the last minute. Please wait ${seconds} s and ask again.`,
      };
    }
    this.active += 1;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        slot.release();
        this.active -= 1;
      },
    };
  }

  inFlight(): number {
    return this.active;
  }
}
