/**
 * ingestFolder with the rows kept in memory and every text embedded as the same vector: for
 * tests of what a docs folder indexes as (which pages, their titles and text), where Milvus and
 * the model take no part. Retrieval tests ingest into the real engine with the real model.
 */
import { type IngestStore, ingestFolder } from '../../src/ingest/ingest.ts';
import type { Logger } from '../../src/logger.ts';

export interface StoredRow {
  path: string;
  title: string;
  headingPath: string[];
  text: string;
  searchText: string;
}

export async function ingestToMemory(dir: string, logger?: Logger): Promise<StoredRow[]> {
  const rows: StoredRow[] = [];
  const store = {
    exists: async () => false,
    ensureCollection: async () => {},
    exampleLink: async () => undefined,
    upsert: async (batch: StoredRow[]) => void rows.push(...batch),
    idsByPath: async () => new Map(),
    vectorsByEmbeddedText: async () => new Map(),
    allPaths: async () => [],
    deleteIds: async () => {},
    deletePaths: async () => {},
  } as unknown as IngestStore;
  const embedder = { model: 'fake', dimension: 2, embedDocuments: async (texts: string[]) => texts.map(() => [1, 0]) };
  await ingestFolder({ dir, store, embedder, maxChars: 1600, overlapChars: 200, batchSize: 16, logger });
  return rows;
}
