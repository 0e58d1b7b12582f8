/**
 * Reading feedback for reports (`askdocs feedback`, `askdocs gaps`) from wherever
 * FEEDBACK_DB puts it: the SQLite file, or the shared Redis.
 *
 *   const records = await readFeedback(config, { limit: 50 });   // newest first; [] when none yet
 *   await readFeedback(config, { limit, since })                 // only votes cast since then
 *   feedbackLocation(config)   // "/data/feedback.sqlite" or "Redis (REDIS_URL)", for messages
 */
import type { Config } from '../config.ts';
import { AskdocsError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { connectSharedRedis } from '../state/redis.ts';
import { RedisFeedbackStore } from './redis-store.ts';
import { type FeedbackRecord, FeedbackStore, feedbackDbError, type ListOptions } from './store.ts';

const CONNECT_TIMEOUT_MS = 5_000;

export function feedbackLocation(config: Config): string {
  return config.feedbackStore === 'redis' ? 'Redis (REDIS_URL)' : config.feedbackDb;
}

export async function readFeedback(config: Config, options: ListOptions & { limit: number }): Promise<FeedbackRecord[]> {
  if (config.feedbackStore === 'sqlite') {
    try {
      const store = FeedbackStore.openExisting(config.feedbackDb);
      try {
        return store ? store.list(options) : [];
      } finally {
        store?.close();
      }
    } catch (error) {
      throw feedbackDbError(config.feedbackDb, error);
    }
  }
  const redis = connectSharedRedis({ url: (config.redis as { url: string }).url, logger: createLogger({ level: 'silent' }) });
  try {
    if (!(await redis.whenReady(CONNECT_TIMEOUT_MS))) {
      throw new AskdocsError(
        'feedback',
        'Could not reach Redis at REDIS_URL to read the feedback. Check that Redis is running and REDIS_URL is right.',
      );
    }
    return await new RedisFeedbackStore(redis).list(options);
  } finally {
    await redis.close();
  }
}
