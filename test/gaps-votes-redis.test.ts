/**
 * The votes `askdocs gaps` and the bots' digest read from feedback kept in a real
 * redis-server (FEEDBACK_DB=redis), at the size a busy deployment reaches: 60,000 votes.
 * They are written straight into the store's layout (src/feedback/redis-store.ts) with
 * pipelines, as thousands of users clicking over two months would have left them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type Config, loadConfig } from '../src/config.ts';
import type { Vote } from '../src/feedback/store.ts';
import { votesFromConfig } from '../src/gaps/votes.ts';
import { NO_REDIS, startTestRedis, type TestRedis } from './support/redis.ts';

const VOTES = 60_000;
const NOW = Date.parse('2026-12-07T09:00:00.000Z');
/** One vote every 90 s, newest first: 60,000 of them span 62 days. */
const votedAt = (i: number) => NOW - i * 90_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Vote i rates answer i (request id r<i>): every third 👎; every tenth answer has a second voter's 👍. */
function syntheticVotes(): { i: number; userId: string; vote: Vote }[] {
  const votes: { i: number; userId: string; vote: Vote }[] = [];
  for (let i = 0; i < VOTES; i++) {
    votes.push({ i, userId: `U${i % 997}`, vote: i % 3 === 0 ? 'down' : 'up' });
    if (i % 10 === 0) votes.push({ i, userId: 'U0SECOND', vote: 'up' });
  }
  return votes;
}

/** The verdict per request id a report should get: 👎 when any voter's vote is 👎. */
function expectedVerdicts(sinceMs: number): Map<string, Vote> {
  const out = new Map<string, Vote>();
  for (const { i, vote } of syntheticVotes()) {
    if (votedAt(i) < sinceMs) continue;
    if (vote === 'down' || !out.has(`r${i}`)) out.set(`r${i}`, vote);
  }
  return out;
}

async function writeVotes(url: string): Promise<void> {
  const client = new Redis(url);
  try {
    const votes = syntheticVotes();
    for (let start = 0; start < votes.length; start += 5_000) {
      const pipeline = client.pipeline();
      for (const { i, userId, vote } of votes.slice(start, start + 5_000)) {
        const messageRef = `C0DOCS:${1_700_000_000 + i}.000100`;
        const at = new Date(votedAt(i)).toISOString();
        const voteId = JSON.stringify(['slack', messageRef, userId]);
        pipeline.set(
          `askdocs:feedback:answer:${JSON.stringify(['slack', messageRef])}`,
          JSON.stringify({
            channelId: 'C0DOCS',
            userId: 'U0ASKER',
            question: `how do I configure feature ${i}?`,
            answer: `Set feature ${i} in milvus.yaml under the section that names it, then restart the cluster [1].`,
            sources: [{ n: 1, title: 'Configure Milvus', path: 'adminGuide/configure-docker.md' }],
            requestId: `r${i}`,
            answeredAt: at,
          }),
        );
        pipeline.hset(`askdocs:feedback:vote:${voteId}`, { platform: 'slack', messageRef, userId, vote, votedAt: at, createdAt: at });
        pipeline.zadd('askdocs:feedback:votes', votedAt(i), voteId);
      }
      await pipeline.exec();
    }
  } finally {
    client.disconnect();
  }
}

describe('gaps votes from Redis holding 60,000 votes', { skip: NO_REDIS }, () => {
  let server: TestRedis;
  let config: Config;

  before(async () => {
    server = await startTestRedis();
    config = loadConfig({ REDIS_URL: server.url }, { envFile: false });
    assert.equal(config.feedbackStore, 'redis');
    await writeVotes(server.url);
  });
  after(async () => {
    await server?.close();
  });

  it("reads a week's window of votes, only those, with the verdict of each answer", async () => {
    const since = NOW - 7 * DAY_MS;
    const week = await votesFromConfig(config, { since: new Date(since) });
    const expected = expectedVerdicts(since);
    assert.equal(expected.size, 6_721, 'the window holds a week of the 62 days');
    assert.deepEqual(week, expected);
  });

  it('reads all 60,000 when asked for no window, without a command timing out', async () => {
    const all = await votesFromConfig(config);
    assert.equal(all.size, VOTES);
    assert.deepEqual(all, expectedVerdicts(-Infinity));
  });
});
