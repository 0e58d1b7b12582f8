/**
 * `ask --path <prefix>` against the real embedded Milvus engine: the prefix matches
 * literally in every kind of search, whatever it holds (`_` and `%`, which `like`
 * reads as wildcards, quotes, backslashes, accented letters).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChunkStore } from '../src/milvus/store.ts';
import { startTestMilvus, type TestMilvus } from './support/milvus.ts';

const PATHS = [
  'faq/product_faq.md',
  'faq/productXfaq.md',
  '100%/a.md',
  '100%b.md',
  '100x/a.md',
  'say "hi"/a.md',
  'say hi/a.md',
  'back\\slash/a.md',
  'back\\_s/a.md',
  'backXslash/a.md',
  'café/a.md',
  'cafe/a.md',
];

const VECTOR = [0.5, 0.5, 0.5, 0.5];

describe('path prefixes (real Milvus Lite)', { timeout: 120_000 }, () => {
  let milvus: TestMilvus;
  let store: ChunkStore;

  before(async () => {
    milvus = await startTestMilvus();
    store = await ChunkStore.connect({ address: milvus.address, collection: 'path_prefix_test' });
    await store.ensureCollection({ model: 'test-model', dimension: VECTOR.length });
    await store.upsert(
      PATHS.map((path, i) => ({
        id: `row${i}`,
        path,
        docHash: 'hash',
        chunkIndex: 0,
        title: `Doc ${i}`,
        headingPath: ['Doc'],
        text: 'vectors and the engine',
        vector: VECTOR,
      })),
    );
  });

  after(async () => {
    await store?.close();
    await milvus?.stop();
  });

  /** The paths each kind of search finds under `prefix`, sorted. */
  async function found(prefix: string): Promise<Record<string, string[]>> {
    const options = { limit: 50, pathPrefix: prefix };
    const paths = (hits: { path: string }[]) => hits.map((hit) => hit.path).sort();
    return {
      dense: paths(await store.denseSearch({ ...options, vector: VECTOR })),
      bm25: paths(await store.bm25Search({ ...options, text: 'engine vectors' })),
      hybrid: paths(await store.hybridSearch({ ...options, vector: VECTOR, text: 'engine vectors' })),
    };
  }

  const cases: [prefix: string, expected: string[]][] = [
    ['faq/product_faq', ['faq/product_faq.md']],
    ['faq/product_', ['faq/product_faq.md']],
    ['faq/', ['faq/productXfaq.md', 'faq/product_faq.md']],
    ['100%', ['100%/a.md', '100%b.md']],
    ['100%/', ['100%/a.md']],
    ['say "hi"', ['say "hi"/a.md']],
    ['back\\slash', ['back\\slash/a.md']],
    ['back\\_', ['back\\_s/a.md']],
    ['café', ['café/a.md']],
    ['caf', ['cafe/a.md', 'café/a.md']],
    ['nowhere/', []],
  ];

  for (const [prefix, expected] of cases) {
    it(`--path ${JSON.stringify(prefix)} finds exactly ${JSON.stringify(expected)}`, async () => {
      assert.deepEqual(await found(prefix), { dense: expected, bm25: expected, hybrid: expected });
    });
  }
});
