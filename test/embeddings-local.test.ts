/**
 * The default local model (all-MiniLM-L6-v2-int8, the real graph from `models/`): a
 * text's vector must not depend on what else is embedded at the same time. The int8
 * graph scales its activations per input tensor, so in a batch the neighbours changed
 * a text's vector; a question asked while another was being answered got other sources.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Embedder } from '../src/embeddings/index.ts';
import { setupStepFor } from '../src/embeddings/local.ts';
import { testEmbedder } from './support/retrieval-fixture.ts';

const QUESTION = 'where does milvus store data?';
const CHUNK =
  'Product FAQ › Where does Milvus store data?\nMilvus deals with two types of data, inserted data and metadata. ' +
  'Inserted data, including vector data, scalar data, and collection-specific schema, are stored in persistent storage as incremental log.';
const LONG = 'Configure the query node: '.repeat(60);

function largestDifference(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((value, i) => Math.abs(value - b[i]!)));
}

describe('local embeddings do not depend on their neighbours', () => {
  let embedder: Embedder;
  before(async () => {
    embedder = await testEmbedder();
  });

  it('gives a question the same vector alone and while another question is embedded', async () => {
    const alone = await embedder.embedQuery(QUESTION);
    const [together] = await Promise.all([embedder.embedQuery(QUESTION), embedder.embedQuery(LONG)]);
    assert.ok(largestDifference(alone, together!) < 1e-6, 'the same vector');
  });

  it('gives a chunk the same vector whatever else its ingest batch holds', async () => {
    const [alone] = await embedder.embedDocuments([CHUNK]);
    const batch = await embedder.embedDocuments([LONG, CHUNK, 'Short.']);
    assert.equal(batch.length, 3);
    assert.ok(largestDifference(alone!, batch[1]!) < 1e-6, 'the same vector');
    assert.ok(largestDifference(batch[0]!, batch[1]!) > 0.01, 'and different texts still differ');
  });
});

describe('a local model that is not set up', () => {
  it('names the set-up step that builds it: the opt-in models have their own flag', () => {
    assert.equal(setupStepFor('nomic-embed-text-v1.5'), 'run `bash scripts/setup.sh --with-nomic` to build it');
    assert.equal(setupStepFor('sentence-transformers/all-mpnet-base-v2'), 'run `bash scripts/setup.sh --with-mpnet` to build it');
    assert.equal(setupStepFor('all-MiniLM-L6-v2-int8'), 'run `npm run setup` for the default model');
  });
});
