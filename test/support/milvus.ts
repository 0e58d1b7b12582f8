/**
 * Test support: a real Milvus Lite server on a free port with a throw-away data
 * directory, and a Config for tests that never reads the developer's .env.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Config, loadConfig } from '../../src/config.ts';
import { createEmbedder } from '../../src/embeddings/index.ts';
import { ingestFolder } from '../../src/ingest/ingest.ts';
import { startMilvusLite } from '../../src/milvus/lite-server.ts';
import { ChunkStore } from '../../src/milvus/store.ts';
import { PACKAGE_ROOT } from '../../src/paths.ts';

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

/** A Config built from defaults plus `overrides` (env-style names), ignoring .env and the real environment. */
export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', ...overrides } as NodeJS.ProcessEnv, { envFile: false });
}

/** The Milvus 2.4 docs corpus beside the project (read-only; never copied into the repo). */
export const CORPUS_DIR = process.env.ASKDOCS_CORPUS ?? resolve(PACKAGE_ROOT, '../shared/corpus/milvus-docs-2.4.x');
export const EVAL_SET = process.env.ASKDOCS_EVAL_SET ?? resolve(PACKAGE_ROOT, '../shared/eval/dev.jsonl');

/**
 * `describe(..., { skip: NEEDS_SHARED })`: tests built on the corpus or the eval set
 * are skipped, with this reason, in a checkout that has no ../shared beside it.
 */
export const NEEDS_SHARED: string | false =
  existsSync(CORPUS_DIR) && existsSync(EVAL_SET)
    ? false
    : `needs the Milvus docs corpus and eval set beside the checkout (../shared), or ASKDOCS_CORPUS and ASKDOCS_EVAL_SET`;

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
