/**
 * Abstention rules on a team's own, small docs: a made-up product site ("Acme", about 60
 * chunks; test/fixtures/acme-docs, written for these tests by an outside tester), ingested
 * into the embedded engine with the real model. The rules were first written against the
 * Milvus docs (3,187 chunks); here a word in one chunk is common, and the product is not
 * called Milvus.
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChunkStore } from '../src/milvus/store.ts';
import { PACKAGE_ROOT } from '../src/paths.ts';
import { createRetriever, type Retriever } from '../src/retrieval/retriever.ts';
import { testConfig } from './fakes/config.ts';
import { startTestMilvus, type TestMilvus } from './support/milvus.ts';
import { connectStore, ingestWithDefaults, testEmbedder } from './support/retrieval-fixture.ts';

const DOCS = resolve(PACKAGE_ROOT, 'test/fixtures/acme-docs');

describe('abstention on a small product site', () => {
  let milvus: TestMilvus;
  let store: ChunkStore;
  let retriever: Retriever;

  before(async () => {
    milvus = await startTestMilvus();
    store = await connectStore(milvus.address, 'acme');
    await ingestWithDefaults(DOCS, store);
    retriever = createRetriever({ store, embedder: await testEmbedder(), config: testConfig() });
  });

  after(async () => {
    await store?.close();
    await milvus?.stop();
  });

  it('answers a question whose page ranks first, though one of its words is in only one chunk', async () => {
    // "long" is in one chunk here ("at most 64 characters long"), never in the embedding page.
    const result = await retriever.retrieve({ text: 'how long does an embed token last' });
    assert.equal(result.abstain, false);
    assert.equal(result.hits[0]?.path, 'reference/embedding.md');
  });

  it('declines a release of the product the docs never mention, named as the docs name it', async () => {
    const unknown = await retriever.retrieve({ text: 'what was added in acme 3.0?' });
    assert.equal(unknown.abstain, true);
    const known = await retriever.retrieve({ text: 'what was added in acme 2.0.0?' });
    assert.equal(known.abstain, false);
    assert.equal(known.hits[0]?.path, 'changelog.md');
  });

  it("does not take another product's release for the subject", async () => {
    const result = await retriever.retrieve({ text: 'how many characters can a project name have? we migrate from jira 9.4' });
    assert.equal(result.abstain, false);
    assert.equal(result.hits[0]?.path, 'guides/managing-projects.md');
  });
});
