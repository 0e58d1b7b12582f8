/**
 * Feedback (👍/👎) in Redis, for bots running as several replicas: every replica writes
 * here and `askdocs feedback` reads here. Same behaviour as the SQLite store
 * (src/feedback/store.ts): answers saved by (platform, messageRef), one vote per
 * (platform, messageRef, user) that a second click updates, listed newest first.
 *
 * Keys (under the shared prefix, default "askdocs:"), none with a TTL:
 *   feedback:answer:<["platform","messageRef"]>          JSON of the answered message
 *   feedback:vote:<["platform","messageRef","userId"]>   hash: vote, createdAt, votedAt
 *   feedback:votes                                       sorted set of vote ids by time
 *
 * Durable only as far as Redis is: run it with `appendonly yes` and
 * `maxmemory-policy noeviction` (docs/deploy.md), as the deploy files do.
 *
 * An answer finished while Redis is unreachable (or too slow to answer) is kept in this
 * process, up to MAX_UNSAVED_ANSWERS answers, and written when Redis is back, as claims and
 * slot releases are (src/state/): otherwise every vote on it, on any replica, would be
 * refused as a vote on an unknown answer.
 */
import type { SharedRedis } from '../state/redis.ts';
import {
  type AnsweredMessage,
  AnswerSavedLaterError,
  type FeedbackRecord,
  type FeedbackRecorder,
  type FeedbackSource,
  type ListOptions,
  sourceList,
  UnknownAnswerError,
  type Vote,
  type VoteInput,
} from './store.ts';

/** Answers kept while Redis is down (a few KB each): the oldest go first beyond this. */
export const MAX_UNSAVED_ANSWERS = 2_000;
/**
 * Votes read per round trip. Every command times out at 500 ms (src/state/redis.ts): sent
 * all at once, the last of tens of thousands would wait on all the others and time out.
 */
const READ_BATCH = 500;
/** Answers written back per command: commands time out at 500 ms, so none carries thousands. */
const WRITE_BACK_BATCH = 100;

interface StoredAnswer {
  channelId?: string;
  userId?: string;
  question: string;
  answer: string;
  sources: FeedbackSource[];
  requestId?: string;
  answeredAt: string;
}

export class RedisFeedbackStore implements FeedbackRecorder {
  readonly location = 'Redis (REDIS_URL)';

  /** Answers whose save failed, by key, oldest first: written back when Redis is reachable again. */
  private readonly unsaved = new Map<string, string>();
  private writingBack: Promise<void> | undefined;

  constructor(private readonly redis: SharedRedis) {
    redis.onRecovered(() => void this.writeBackUnsaved());
  }

  private answerKey(platform: string, messageRef: string): string {
    return `${this.redis.prefix}feedback:answer:${JSON.stringify([platform, messageRef])}`;
  }

  private voteKey(voteId: string): string {
    return `${this.redis.prefix}feedback:vote:${voteId}`;
  }

  private get timeline(): string {
    return `${this.redis.prefix}feedback:votes`;
  }

  async saveAnswer(answer: AnsweredMessage, at: Date = new Date()): Promise<void> {
    const stored: StoredAnswer = {
      channelId: answer.channelId,
      userId: answer.userId,
      question: answer.question,
      answer: answer.answer,
      sources: answer.sources,
      requestId: answer.requestId,
      answeredAt: at.toISOString(),
    };
    const key = this.answerKey(answer.platform, answer.messageRef);
    const value = JSON.stringify(stored);
    try {
      await this.redis.client.set(key, value);
    } catch (error) {
      this.keepUnsaved(key, value);
      throw new AnswerSavedLaterError((error as Error).message, this.unsaved.size, { cause: error });
    }
    this.unsaved.delete(key);
    // Redis answered: what a timeout (not an outage, so no recovery event) left unsaved can go now.
    if (this.unsaved.size > 0) void this.writeBackUnsaved();
  }

  private keepUnsaved(key: string, value: string): void {
    this.unsaved.delete(key);
    this.unsaved.set(key, value);
    for (const oldest of this.unsaved.keys()) {
      if (this.unsaved.size <= MAX_UNSAVED_ANSWERS) break;
      this.unsaved.delete(oldest);
    }
  }

  /** Writes the kept answers; a call while a write-back runs joins it. Never throws. */
  private writeBackUnsaved(): Promise<void> {
    // `finally` runs after the assignment, even when there is nothing to write.
    this.writingBack ??= this.writeUnsavedBatches().finally(() => {
      this.writingBack = undefined;
    });
    return this.writingBack;
  }

