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
 */
import type { SharedRedis } from '../state/redis.ts';
import type { AnsweredMessage, FeedbackRecord, FeedbackRecorder, FeedbackSource, Vote, VoteInput } from './store.ts';

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

  constructor(private readonly redis: SharedRedis) {}

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
    await this.redis.client.set(this.answerKey(answer.platform, answer.messageRef), JSON.stringify(stored));
  }

  async recordVote(input: VoteInput): Promise<FeedbackRecord> {
    const at = input.at ?? new Date();
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

  async list(options: { limit?: number } = {}): Promise<FeedbackRecord[]> {
    const limit = options.limit ?? 50;
    const voteIds = await this.redis.client.zrevrange(this.timeline, 0, limit - 1);
    return this.records(voteIds);
  }

  /** The stores share the process's Redis connection; closing it is the owner's job. */
  close(): void {}

  private async records(voteIds: string[]): Promise<FeedbackRecord[]> {
    if (voteIds.length === 0) return [];
    const votes = await Promise.all(voteIds.map((id) => this.redis.client.hgetall(this.voteKey(id))));
    const answerKeys = votes.map((vote) => this.answerKey(vote.platform ?? '', vote.messageRef ?? ''));
    const answers = await this.redis.client.mget(answerKeys);
    const records: FeedbackRecord[] = [];
    votes.forEach((vote, i) => {
      if (!vote.platform || !vote.messageRef || !vote.userId || !vote.vote) return;
      const answer = answers[i] ? (JSON.parse(answers[i] as string) as StoredAnswer) : undefined;
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
