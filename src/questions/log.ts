/**
 * The question log: an `AnswerObserver` that writes every answered Slack, Discord
 * and CLI question to the questions collection, in the background.
 *
 * The answer path pays nothing for it: `answered()` only queues the record; the
 * embedding and the Milvus write happen later, one at a time. When Milvus is down
 * the record is dropped with a warning (the answer has long been delivered), and
 * the queue is bounded so a long outage cannot grow memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Embedder } from '../embeddings/index.ts';
import type { Platform } from '../engine/types.ts';
import type { Logger } from '../logger.ts';
import type { AnsweredQuestion, AnswerObserver } from './observer.ts';
import type { LoggedQuestion, QuestionStore } from './store.ts';

/** Only people's questions are gaps; eval and bench runs are not logged. */
const LOGGED_PLATFORMS: ReadonlySet<Platform> = new Set(['cli', 'slack', 'discord']);
const MAX_QUEUE = 1_000;
/** Retention is enforced on the first write and then at most this often. */
const RETENTION_EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface QuestionLogStats {
  written: number;
  failed: number;
  dropped: number;
}

export interface QuestionLog extends AnswerObserver {
  /** Waits until everything queued so far is written or given up, at most `timeoutMs`. */
  flush(timeoutMs?: number): Promise<void>;
  stats(): QuestionLogStats;
  close(): Promise<void>;
}

export interface QuestionLogDeps {
  config: Pick<Config, 'questionLog'>;
  embedder: Pick<Embedder, 'embedQuery'>;
  /** Opens the store on first use, so a down Milvus costs nothing until a write. */
  connect: () => Promise<QuestionStore>;
  logger: Logger;
  now?: () => Date;
}

export function hashUserId(platform: string, userId: string | undefined, salt: string): string {
  if (!userId) return '';
  return createHash('sha256').update(`${salt}\u0000${platform}\u0000${userId}`).digest('hex');
}

export function createQuestionLog(deps: QuestionLogDeps): QuestionLog {
  const { config, embedder, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const queue: AnsweredQuestion[] = [];
  const counts: QuestionLogStats = { written: 0, failed: 0, dropped: 0 };
  let store: Promise<QuestionStore> | undefined;
  let draining: Promise<void> | undefined;
  let lastRetention = 0;
  let closed = false;

  function openStore(): Promise<QuestionStore> {
    store ??= deps.connect();
    // A failed connect is retried by the next write.
    store.catch(() => {
      store = undefined;
    });
    return store;
  }

  async function write(question: AnsweredQuestion): Promise<void> {
    const vector = await embedder.embedQuery(question.standalone || question.question);
    const row: LoggedQuestion = {
      id: randomBytes(16).toString('hex'),
      askedAt: question.askedAt,
      platform: question.platform,
      requestId: question.requestId,
      userHash: hashUserId(question.platform, question.userId, config.questionLog.salt),
      channelId: question.channelId ?? '',
      thread: question.thread ?? {},
      question: question.question,
      standalone: question.standalone,
      mode: question.mode,
      abstained: question.abstained,
      relevance: question.relevance,
      citedPaths: question.citedPaths,
      vector,
    };
    const target = await openStore();
    await target.save([row]);
    if (now().getTime() - lastRetention >= RETENTION_EVERY_MS) {
      await target.deleteOlderThan(new Date(now().getTime() - config.questionLog.retentionDays * DAY_MS));
      lastRetention = now().getTime();
    }
  }

  async function drain(): Promise<void> {
    // Let the answer's own work (rendering, the next question) go first.
    await new Promise((resolve) => setImmediate(resolve));
    for (let next = queue.shift(); next; next = queue.shift()) {
      try {
        await write(next);
        counts.written += 1;
      } catch (error) {
        counts.failed += 1;
        logger.warn(
          { requestId: next.requestId, err: error, code: (error as { code?: unknown }).code },
          'question log: could not record the question (the answer was not affected)',
        );
      }
    }
  }

  function kick(): void {
    draining ??= drain().finally(() => {
      draining = undefined;
      if (queue.length > 0 && !closed) kick();
    });
  }

  return {
    answered(question) {
      try {
        if (closed || !LOGGED_PLATFORMS.has(question.platform)) return;
        if (queue.length >= MAX_QUEUE) {
          queue.shift();
          counts.dropped += 1;
        }
        queue.push(question);
        kick();
      } catch (error) {
        logger.warn({ err: error }, 'question log: could not queue the question');
      }
    },
    async flush(timeoutMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      const done = (async () => {
        while (draining) await draining;
      })();
      await Promise.race([done, timeout]);
      clearTimeout(timer);
    },
    stats: () => ({ ...counts }),
    async close() {
      closed = true;
      const opened = store;
      store = undefined;
      if (!opened) return;
      // Bounded: a connect or close that hangs (Milvus gone) must not hold up shutdown.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        opened.then((s) => s.close()).catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 2_000);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

/** Deletes what is past retention: run by `askdocs gaps` too, so a bot that rarely answers still forgets. */
export async function enforceRetention(store: QuestionStore, retentionDays: number, now = new Date()): Promise<void> {
  await store.deleteOlderThan(new Date(now.getTime() - retentionDays * DAY_MS));
}
