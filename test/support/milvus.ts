/**
 * Test support: a real Milvus Lite server on a free port with a throw-away data
 * directory, and ingesting into it as `askdocs ingest` would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbedder } from '../../src/embeddings/index.ts';
import { ingestFolder } from '../../src/ingest/ingest.ts';
import { startMilvusLite } from '../../src/milvus/lite-server.ts';
import { ChunkStore } from '../../src/milvus/store.ts';
import { testConfig } from '../fakes/config.ts';

export interface TestMilvus {
  address: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestMilvus(): Promise<TestMilvus> {
  const dataDir = await mkdtemp(join(tmpdir(), 'askdocs-milvus-'));
  const server = await startMilvusLite({ dataDir });
  return {
    address: server.address,
    dataDir,
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Ingests `dir` into `collection` on a running test Milvus, exactly as `askdocs ingest` would. */
export async function ingestInto(milvus: { address: string }, collection: string, dir: string): Promise<void> {
  const config = testConfig({ MILVUS_URI: `http://${milvus.address}`, MILVUS_COLLECTION: collection });
  const store = await ChunkStore.connect({ address: milvus.address, collection });
  try {
    await ingestFolder({
      dir,
      store,
      embedder: await createEmbedder(config.embedding),
      maxChars: config.ingest.chunkMaxChars,
      overlapChars: config.ingest.chunkOverlapChars,
      batchSize: config.embedding.batchSize,
    });
  } finally {
    await store.close();
  }
}
