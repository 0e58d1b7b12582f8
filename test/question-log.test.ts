/**
 * The question log against a real Milvus Lite and the real embedding model:
 * what a logged question holds (hashed user, standalone form, mode, relevance,
 * cited paths, vector), that eval runs are not logged, retention, QUESTION_LOG=off
 * through the real runtime, and that a Milvus that is down or hangs never holds up
 * or fails an answer.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/answer/engine.ts';
import type { AnswerEvent, Engine, Question } from '../src/engine/types.ts';
import { createLogger } from '../src/logger.ts';
import { createQuestionLog, hashUserId } from '../src/questions/log.ts';
import { QuestionStore } from '../src/questions/store.ts';
import { createRetriever } from '../src/retrieval/retriever.ts';
import { openRuntime } from '../src/runtime.ts';
import { NEEDS_SHARED, startTestMilvus, type TestMilvus, testConfig } from './support/milvus.ts';
import { connectStore, copyCorpusPages, ingestWithDefaults, testEmbedder } from './support/retrieval-fixture.ts';

const PAGES = ['faq/product_faq.md', 'reference/index.md', 'adminGuide/authenticate.md'];
const COLLECTION = 'qlog';
const DAY = 24 * 60 * 60 * 1000;
const logger = createLogger({ level: 'silent' });

async function finalOf(events: AsyncIterable<AnswerEvent>): Promise<Extract<AnswerEvent, { type: 'final' }>> {
  let final: Extract<AnswerEvent, { type: 'final' }> | undefined;
  for await (const event of events) if (event.type === 'final') final = event;
  assert.ok(final, 'the answer has a final event');
  return final;
}

describe('question log', { skip: NEEDS_SHARED }, () => {
  let milvus: TestMilvus;
  const config = () => testConfig({ MILVUS_COLLECTION: COLLECTION });

  before(async () => {
    milvus = await startTestMilvus();
    const store = await connectStore(milvus.address, COLLECTION);
    await ingestWithDefaults(await copyCorpusPages(PAGES), store);
    await store.close();
  });
  after(() => milvus?.stop());

  async function engineWith(observer: Parameters<typeof createEngine>[0]['observer']): Promise<Engine> {
    const store = await connectStore(milvus.address, COLLECTION);
    const retriever = createRetriever({ store, embedder: await testEmbedder(), config: config(), logger });
    return createEngine({ retriever, config: config(), logger, llm: null, observer });
  }

  function logOn(collection: string, now?: () => Date) {
    return createQuestionLog({
      config: testConfig({ MILVUS_COLLECTION: collection }),
      embedder: { embedQuery: async (text) => (await testEmbedder()).embedQuery(text) },
      logger,
      connect: () => QuestionStore.connect({ address: milvus.address, collection: `${collection}_questions` }),
      now,
    });
  }

  it('records an answered and an abstained question with hashed user, mode, relevance, citations and vector', async () => {
    const log = logOn('rec');
    const engine = await engineWith(log);
    const scope = { platform: 'slack' as const, userId: 'U024BE7LH', channelId: 'C1' };
    const answered = await finalOf(engine.answer({ text: 'what is the maximum dimension of a vector field?', scope }));
    const abstained = await finalOf(
      engine.answer({ text: 'can I pay the enterprise invoice with a purchase order?', scope: { platform: 'discord', userId: '42' } }),
    );
    await log.flush();
    assert.deepEqual(log.stats(), { written: 2, failed: 0, dropped: 0 });

    const store = await QuestionStore.connect({ address: milvus.address, collection: 'rec_questions' });
    const rows = await store.list(new Date(0));
    await store.close();
    await log.close();
    assert.equal(rows.length, 2);
    const [first, second] = rows.sort((a, b) => a.askedAt.getTime() - b.askedAt.getTime());
    assert.equal(first!.platform, 'slack');
    assert.equal(first!.question, 'what is the maximum dimension of a vector field?');
    assert.equal(first!.standalone, answered.standaloneQuery);
    assert.equal(first!.mode, 'extractive');
    assert.equal(first!.abstained, false);
    assert.equal(first!.requestId, answered.requestId);
    assert.deepEqual(first!.citedPaths, [...new Set(answered.citations.map((c) => c.path))]);
    assert.ok(first!.citedPaths.length > 0);
    assert.ok(first!.relevance >= testConfig().retrieval.abstainThreshold, `relevance ${first!.relevance}`);
    assert.equal(first!.vector.length, 384);
    // The user id never appears as such: only its hash, 64 hex digits.
    assert.match(first!.userHash, /^[0-9a-f]{64}$/);
    assert.notEqual(first!.userHash, 'U024BE7LH');
    assert.equal(first!.userHash, hashUserId('slack', 'U024BE7LH', ''));
    assert.notEqual(hashUserId('slack', 'U024BE7LH', 'salt'), first!.userHash, 'the salt changes the hash');

    assert.equal(abstained.abstained, true);
    assert.equal(second!.platform, 'discord');
    assert.equal(second!.mode, 'abstained');
    assert.equal(second!.abstained, true);
    assert.ok(second!.relevance < testConfig().retrieval.abstainThreshold, `relevance ${second!.relevance}`);
  });

  it('does not log eval or bench questions', async () => {
    const log = logOn('evalonly');
    const engine = await engineWith(log);
    await finalOf(engine.answer({ text: 'what is the maximum dimension of a vector field?', scope: { platform: 'eval' } }));
    await log.flush();
    assert.deepEqual(log.stats(), { written: 0, failed: 0, dropped: 0 });
    await log.close();
  });

  it('deletes questions older than QUESTION_LOG_RETENTION_DAYS (default 90) on write', async () => {
    const now = new Date('2026-06-01T12:00:00Z');
    const log = logOn('retention', () => now);
    const ages = [120, 91, 89, 1];
    const engine = await engineWith({
      // Backdate each question as it is logged: 120, 91, 89 and 1 days old.
      answered: (q) => log.answered({ ...q, askedAt: new Date(now.getTime() - ages.shift()! * DAY) }),
    });
    for (const text of ['how do I enable authentication?', 'what index types exist?', 'is milvus free?', 'what is a collection?']) {
      await finalOf(engine.answer({ text, scope: { platform: 'cli' } }));
    }
    await log.flush();
    assert.equal(log.stats().written, 4);
    await log.close();
    // Retention ran on the first write (deleting the 120-day one); a later process runs it again.
    const next = logOn('retention', () => now);
    const engine2 = await engineWith(next);
    await finalOf(engine2.answer({ text: 'how do I create an index?', scope: { platform: 'cli' } }));
    await next.flush();
    await next.close();
    const store = await QuestionStore.connect({ address: milvus.address, collection: 'retention_questions' });
    const left = await store.list(new Date(0));
    await store.close();
    const days = left.map((row) => Math.round((now.getTime() - row.askedAt.getTime()) / DAY)).sort((a, b) => a - b);
    assert.equal(days.filter((d) => d > 90).length, 0, `nothing older than 90 days is kept: ${days}`);
    assert.ok(days.includes(89) && days.includes(1), `recent ones stay: ${days}`);
  });

  it('QUESTION_LOG=off: the runtime has no log and the questions collection is never created', async () => {
    const off = testConfig({ MILVUS_URI: `http://${milvus.address}`, MILVUS_COLLECTION: COLLECTION, QUESTION_LOG: 'off' });
    assert.equal(off.questionLog.enabled, false);
    const runtime = await openRuntime(off, { logger });
    assert.equal(runtime.questionLog, undefined);
    await finalOf(runtime.engine.answer({ text: 'how do I enable authentication?', scope: { platform: 'cli' } }));
    await runtime.close();
    const store = await QuestionStore.connect({ address: milvus.address, collection: `${COLLECTION}_questions` });
    assert.equal(await store.exists(), false);
    await store.close();

    // And on (the default): the same runtime writes the question before close returns.
    const on = testConfig({ MILVUS_URI: `http://${milvus.address}`, MILVUS_COLLECTION: COLLECTION });
    const runtimeOn = await openRuntime(on, { logger });
    await finalOf(runtimeOn.engine.answer({ text: 'how do I enable authentication?', scope: { platform: 'cli' } }));
    await runtimeOn.close();
    const store2 = await QuestionStore.connect({ address: milvus.address, collection: `${COLLECTION}_questions` });
    assert.equal((await store2.list(new Date(0))).length, 1);
    await store2.close();
  });

  describe('a down Milvus on the answer path', () => {
    let port: number;
    before(async () => {
      // A port nothing listens on: connections are refused, as with Milvus stopped.
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      port = (probe.address() as { port: number }).port;
      await new Promise((resolve) => probe.close(resolve));
    });

    function downLog(gate: Promise<void> = Promise.resolve()) {
      return createQuestionLog({
        config: testConfig(),
        embedder: { embedQuery: async (text) => (await testEmbedder()).embedQuery(text) },
        logger,
        connect: () => gate.then(() => QuestionStore.connect({ address: `127.0.0.1:${port}`, collection: 'x_questions' })),
      });
    }

    it('answers while the log is stuck connecting; the writes are still pending when the answers are out', async () => {
      let release!: () => void;
      const log = downLog(new Promise<void>((resolve) => (release = resolve)));
      const engine = await engineWith(log);
      const questions: Question[] = [
        { text: 'how do I enable authentication?', scope: { platform: 'slack', userId: 'U1' } },
        { text: 'what is the maximum dimension of a vector field?', scope: { platform: 'slack', userId: 'U1' } },
      ];
      for (const question of questions) {
        const final = await finalOf(engine.answer(question));
        assert.equal(final.abstained, false);
        assert.ok(final.citations.length > 0);
      }
      assert.deepEqual(log.stats(), { written: 0, failed: 0, dropped: 0 }, 'nothing written or failed yet');
      release();
      await log.flush(60_000);
      assert.deepEqual(log.stats(), { written: 0, failed: 2, dropped: 0 }, 'both writes failed, quietly');
      await log.close();
    });

    it('answers normally when Milvus refuses connections; the failed write is only counted', async () => {
      const log = downLog();
      const engine = await engineWith(log);
      const final = await finalOf(engine.answer({ text: 'how do I enable authentication?', scope: { platform: 'discord' } }));
      assert.equal(final.abstained, false);
      await log.flush(60_000);
      assert.deepEqual(log.stats(), { written: 0, failed: 1, dropped: 0 });
      await log.close();
    });
  });
});
