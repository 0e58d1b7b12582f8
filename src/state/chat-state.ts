/**
 * The state a chat bot process keeps about conversations, in one place: where events are
 * claimed, how questions are limited, which threads it takes part in, and where feedback
 * goes. Without REDIS_URL it is all in this process (and SQLite for feedback), as one
 * replica needs; with it, every replica shares it through Redis.
 *
 * API:
 *   const state = openChatState(config, logger);
 *   state.claims      // Claims (src/state/claims.ts)
 *   state.limits      // ChatLimits (src/chat/limits.ts)
 *   state.feedback    // FeedbackRecorder: SQLite file or Redis
 *   state.threads     // ThreadParticipation: which threads the bot takes part in
 *   state.readiness   // a /readyz check when Redis is used (passes while degraded, and says so)
 *   await state.close();
 */
import { ChatLimits } from '../chat/limits.ts';
import type { Config } from '../config.ts';
import { RedisFeedbackStore } from '../feedback/redis-store.ts';
import { type FeedbackRecorder, FeedbackStore } from '../feedback/store.ts';
import type { Logger } from '../logger.ts';
import type { ReadinessCheck } from '../observability/health-server.ts';
import { type Claims, localClaims, redisClaims } from './claims.ts';
import { connectSharedRedis, type SharedRedis } from './redis.ts';
import { ThreadParticipation } from './thread-participation.ts';
import { localTtlStore, redisTtlStore } from './ttl-store.ts';

export interface ChatState {
  claims: Claims;
  limits: ChatLimits;
  feedback: FeedbackRecorder;
  threads: ThreadParticipation;
  redis?: SharedRedis;
  readiness?: ReadinessCheck;
  close(): Promise<void>;
}

export function openChatState(config: Config, logger: Logger): ChatState {
  const redis = config.redis ? connectSharedRedis({ url: config.redis.url, logger }) : undefined;
  try {
    const feedback = openFeedback(config, logger, redis);
    return {
      claims: redis ? redisClaims(redis, { logger }) : localClaims(),
      limits: new ChatLimits(config.limits, redis ? { redis, logger } : undefined),
      feedback,
      threads: new ThreadParticipation(redis ? redisTtlStore(redis, { logger, namespace: 'threads' }) : localTtlStore()),
      redis,
      readiness: redis && redisReadiness(redis),
      async close() {
        await feedback.close();
        await redis?.close();
      },
    };
  } catch (error) {
    void redis?.close();
    throw error;
  }
}

/** The feedback store that config names (FEEDBACK_DB): a SQLite file or the shared Redis. */
export function openFeedback(config: Config, logger: Logger, redis: SharedRedis | undefined): FeedbackRecorder {
  if (config.feedbackStore === 'redis') {
    if (!redis) throw new Error('FEEDBACK_DB=redis needs a Redis connection');
    return new RedisFeedbackStore(redis);
  }
  return FeedbackStore.open(config.feedbackDb, { logger });
}

/**
 * Redis being down does not take a replica out of service (it keeps answering with its
 * own state), so the check passes either way; its detail says which it is (and, when
 * Redis refuses REDIS_URL's credentials after the bot started, that).
 */
function redisReadiness(redis: SharedRedis): ReadinessCheck {
  return { name: 'redis', run: () => ({ ok: true, detail: redis.readinessDetail(), ...(redis.available ? {} : { degraded: true }) }) };
}
