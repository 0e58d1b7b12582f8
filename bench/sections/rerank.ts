/**
 * Reranking cost: the same questions retrieved from the same 1× collection with
 * RERANKER=features and RERANKER=off, interleaved question by question so both see
 * the same machine load. Each retrieval reports its own split (engine/types.ts
 * `timings`): searching (query embeddings and Milvus) and reranking (scoring the
 * candidates and dropping near-duplicates), so the reranker's own time is shown
 * apart from the extra searches it asks for.
 */
import type { Embedder } from '../../src/embeddings/index.ts';
import type { RetrievalResult } from '../../src/engine/types.ts';
import { type EvalItem, questionOf } from '../../src/eval/dataset.ts';
import { openAskdocs } from '../lib/askdocs.ts';
import { type Figure, figure } from '../lib/results.ts';
import { type Summary, summarize } from '../lib/stats.ts';

export interface RerankTimings {
  totalMs: Summary;
  searchMs: Summary;
  rerankMs: Summary;
}

export interface RerankSection {
  questions: number;
  features: RerankTimings;
  off: RerankTimings;
}

export async function measureRerank(options: {
  address: string;
  collection: string;
  embedder: Embedder;
  items: EvalItem[];
  log: (message: string) => void;
}): Promise<RerankSection> {
  const open = (reranker: string) =>
    openAskdocs({ address: options.address, collection: options.collection, embedder: options.embedder, env: { RERANKER: reranker } });
  const [features, off] = await Promise.all([open('features'), open('off')]);
  const samples = { features: [] as RetrievalResult[], off: [] as RetrievalResult[] };
  try {
    // One untimed pass loads the collection and warms the model and caches.
    for (const item of options.items.slice(0, 3)) {
      await features.engine.retrieve(questionOf(item));
      await off.engine.retrieve(questionOf(item));
    }
    for (const item of options.items) {
      samples.features.push(await features.engine.retrieve(questionOf(item)));
      samples.off.push(await off.engine.retrieve(questionOf(item)));
    }
  } finally {
    await Promise.all([features.close(), off.close()]);
  }
  const section = {
    questions: options.items.length,
    features: timingsOf(samples.features),
    off: timingsOf(samples.off),
  };
  options.log(
    `rerank: p50 ${section.features.totalMs.p50.toFixed(1)} ms with the reranker ` +
      `(reranking ${section.features.rerankMs.p50.toFixed(2)} ms), ${section.off.totalMs.p50.toFixed(1)} ms off`,
  );
  return section;
}

function timingsOf(results: RetrievalResult[]): RerankTimings {
  const pick = (key: 'totalMs' | 'searchMs' | 'rerankMs') => summarize(results.map((r) => r.timings?.[key] ?? Number.NaN));
  return { totalMs: pick('totalMs'), searchMs: pick('searchMs'), rerankMs: pick('rerankMs') };
}

export function rerankFigures(section: RerankSection): Figure[] {
  const off = { label: 'RERANKER=off', value: section.off.totalMs.p50 };
  return [
    figure('rerank', 'retrieve p50 at 1×, reranking included', 'ms', section.features.totalMs.p50, [off]),
    figure('rerank', 'retrieve p95 at 1×, reranking included', 'ms', section.features.totalMs.p95, [
      { label: 'RERANKER=off', value: section.off.totalMs.p95 },
    ]),
    // Its share of the whole retrieval it belongs to.
    figure('rerank', 'reranking alone p50 at 1×', 'ms', section.features.rerankMs.p50, [
      { label: 'retrieve p50, RERANKER=features', value: section.features.totalMs.p50 },
    ]),
    figure('rerank', 'search and embedding p50 at 1×, with the reranker', 'ms', section.features.searchMs.p50, [
      { label: 'RERANKER=off', value: section.off.searchMs.p50 },
    ]),
  ];
}
