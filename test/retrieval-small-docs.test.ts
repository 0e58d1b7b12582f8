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
    // The product's name is looked up once (up to a quarter of the chunks' ids), then remembered.
    const lookups: string[][] = [];
    const counting = createRetriever({
      store: new Proxy(store, {
        get: (target, key) =>
          key === 'termFrequencies'
            ? (terms: string[], atMost: number) => {
                lookups.push(terms);
                return target.termFrequencies(terms, atMost);
              }
            : Reflect.get(target, key, target),
      }),
      embedder: await testEmbedder(),
      config: testConfig(),
    });
    for (const question of ['what was added in acme 3.0?', 'is acme 3.0 out yet?'])
      assert.equal((await counting.retrieve({ text: question })).abstain, true);
    assert.deepEqual(
      lookups.filter((terms) => terms.includes('acme')),
      [['acme']],
    );
    const known = await retriever.retrieve({ text: 'what was added in acme 2.0.0?' });
    assert.equal(known.abstain, false);
    assert.equal(known.hits[0]?.path, 'changelog.md');
  });

  it("puts the section of the release asked about first among its page's sections", async () => {
    // Every release has its "Added" and "Fixed"; the embedder reads 2.1.0 and 1.9.0 alike.
    for (const [question, release, heading] of [
      ['What was fixed in 2.1.0?', '[2.1.0] - 2024-03-02', 'Fixed'],
      ['What was added in 2.0.0?', '[2.0.0] - 2024-01-15', 'Added'],
      ['What was fixed in 1.9.0?', '[1.9.0] - 2023-11-20', 'Fixed'],
    ] as const) {
      const result = await retriever.retrieve({ text: question });
      assert.equal(result.abstain, false, question);
      assert.deepEqual(result.hits[0]?.headingPath, ['Changelog', release, heading], question);
    }
  });

  it("does not take another product's release for the subject", async () => {
    const result = await retriever.retrieve({ text: 'how many characters can a project name have? we migrate from jira 9.4' });
    assert.equal(result.abstain, false);
    assert.equal(result.hits[0]?.path, 'guides/managing-projects.md');
  });
});
