/**
 * Test support: a real Milvus Lite server on a free port with a throw-away data
 * directory, and ingesting into it as `askdocs ingest` would.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createEmbedder } from '../../src/embeddings/index.ts';
import { ingestFolder } from '../../src/ingest/ingest.ts';
import { DB_FILE, startMilvusLite } from '../../src/milvus/lite-server.ts';
import { ChunkStore } from '../../src/milvus/store.ts';
import { CORPUS_DIR, testConfig } from '../fakes/config.ts';

export interface TestMilvus {
  address: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** `seedDb`: a Milvus Lite database file the server starts from (copied; the original is never written). */
export async function startTestMilvus(options: { seedDb?: string } = {}): Promise<TestMilvus> {
  const dataDir = await mkdtemp(join(tmpdir(), 'askdocs-milvus-'));
  if (options.seedDb) await copyFile(options.seedDb, join(dataDir, DB_FILE));
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

/** The collection `startFaqMilvus` holds the FAQ pages in. */
export const FAQ_COLLECTION = 'faq';

/** Set by scripts/test.sh: the FAQ pages, ingested once for the whole run (test/support/faq-index.ts). */
export const FAQ_DB_ENV = 'ASKDOCS_TEST_FAQ_DB';

/**
 * A test Milvus holding the Milvus FAQ pages (CORPUS_DIR/faq) in FAQ_COLLECTION, as
 * `askdocs ingest` leaves them, for tests that answer from an index rather than test the
 * ingest. Under `npm test` the pages are ingested once and each server starts on its own
 * copy of that database (several files need them, and embedding them is most of what
 * their set-up costs); a test file run on its own ingests them itself.
 */
export async function startFaqMilvus(): Promise<TestMilvus> {
  const prebuilt = process.env[FAQ_DB_ENV];
  if (prebuilt) return startTestMilvus({ seedDb: prebuilt });
  const milvus = await startTestMilvus();
  try {
    await ingestInto(milvus, FAQ_COLLECTION, resolve(CORPUS_DIR, 'faq'));
  } catch (error) {
    await milvus.stop();
    throw error;
  }
  return milvus;
}
