/**
 * Per-user and per-channel limits on chat questions, shared by every chat adapter.
 *
 * API:
 *   const limits = new ChatLimits({ userMaxConcurrent, userQuestionsPerMinute, channelMaxConcurrent });
 *   const admission = await limits.admit({ userId, channelId });
 *   if (!admission.ok) reply(admission.message);   // friendly, plain text
 *   else try { ...answer... } finally { admission.release(); }
 *
 *   - Concurrency: a user may have at most `userMaxConcurrent` questions in flight and a
 *     channel at most `channelMaxConcurrent`; checked first, so a refused question does not
 *     use up the user's per-minute allowance.
 *   - Rate: at most `userQuestionsPerMinute` admitted questions per user per rolling minute
 *     (rate-limiter-flexible, in memory: limits are per bot process).
 *   - `release()` is idempotent.
 *   `limits.inFlight()` is the number of admitted, unreleased questions (for metrics/shutdown).
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface ChatLimitSettings {
  userMaxConcurrent: number;
  userQuestionsPerMinute: number;
  channelMaxConcurrent: number;
}

export type LimitReason = 'user_busy' | 'channel_busy' | 'user_rate' | 'shutting_down';

export type Admission = { ok: true; release(): void } | { ok: false; reason: LimitReason; message: string; retryAfterMs?: number };

export class ChatLimits {
  private readonly settings: ChatLimitSettings;
  private readonly perMinute: RateLimiterMemory;
  private readonly userActive = new Map<string, number>();
  private readonly channelActive = new Map<string, number>();
  private active = 0;

  constructor(settings: ChatLimitSettings) {
    this.settings = settings;
    this.perMinute = new RateLimiterMemory({
      keyPrefix: 'askdocs-user-questions',
      points: settings.userQuestionsPerMinute,
      duration: 60,
    });
  }

  async admit(who: { userId: string; channelId: string }): Promise<Admission> {
    if ((this.userActive.get(who.userId) ?? 0) >= this.settings.userMaxConcurrent) {
      return {
        ok: false,
        reason: 'user_busy',
        message: "I'm still working on your previous question. Ask again once it's answered.",
      };
    }
    if ((this.channelActive.get(who.channelId) ?? 0) >= this.settings.channelMaxConcurrent) {
      return {
        ok: false,
        reason: 'channel_busy',
        message: "I'm answering several questions in this channel right now. Please try again in a minute.",
      };
    }
    try {
      await this.perMinute.consume(who.userId);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      return {
        ok: false,
        reason: 'user_rate',
        retryAfterMs: rejection.msBeforeNext,
        message: `You've asked ${this.settings.userQuestionsPerMinute} questions in the last minute. Please wait ${seconds} s and ask again.`,
      };
    }
    // Re-check after the await: another question may have been admitted meanwhile.
    if (
      (this.userActive.get(who.userId) ?? 0) >= this.settings.userMaxConcurrent ||
      (this.channelActive.get(who.channelId) ?? 0) >= this.settings.channelMaxConcurrent
    ) {
      await this.perMinute.reward(who.userId).catch(() => undefined);
      return this.admit(who);
    }
    increment(this.userActive, who.userId);
    increment(this.channelActive, who.channelId);
    this.active += 1;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        decrement(this.userActive, who.userId);
        decrement(this.channelActive, who.channelId);
        this.active -= 1;
      },
    };
  }

  inFlight(): number {
    return this.active;
  }
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function decrement(counts: Map<string, number>, key: string): void {
  const next = (counts.get(key) ?? 0) - 1;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
