/**
 * nomic-embed-text-v1.5 through askdocs' local embedder: the real converted model
 * (`scripts/setup.sh --with-nomic`), called with its task prefixes. Without the
 * model this file skips and says how to build it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { createLocalEmbedder } from '../src/embeddings/local.ts';
import { localModelProfile } from '../src/embeddings/profiles.ts';
import { dot, type Embedder } from '../src/embeddings/types.ts';

const MODELS = resolve(import.meta.dirname, '..', 'models');
const NOMIC = 'nomic-embed-text-v1.5';
const MISSING = existsSync(join(MODELS, NOMIC, 'onnx', 'model_quantized.onnx'))
  ? false
  : `models/${NOMIC} is not built (run scripts/setup.sh --with-nomic)`;

const PASSAGES = [
  'Milvus deals with two types of data, inserted data and metadata. Inserted data, including vector data, scalar data, and collection-specific schema, are stored in persistent storage as incremental log. Metadata is stored in etcd.',
  'To create an index on a vector field, call create_index with the index type, such as IVF_FLAT or HNSW, and the metric type.',
  'Partitions divide a collection into parts on disk; a search can be limited to some partitions to scan less data.',
];

function best(query: number[], passages: number[][]): number {
  const scores = passages.map((p) => dot(query, p));
  return scores.indexOf(Math.max(...scores));
}

describe('nomic-embed-text-v1.5 as the local embedder', { skip: MISSING }, () => {
  let nomic: Embedder;
  before(async () => {
    nomic = await createLocalEmbedder({ model: NOMIC, modelsDir: MODELS });
  });

  it('loads the converted nomic_bert graph as a 768-d model', () => {
    assert.equal(nomic.model, NOMIC);
    assert.equal(nomic.dimension, 768);
  });

  it('finds the passage that answers each question', async () => {
    const passages = await nomic.embedDocuments(PASSAGES);
    assert.equal(best(await nomic.embedQuery('Where does Milvus store data?'), passages), 0);
    assert.equal(best(await nomic.embedQuery('How do I build an HNSW index?'), passages), 1);
    assert.equal(best(await nomic.embedQuery('Can I search only part of a collection?'), passages), 2);
  });

  it('embeds questions and passages with their own task prefixes', async () => {
    const text = 'Where does Milvus store data?';
    const [asPassage] = await nomic.embedDocuments([text]);
    const asQuery = await nomic.embedQuery(text);
    assert.ok(dot(asQuery, asPassage!) < 0.99, 'the same text as a question and as a passage gets different vectors');
    const [again] = await nomic.embedDocuments([text]);
    assert.ok(dot(again!, asPassage!) > 0.999, 'the same passage gets the same vector');
  });
});

describe('symmetric models', () => {
  it('get no prefix and the 256-token limit MiniLM was trained with', () => {
    assert.deepEqual(localModelProfile('all-MiniLM-L6-v2-int8'), { queryPrefix: '', documentPrefix: '', maxTokens: 256 });
    assert.equal(localModelProfile(NOMIC).maxTokens, 512);
  });
});