  /** A batch at a time, so none waits behind thousands; stops at the first failure (the rest is kept for the next try). */
  private async writeUnsavedBatches(): Promise<void> {
    try {
      while (this.unsaved.size > 0) {
        const batch = [...this.unsaved].slice(0, WRITE_BACK_BATCH);
        await this.redis.client.mset(new Map(batch));
        // An answer saved again meanwhile was saved by its own call; one changed meanwhile stays for the next batch.
        for (const [key, value] of batch) if (this.unsaved.get(key) === value) this.unsaved.delete(key);
      }
    } catch {
      // Down again: the rest waits for the next recovery.
    }
  }

  async recordVote(input: VoteInput): Promise<FeedbackRecord> {
    const at = input.at ?? new Date();
    const answerKey = this.answerKey(input.platform, input.messageRef);
    // A vote on an answer this replica could not save yet: save it first.
    if (this.unsaved.has(answerKey)) await this.writeBackUnsaved();
    // Answers are never deleted, so one that exists now still does when the vote is written.
    if (!(await this.redis.client.exists(answerKey))) throw new UnknownAnswerError(input.platform, input.messageRef);
    const voteId = JSON.stringify([input.platform, input.messageRef, input.userId]);
    const key = this.voteKey(voteId);
    // One transaction: the first click's time survives later clicks (HSETNX), and a vote
    // never exists without its place in the timeline.
    await this.redis.client
      .multi()
      .hset(key, {
        platform: input.platform,
        messageRef: input.messageRef,
        userId: input.userId,
        vote: input.vote,
        votedAt: at.toISOString(),
      })
      .hsetnx(key, 'createdAt', at.toISOString())
      .zadd(this.timeline, at.getTime(), voteId)
      .exec()
      .then(throwOnFailedCommand);
    const [record] = await this.records([voteId]);
    if (!record) throw new Error('feedback vote vanished right after it was written');
    return record;
  }

  async list(options: ListOptions = {}): Promise<FeedbackRecord[]> {
    const limit = options.limit ?? 50;
    // The timeline is scored by when each vote was last cast: a window is a range of it.
    const voteIds = await this.redis.client.zrevrangebyscore(this.timeline, '+inf', options.since?.getTime() ?? '-inf', 'LIMIT', 0, limit);
    const records: FeedbackRecord[] = [];
    for (let i = 0; i < voteIds.length; i += READ_BATCH) records.push(...(await this.records(voteIds.slice(i, i + READ_BATCH))));
    return records;
  }

  /** The stores share the process's Redis connection; closing it is the owner's job. */
  close(): void {}

  private async records(voteIds: string[]): Promise<FeedbackRecord[]> {
    if (voteIds.length === 0) return [];
    const pipeline = this.redis.client.pipeline();
    for (const id of voteIds) pipeline.hgetall(this.voteKey(id));
    const votes = ((await pipeline.exec()) ?? []).map(([error, vote]) => {
      if (error) throw error;
      return vote as Record<string, string>;
    });
    const answerKeys = votes.map((vote) => this.answerKey(vote.platform ?? '', vote.messageRef ?? ''));
    const answers = await this.redis.client.mget(answerKeys);
    const records: FeedbackRecord[] = [];
    votes.forEach((vote, i) => {
      if (!vote.platform || !vote.messageRef || !vote.userId || !vote.vote) return;
      const answer = storedAnswer(answers[i]);
      records.push({
        platform: vote.platform,
        userId: vote.userId,
        vote: vote.vote as Vote,
        at: vote.votedAt ?? '',
        createdAt: vote.createdAt ?? vote.votedAt ?? '',
        messageRef: vote.messageRef,
        channelId: answer?.channelId,
        question: answer?.question ?? '',
        answer: answer?.answer ?? '',
        sources: answer?.sources ?? [],
        requestId: answer?.requestId,
      });
    });
    return records;
  }
}

function throwOnFailedCommand(results: [Error | null, unknown][] | null): void {
  if (!results) throw new Error('feedback transaction was aborted');
  const failed = results.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
}

/** An answer saved as JSON, or undefined when the value is none (edited by hand, written by something else): its vote is still listed. */
function storedAnswer(json: string | null | undefined): StoredAnswer | undefined {
  if (!json) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const answer = parsed as Partial<Record<keyof StoredAnswer, unknown>>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    channelId: text(answer.channelId),
    userId: text(answer.userId),
    question: text(answer.question) ?? '',
    answer: text(answer.answer) ?? '',
    sources: sourceList(answer.sources),
    requestId: text(answer.requestId),
    answeredAt: text(answer.answeredAt) ?? '',
  };
}
