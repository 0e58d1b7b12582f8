/**
 * Baseline (c): what a LangChain.js user gets from the documented recipe —
 * `RecursiveCharacterTextSplitter` with its defaults (1000 characters, 200 overlap),
 * `@langchain/community`'s `Milvus` vector store with its defaults (HNSW M=8,
 * efConstruction=64, L2 metric, search ef=10), dense vectors only, and the
 * question searched as asked (a plain vector-store retriever has no thread history).
 *
 * Our embedder is wrapped in a LangChain `Embeddings` subclass so all pipelines embed
 * with the same model. The store talks to the embedded engine through the same Node
 * SDK. Two settings differ from its defaults, because the native Milvus Lite engine
 * needs them: the index is FLAT (Lite builds only FLAT, IVF_FLAT and AUTOINDEX, and
 * answers HNSW with an error LangChain does not check; exact search can only help
 * the baseline's recall), and the collection check uses the collection list (Lite's
 * HasCollection answers true for any name, and LangChain then never creates it).
 * Its L2 metric on our unit-length vectors ranks exactly like inner product.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Milvus } from '@langchain/community/vectorstores/milvus';
import { Document } from '@langchain/core/documents';
import { Embeddings } from '@langchain/core/embeddings';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import type { Embedder } from '../../src/embeddings/index.ts';
import type { Question, RetrievalResult, RetrievedChunk } from '../../src/engine/types.ts';
import { scanFolder } from '../../src/ingest/scan.ts';
import { lineOffset, sectionHeadingAt } from './sections.ts';

/** Enough to score recall@5 (LangChain's own `asRetriever()` default is k=4). */
export const LANGCHAIN_TOP_K = 5;

export class AskdocsEmbeddings extends Embeddings {
  constructor(private readonly embedder: Embedder) {
    super({});
  }

  embedDocuments(documents: string[]): Promise<number[][]> {
    return this.embedder.embedDocuments(documents);
  }

  embedQuery(document: string): Promise<number[]> {
    return this.embedder.embedQuery(document);
  }
}

function store(options: { address: string; collection: string; embedder: Embedder }): Milvus {
  const milvus = new Milvus(new AskdocsEmbeddings(options.embedder), {
    collectionName: options.collection,
    indexCreateOptions: { index_type: 'FLAT', metric_type: 'L2', params: {} },
    // A longer per-call deadline than the SDK's default: on a busy 2-core machine Milvus
    // Lite can take a while to answer right after a large write (it is the same
    // deadline askdocs' own store uses). Nothing else needed setting for Milvus Lite.
    clientConfig: { address: options.address, timeout: 60_000 },
  });
  milvus.hasCollection = async () => {
    const listed = await milvus.client.listCollections();
    return (listed.data ?? []).some((c) => c.name === options.collection);
  };
  return milvus;
}

/** Loads every document under `dir` the way LangChain's loaders do: one Document per file, `source` = path. */
async function loadDocuments(dir: string): Promise<Document[]> {
  const files = await scanFolder(dir);
  return Promise.all(
    files.map(async (file) => new Document({ pageContent: await readFile(file.absolutePath, 'utf8'), metadata: { source: file.path } })),
  );
}

export interface LangChainIngest {
  files: number;
  chunks: number;
  seconds: number;
}

export async function ingestWithLangChain(options: {
  dir: string;
  address: string;
  collection: string;
  embedder: Embedder;
}): Promise<LangChainIngest> {
  const started = performance.now();
  const documents = await loadDocuments(options.dir);
  const chunks = await new RecursiveCharacterTextSplitter().splitDocuments(documents);
  await store(options).addDocuments(chunks);
  return { files: documents.length, chunks: chunks.length, seconds: (performance.now() - started) / 1000 };
}

/** similaritySearch(question, 5) on the last user message; hits carry the section they start in. */
export function langchainRetriever(options: { dir: string; address: string; collection: string; embedder: Embedder }): {
  retrieve(question: Question): Promise<RetrievalResult>;
  close(): Promise<void>;
} {
  const vectorStore = store(options);
  const sources = new Map<string, Promise<string>>();
  const sourceOf = (path: string) => {
    let text = sources.get(path);
    if (!text) {
      text = readFile(join(options.dir, path), 'utf8');
      sources.set(path, text);
    }
    return text;
  };
  const retrieve = async (question: Question): Promise<RetrievalResult> => {
    const results = await vectorStore.similaritySearchWithScore(question.text, LANGCHAIN_TOP_K);
    const hits: RetrievedChunk[] = await Promise.all(
      results.map(async ([document, score], rank) => {
        const path = String(document.metadata.source);
        const source = await sourceOf(path);
        const from = (document.metadata.loc as { lines?: { from?: number } } | undefined)?.lines?.from ?? 1;
        const found = source.indexOf(document.pageContent, lineOffset(source, from));
        const heading = sectionHeadingAt(source, found >= 0 ? found : lineOffset(source, from));
        return {
          id: `langchain-${rank}`,
          path,
          title: path,
          headingPath: heading === undefined ? [] : [heading],
          text: document.pageContent,
          score,
          similarity: Number.NaN,
        };
      }),
    );
    return { query: question.text, rewrite: 'none', hits, abstain: false };
  };
  return { retrieve, close: () => vectorStore.client.closeConnection().then(() => undefined) };
}
