/**
 * Baseline (b): the classic notebook RAG pipeline, as in Milvus's "Build RAG with
 * Milvus" tutorial: each markdown file is cut with `text.split("# ")`, each piece is
 * embedded as is, stored with inner-product metric, and a question is answered from
 * the top 3 dense hits. Follow-ups are searched as asked: no thread history.
 *
 * Differences from the notebook, all neutral or in its favour: the same embedding
 * model as askdocs (not OpenAI's), empty pieces dropped instead of embedded, and the
 * rows live in askdocs' own collection layout (only its dense field is searched, HNSW
 * with ef=128, which is exact at this size).
 */
import { readFile } from 'node:fs/promises';
import type { Embedder } from '../../src/embeddings/index.ts';
import type { Question, RetrievalResult } from '../../src/engine/types.ts';
import { sha256 } from '../../src/ingest/document.ts';
import { scanFolder } from '../../src/ingest/scan.ts';
import type { ChunkStore, StoredChunkRow } from '../../src/milvus/store.ts';
import { locatePieces, sectionHeadingAt } from './sections.ts';

export const NOTEBOOK_TOP_K = 3;
const BATCH = 64;

export interface BaselineChunk {
  path: string;
  text: string;
  headingPath: string[];
}

/** The notebook's chunks of one file: `split("# ")`, blank pieces dropped. */
export function notebookChunks(source: string, path: string): BaselineChunk[] {
  const pieces = source.split('# ');
  const offsets = locatePieces(source, pieces);
  const chunks: BaselineChunk[] = [];
  pieces.forEach((text, i) => {
    if (text.trim() === '') return;
    const heading = sectionHeadingAt(source, Math.max(0, offsets[i] ?? 0));
    chunks.push({ path, text, headingPath: heading === undefined ? [] : [heading] });
  });
  return chunks;
}

export interface NotebookIndex {
  chunks: number;
  seconds: number;
}

/** Chunks every markdown file under `dir`, embeds the pieces and stores them. */
export async function buildNotebookIndex(options: { dir: string; store: ChunkStore; embedder: Embedder }): Promise<NotebookIndex> {
  const started = performance.now();
  const { store, embedder } = options;
  await store.ensureCollection({ model: embedder.model, dimension: embedder.dimension });
  const files = (await scanFolder(options.dir)).filter((file) => file.path.toLowerCase().endsWith('.md'));
  const chunks: BaselineChunk[] = [];
  for (const file of files) chunks.push(...notebookChunks(await readFile(file.absolutePath, 'utf8'), file.path));
  for (let i = 0; i < chunks.length; i += BATCH) {
    const batch = chunks.slice(i, i + BATCH);
    const vectors = await embedder.embedDocuments(batch.map((chunk) => chunk.text));
    const rows: StoredChunkRow[] = batch.map((chunk, j) => ({
      id: sha256(`notebook:${i + j}:${chunk.path}:${chunk.text}`).slice(0, 32),
      path: chunk.path,
      title: chunk.path,
      headingPath: chunk.headingPath,
      text: chunk.text,
      docHash: '',
      chunkIndex: i + j,
      vector: vectors[j]!,
    }));
    await store.upsert(rows);
  }
  return { chunks: chunks.length, seconds: (performance.now() - started) / 1000 };
}

/** Dense top-3 search on the last user message only. */
export function notebookRetriever(store: ChunkStore, embedder: Embedder): (question: Question) => Promise<RetrievalResult> {
  return async (question) => {
    const vector = await embedder.embedQuery(question.text);
    const hits = await store.denseSearch({ vector, limit: NOTEBOOK_TOP_K });
    return { query: question.text, rewrite: 'none', hits, abstain: false };
  };
}
