/**
 * Feedback records damaged outside askdocs (a row edited by hand, a value another tool
 * wrote): `askdocs feedback` and the gaps report read every vote through readFeedback, and
 * one record that is not JSON made the whole listing fail. The other votes must still be
 * listed, and the damaged one with what could be read.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { formatRecord } from '../src/cli/commands/feedback.ts';
import { loadConfig } from '../src/config.ts';
import { readFeedback } from '../src/feedback/reader.ts';
import { FeedbackStore } from '../src/feedback/store.ts';
import { openSqlite } from '../src/sqlite.ts';
import { NO_REDIS, startTestRedis } from './support/redis.ts';

const dir = mkdtempSync(join(tmpdir(), 'askdocs-feedback-damaged-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SOURCES = [{ n: 1, title: 'Manage Collections', path: 'userGuide/manage-collections.md' }];

describe('feedback with a damaged record', () => {
  it('SQLite: a row whose sources are not JSON is listed without them, and the other votes are listed', async () => {
    const file = join(dir, 'feedback.sqlite');
    const store = FeedbackStore.open(file);
    for (const [ref, question] of [
      ['C1:1', 'How do I create a collection?'],
      ['C1:2', 'How do I drop a collection?'],
    ] as const) {
      store.saveAnswer({ platform: 'slack', messageRef: ref, question, answer: 'See [1].', sources: SOURCES });
      store.recordVote({ platform: 'slack', messageRef: ref, userId: 'U1', vote: 'down' });
    }
    store.close();
    const db = openSqlite(file);
    db.exec(`UPDATE answers SET sources = '{"n": 1, "title": "cut sh' WHERE message_ref = 'C1:1'`);
    db.close();

    const records = await readFeedback(loadConfig({ FEEDBACK_DB: file }, { envFile: false }), { limit: 10 });
    assert.deepEqual(records.map((r) => [r.question, r.sources.length]).sort(), [
      ['How do I create a collection?', 0],
      ['How do I drop a collection?', 1],
    ]);
    for (const record of records) assert.match(formatRecord(record), /How do I (create|drop) a collection\?/);
  });

  it('Redis: an answer value that is not JSON, or JSON of the wrong shape, still lists its vote', { skip: NO_REDIS }, async () => {
    const server = await startTestRedis();
    const client = new Redis(server.url);
    try {
      const answers: Record<string, string> = {
        'C1:1': JSON.stringify({ question: 'How do I create a collection?', answer: 'See [1].', sources: SOURCES, answeredAt: '' }),
        'C1:2': '{"question": "cut sh',
        'C1:3': JSON.stringify({ question: 42, answer: 'See [1].', sources: 'not a list' }),
      };
      for (const [i, [ref, value]] of Object.entries(answers).entries()) {
        const at = new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString();
        const voteId = JSON.stringify(['slack', ref, 'U1']);
        await client.set(`askdocs:feedback:answer:${JSON.stringify(['slack', ref])}`, value);
        await client.hset(`askdocs:feedback:vote:${voteId}`, {
          platform: 'slack',
          messageRef: ref,
          userId: 'U1',
          vote: 'down',
          votedAt: at,
        });
        await client.zadd('askdocs:feedback:votes', Date.parse(at), voteId);
      }
      const records = await readFeedback(loadConfig({ REDIS_URL: server.url }, { envFile: false }), { limit: 10 });
      assert.deepEqual(
        records.map((r) => [r.messageRef, r.question, r.sources.length]),
        [
          ['C1:3', '', 0],
          ['C1:2', '', 0],
          ['C1:1', 'How do I create a collection?', 1],
        ],
      );
      for (const record of records) assert.ok(formatRecord(record).length > 0);
    } finally {
      client.disconnect();
      await server.close();
    }
  });
});
