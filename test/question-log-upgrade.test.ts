/**
 * The question log collection from before thread links (no `thread_ref` field) on a
 * real Milvus Lite, with real question vectors: the first write upgrades it by copy
 * without losing or doubling a row, old rows keep every field (and get no thread), and
 * each state a crash can leave the copy in is finished on the next use.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DataType, type MilvusClient } from '@zilliz/milvus2-sdk-node';
import { collectionExists, connectMilvus } from '../src/milvus/client.ts';
import { type LoggedQuestion, QuestionStore } from '../src/questions/store.ts';
import { startTestMilvus, type TestMilvus } from './support/milvus.ts';
import { testEmbedder } from './support/retrieval-fixture.ts';

const QUESTIONS = [
  'how do I rotate the root password?',
  'can I pay the invoice with a purchase order?',
  'what is the maximum vector dimension?',
];

describe('question log: upgrading a collection from before thread links', () => {
  let milvus: TestMilvus;
  let client: MilvusClient;
  let old: LoggedQuestion[];

  before(async () => {
    milvus = await startTestMilvus();
    client = await connectMilvus({ address: milvus.address, timeoutMs: 15_000 });
    const embedder = await testEmbedder();
    old = await Promise.all(
      QUESTIONS.map(async (question, i) => ({
        id: randomBytes(16).toString('hex'),
        askedAt: new Date(Date.UTC(2026, 10, 20 + i)),
        platform: i === 0 ? 'slack' : 'discord',
        requestId: `req-${i}`,
        userHash: 'ab'.repeat(32),
        channelId: `C${i}`,
        thread: {},
        question,
        standalone: question,
        mode: 'abstained' as const,
        abstained: true,
        relevance: 0.25 + i / 10,
        citedPaths: [`faq/page-${i}.md`],
        vector: await embedder.embedQuery(question),
      })),
    );
  });
  after(async () => {
    await client?.closeConnection();
    await milvus?.stop();
  });

  /** The collection exactly as the first release of the question log created it. */
  async function legacyCollection(name: string, rows: LoggedQuestion[]): Promise<void> {
    const created = await client.createCollection({
      collection_name: name,
      fields: [
        { name: 'id', data_type: DataType.VarChar, is_primary_key: true, max_length: 32 },
        { name: 'asked_at', data_type: DataType.Int64 },
        { name: 'platform', data_type: DataType.VarChar, max_length: 16 },
        { name: 'request_id', data_type: DataType.VarChar, max_length: 128 },
        { name: 'user_hash', data_type: DataType.VarChar, max_length: 64 },
        { name: 'channel_id', data_type: DataType.VarChar, max_length: 128 },
        { name: 'question', data_type: DataType.VarChar, max_length: 16_000 },
        { name: 'standalone', data_type: DataType.VarChar, max_length: 16_000 },
        { name: 'mode', data_type: DataType.VarChar, max_length: 16 },
        { name: 'abstained', data_type: DataType.Bool },
        { name: 'relevance', data_type: DataType.Float },
        { name: 'cited_paths', data_type: DataType.VarChar, max_length: 8_192 },
        { name: 'vector', data_type: DataType.FloatVector, dim: rows[0]!.vector.length },
      ],
      index_params: [{ field_name: 'vector', index_type: 'HNSW', metric_type: 'IP', params: { M: 16, efConstruction: 100 } }],
    });
    assert.equal(created.error_code, 'Success');
    await client.loadCollectionSync({ collection_name: name });
    const inserted = await client.insert({
      collection_name: name,
      data: rows.map((row) => ({
        id: row.id,
        asked_at: row.askedAt.getTime(),
        platform: row.platform,
        request_id: row.requestId,
        user_hash: row.userHash,
        channel_id: row.channelId,
        question: row.question,
        standalone: row.standalone,
        mode: row.mode,
        abstained: row.abstained,
        relevance: row.relevance,
        cited_paths: JSON.stringify(row.citedPaths),
        vector: row.vector,
      })),
    });
    assert.equal(Number(inserted.insert_cnt), rows.length);
  }

  /** A collection in the current schema, as the upgrade writes its copy. */
  async function currentCollection(name: string, rows: LoggedQuestion[]): Promise<void> {
    const store = await QuestionStore.connect({ address: milvus.address, collection: name });
    await store.save(rows);
    await store.close();
  }

  async function fieldsOf(name: string): Promise<string[]> {
    return (await client.describeCollection({ collection_name: name })).schema.fields.map((f) => f.name);
  }

  function assertSameOldRows(rows: LoggedQuestion[]): void {
    for (const expected of old) {
      const found = rows.filter((row) => row.id === expected.id);
      assert.equal(found.length, 1, `one copy of "${expected.question}"`);
      const row = found[0]!;
      const { vector, relevance, ...rest } = row;
      const { vector: expectedVector, relevance: expectedRelevance, ...expectedRest } = expected;
      assert.deepEqual(rest, expectedRest);
      assert.ok(Math.abs(relevance - expectedRelevance) < 1e-6);
      assert.equal(vector.length, expectedVector.length);
      assert.ok(
        vector.every((v, i) => Math.abs(v - expectedVector[i]!) < 1e-6),
        'the vector is kept',
      );
    }
  }

  it('the first write upgrades it: old rows kept with every field, the new one with its thread', async () => {
    await legacyCollection('up1_questions', old);
    const store = await QuestionStore.connect({ address: milvus.address, collection: 'up1_questions' });
    const fresh: LoggedQuestion = {
      ...old[0]!,
      id: randomBytes(16).toString('hex'),
      askedAt: new Date(Date.UTC(2026, 10, 30)),
      requestId: 'req-new',
      thread: { workspaceId: 'T0TEAM', messageId: '1764000000.000100' },
    };
    await store.save([fresh]);
    const rows = await store.list(new Date(0));
    await store.close();
    assert.equal(rows.length, 4);
    assertSameOldRows(rows);
    assert.deepEqual(rows.find((row) => row.id === fresh.id)?.thread, { workspaceId: 'T0TEAM', messageId: '1764000000.000100' });
    assert.ok((await fieldsOf('up1_questions')).includes('thread_ref'));
    assert.equal(await collectionExists(client, 'up1_questions_upgrade'), false, 'the copy is dropped');
  });

  it('reading (askdocs gaps) works on an old collection and upgrades it too', async () => {
    await legacyCollection('up2_questions', old);
    const store = await QuestionStore.connect({ address: milvus.address, collection: 'up2_questions' });
    const rows = await store.list(new Date(0));
    await store.close();
    assert.equal(rows.length, 3);
    assertSameOldRows(rows);
  });

  it('a crash after the original was dropped: the whole copy refills it', async () => {
    await currentCollection('up3_questions_upgrade', old);
    const store = await QuestionStore.connect({ address: milvus.address, collection: 'up3_questions' });
    const rows = await store.list(new Date(0));
    await store.close();
    assert.equal(rows.length, 3);
    assertSameOldRows(rows);
    assert.equal(await collectionExists(client, 'up3_questions_upgrade'), false);
  });

  it('a crash while copying: the partial copy is made again from the original', async () => {
    await legacyCollection('up4_questions', old);
    await currentCollection('up4_questions_upgrade', old.slice(0, 1));
    const store = await QuestionStore.connect({ address: milvus.address, collection: 'up4_questions' });
    const rows = await store.list(new Date(0));
    await store.close();
    assert.equal(rows.length, 3);
    assertSameOldRows(rows);
  });

  it('a crash while refilling: the original is refilled from the whole copy, with no row twice', async () => {
    await currentCollection('up5_questions', old.slice(0, 1));
    await currentCollection('up5_questions_upgrade', old);
    const store = await QuestionStore.connect({ address: milvus.address, collection: 'up5_questions' });
    const rows = await store.list(new Date(0));
    await store.close();
    assert.equal(rows.length, 3);
    assertSameOldRows(rows);
  });
});
