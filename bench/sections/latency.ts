/**
 * 3. Retrieval latency at 1×, 10× and 100× the corpus.
 *
 * 1× is the ingested corpus itself. Larger corpora add perturbed copies of every
 * chunk (see ../lib/replicate.ts: distinct paths, word-level text changes for BM25,
 * noisy renormalised vectors instead of re-embedding). One collection grows from 10×
 * to 100×; Milvus Lite is restarted after writing, as a bot would start after an
 * ingest, so every scale is searched in the same flushed, indexed state (1× already
 * is: the server was restarted after the ingests).
 *
 * Each query goes through askdocs' real retrieval (engine.retrieve: follow-up
 * rewrite, query embedding, Milvus hybrid search with RRF, abstain decision), one at
 * a time after a warm-up; the query embedding and the Milvus call are also timed
 * on their own. Recall@5 is recorded too: the copies are near-duplicate distractors.
 */
import { writeFile } from 'node:fs/promises';
import type { Embedder } from '../../src/embeddings/index.ts';
import type { EvalItem } from '../../src/eval/dataset.ts';
import { questionOf } from '../../src/eval/dataset.ts';
import { runEval } from '../../src/eval/run.ts';
import { ChunkStore } from '../../src/milvus/store.ts';
import { openAskdocs } from '../lib/askdocs.ts';
import { type BenchMilvus, exportRows } from '../lib/milvus.ts';
import { mib } from '../lib/proc.ts';
import { replicaRows, seededRng } from '../lib/replicate.ts';
import { type Figure, figure } from '../lib/results.ts';
import { round, type Summary, summarize } from '../lib/stats.ts';
import { renderLineChart } from '../lib/svg.ts';

export interface ScaleLatency {
  factor: number;
  chunks: number;
  /** Seconds to write the added copies, and to restart Milvus Lite (flush + index load); 0 at 1×. */
  buildSeconds: number;
  restartSeconds: number;
  retrieveMs: Summary;
  embedQueryMs: Summary;
  hybridSearchMs: Summary;
  /** The two halves of the hybrid search on their own (same queries, same 20 candidates), to show which one grows. */
  denseOnlyMs: Summary;
  bm25OnlyMs: Summary;
  recallAt5: number;
  milvusRssMiB: number | null;
}

export interface LatencySection {
  queriesPerScale: number;
  warmupQueries: number;
  copyCosine: number;
  scales: ScaleLatency[];
  plot?: string;
}

export interface LatencyContext {
  milvus: BenchMilvus;
  embedder: Embedder;
  items: EvalItem[];
  baseCollection: string;
  scaledCollection: string;
  factors: number[];
  /** Measured queries per scale (cycling through the eval questions). */
  queries: (factor: number) => number;
  log(message: string): void;
}

const WARMUP = 5;
/** askdocs' retriever asks Milvus for 20 candidates (src/retrieval/retriever.ts). */
const SEARCH_CANDIDATES = 20;
const COPY_COSINE = 0.9;
const UPSERT_BATCH = 500;
const SEED = 20_241_129;

export async function measureLatency(ctx: LatencyContext): Promise<LatencySection> {
  const scales: ScaleLatency[] = [];
  const base = await exportRows(ctx.milvus.address, ctx.baseCollection);
  const stored = await countRows(ctx.milvus.address, ctx.baseCollection);
  if (base.length !== stored) throw new Error(`exported ${base.length} of the ${stored} chunks in ${ctx.baseCollection}`);
  const rng = seededRng(SEED);
  let copies = 0;
  for (const factor of [...ctx.factors].sort((a, b) => a - b)) {
    let collection = ctx.baseCollection;
    let buildSeconds = 0;
    if (factor > 1) {
      collection = ctx.scaledCollection;
      const started = performance.now();
      const store = await ChunkStore.connect({ address: ctx.milvus.address, collection });
      try {
        await store.ensureCollection({ model: ctx.embedder.model, dimension: ctx.embedder.dimension });
        if (copies === 0) await upsertAll(store, base);
        for (let copy = copies + 1; copy < factor; copy++) {
          await upsertAll(store, replicaRows(base, { copy, cosine: COPY_COSINE, rng }));
          if (copy % 10 === 0) ctx.log(`  ${factor}×: ${copy + 1}/${factor} copies written`);
        }
        copies = factor - 1;
      } finally {
        await store.close();
      }
      buildSeconds = (performance.now() - started) / 1000;
    }
    // Rows written since the last start sit in Milvus Lite's write buffer until it
    // shuts down; restart so every scale is searched flushed and indexed.
    let restartSeconds = 0;
    if (factor > 1) {
      ctx.log(`latency: ${factor}× — restarting Milvus Lite`);
      restartSeconds = await ctx.milvus.restart();
    }
    const scale = await measureScale(ctx, collection, factor, base.length * factor);
    scales.push({ ...scale, buildSeconds: round(buildSeconds, 1), restartSeconds: round(restartSeconds, 1) });
    ctx.log(
      `  ${factor}× (${scale.chunks} chunks): retrieve p50 ${scale.retrieveMs.p50} ms, p95 ${scale.retrieveMs.p95} ms, p99 ${scale.retrieveMs.p99} ms; Milvus p50 ${scale.hybridSearchMs.p50} ms`,
    );
  }
  return { queriesPerScale: ctx.queries(1), warmupQueries: WARMUP, copyCosine: COPY_COSINE, scales };
}

async function countRows(address: string, collection: string): Promise<number> {
  const store = await ChunkStore.connect({ address, collection });
  try {
    return await store.count();
  } finally {
    await store.close();
  }
}

