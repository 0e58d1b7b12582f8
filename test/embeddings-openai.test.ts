/**
 * Embeddings from an OpenAI-compatible server (EMBEDDING_PROVIDER=openai), against the
 * local fake that speaks the `/v1/embeddings` wire format: a stuck server fails a
 * question quickly and plainly, while ingest batches keep their longer budget.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAIEmbedder } from '../src/embeddings/openai.ts';
import { AskdocsError } from '../src/errors.ts';
import { type FakeLlm, startFakeLlm } from './fakes/llm-server.ts';

describe('OpenAI-compatible embeddings', () => {
  let server: FakeLlm;
  before(async () => {
    server = await startFakeLlm();
  });
  after(async () => {
    await server.close();
  });

  it('a server that answers fewer vectors than texts, or vectors of another length, is named in one plain line', async () => {
    const embedder = await createOpenAIEmbedder({ model: 'fake-embed', baseURL: server.url, batchSize: 8 });
    server.failNext({ type: 'vectors', count: 1, route: 'embeddings' });
    await assert.rejects(
      embedder.embedDocuments(['first page', 'second page']),
      new RegExp(
        `^AskdocsError: The embedding service at 127\\.0\\.0\\.1:${server.port} answered 1 vector for 2 texts: check that EMBEDDING_MODEL \\(fake-embed\\) names an embedding model, and the same one the index was built with\\.$`,
      ),
    );
    server.failNext({ type: 'vectors', dim: 768, route: 'embeddings' });
    await assert.rejects(embedder.embedQuery('where does milvus store data?'), /answered a vector of length 768 where 384 was expected/);
    assert.equal((await embedder.embedQuery('where does milvus store data?')).length, 384, 'the next answer is fine again');
  });

  it('a question on a stuck server fails within its own short budget; an ingest batch waits its longer one', async () => {
    const embedder = await createOpenAIEmbedder({
      model: 'fake-embed',
      baseURL: server.url,
      batchSize: 8,
      timeoutMs: 2_000,
      maxRetries: 0,
      queryTimeoutMs: 300,
    });
    assert.equal(embedder.dimension, 384);
    assert.equal((await embedder.embedQuery('where does milvus store data?')).length, 384);

    server.failNext({ type: 'hang', route: 'embeddings' }, { type: 'hang', route: 'embeddings' });
    let started = performance.now();
    await assert.rejects(embedder.embedQuery('how do I create an index?'), (error: unknown) => {
      assert.ok(error instanceof AskdocsError);
      assert.match(error.message, /^The embedding service at 127\.0\.0\.1:\d+ failed: Request timed out\.$/);
      return true;
    });
    const question = performance.now() - started;
    assert.ok(question < 1_900, `a question gave up after ${Math.round(question)} ms (two attempts of 300 ms)`);

    server.failNext({ type: 'hang', route: 'embeddings' });
    started = performance.now();
    await assert.rejects(embedder.embedDocuments(['a page of the docs']), AskdocsError);
    assert.ok(performance.now() - started >= 1_900, 'an ingest batch waits its own timeout');
  });
});