async function upsertAll(store: ChunkStore, rows: Parameters<ChunkStore['upsert']>[0]): Promise<void> {
  for (let i = 0; i < rows.length; i += UPSERT_BATCH) await store.upsert(rows.slice(i, i + UPSERT_BATCH));
}

async function measureScale(
  ctx: LatencyContext,
  collection: string,
  factor: number,
  expectedChunks: number,
): Promise<Omit<ScaleLatency, 'buildSeconds' | 'restartSeconds'>> {
  const askdocs = await openAskdocs({ address: ctx.milvus.address, collection, embedder: ctx.embedder });
  try {
    const chunks = await askdocs.store.count();
    if (chunks !== expectedChunks) ctx.log(`  note: ${collection} holds ${chunks} chunks, expected ${expectedChunks}`);
    const retrieve = async (item: EvalItem) => askdocs.engine.retrieve({ ...questionOf(item), scope: { platform: 'bench' } });
    for (let i = 0; i < WARMUP; i++) await retrieve(ctx.items[i % ctx.items.length]!);
    askdocs.timings.reset();

    const total = Math.max(ctx.queries(factor), ctx.items.length);
    const retrieveMs: number[] = [];
    const timed: typeof askdocs.engine.retrieve = async (question) => {
      const started = performance.now();
      const result = await askdocs.engine.retrieve(question);
      retrieveMs.push(performance.now() - started);
      return result;
    };
    // The first pass is the eval set itself, so recall at this scale comes for free.
    const report = await runEval({ items: ctx.items, k: 5, retrieve: (q) => timed({ ...q, scope: { platform: 'bench' } }) });
    for (let i = ctx.items.length; i < total; i++) {
      const item = ctx.items[i % ctx.items.length]!;
      await timed({ ...questionOf(item), scope: { platform: 'bench' } });
    }
    // Each half of the hybrid search alone, on the eval questions as asked.
    const denseMs: number[] = [];
    const bm25Ms: number[] = [];
    for (const item of ctx.items) {
      const text = questionOf(item).text;
      const vector = await ctx.embedder.embedQuery(text);
      let started = performance.now();
      await askdocs.store.denseSearch({ vector, limit: SEARCH_CANDIDATES });
      denseMs.push(performance.now() - started);
      started = performance.now();
      await askdocs.store.bm25Search({ text, limit: SEARCH_CANDIDATES });
      bm25Ms.push(performance.now() - started);
    }
    return {
      factor,
      chunks,
      retrieveMs: summarize(retrieveMs),
      embedQueryMs: summarize(askdocs.timings.embedQueryMs),
      hybridSearchMs: summarize(askdocs.timings.hybridSearchMs),
      denseOnlyMs: summarize(denseMs),
      bm25OnlyMs: summarize(bm25Ms),
      recallAt5: report.recall_at_k,
      milvusRssMiB: mib(ctx.milvus.rssBytes()),
    };
  } finally {
    await askdocs.close();
  }
}

export function latencyFigures(section: LatencySection): Figure[] {
  const first = section.scales[0];
  if (!first) return [];
  const label = `${first.factor}× corpus`;
  const figures: Figure[] = [];
  for (const scale of section.scales) {
    const at = `${scale.factor}× (${scale.chunks.toLocaleString('en-US')} chunks)`;
    for (const p of ['p50', 'p95', 'p99'] as const) {
      figures.push(figure('latency', `retrieve ${p} at ${at}`, 'ms', scale.retrieveMs[p], [{ label, value: first.retrieveMs[p] }]));
    }
    figures.push(
      figure('latency', `Milvus hybrid search p50 at ${at}`, 'ms', scale.hybridSearchMs.p50, [
        { label, value: first.hybridSearchMs.p50 },
      ]),
      figure('latency', `query embedding p50 at ${at}`, 'ms', scale.embedQueryMs.p50, [{ label, value: first.embedQueryMs.p50 }]),
      figure('latency', `dense-only search p50 at ${at}`, 'ms', scale.denseOnlyMs.p50, [{ label, value: first.denseOnlyMs.p50 }]),
      figure('latency', `BM25-only search p50 at ${at}`, 'ms', scale.bm25OnlyMs.p50, [{ label, value: first.bm25OnlyMs.p50 }]),
      figure('latency', `recall@5 with near-duplicate distractors at ${at}`, '%', scale.recallAt5 * 100, [
        { label, value: first.recallAt5 * 100 },
      ]),
      figure('latency', `Milvus Lite RSS at ${at}`, 'MiB', scale.milvusRssMiB, [{ label, value: first.milvusRssMiB }]),
    );
  }
  return figures;
}

export async function writeLatencyPlot(section: LatencySection, file: string): Promise<void> {
  const series = (name: string, pick: (s: ScaleLatency) => number) => ({
    name,
    points: section.scales.map((s) => ({ x: s.chunks, y: pick(s) })),
  });
  const svg = renderLineChart({
    title: 'askdocs retrieval latency against corpus size (Milvus Lite, 1 client)',
    xLabel: 'chunks in the collection (log scale)',
    yLabel: 'milliseconds (log scale)',
    logX: true,
    logY: true,
    series: [
      series('retrieve p50', (s) => s.retrieveMs.p50),
      series('retrieve p95', (s) => s.retrieveMs.p95),
      series('retrieve p99', (s) => s.retrieveMs.p99),
      series('Milvus hybrid search p50', (s) => s.hybridSearchMs.p50),
      series('dense only p50', (s) => s.denseOnlyMs.p50),
      series('BM25 only p50', (s) => s.bm25OnlyMs.p50),
      series('embed query p50', (s) => s.embedQueryMs.p50),
    ],
    threshold: { y: 50, label: 'target: p95 < 50 ms at 10×' },
  });
  await writeFile(file, svg);
  section.plot = file;
}
