/**
 * 3. Retrieval latency at 1×, 10× and 100× the corpus.
 *
 * 1× is the ingested corpus itself. Larger corpora add perturbed copies of every
 * chunk (see ../lib/replicate.ts: distinct paths, word-level text changes for BM25,
 * noisy renormalised vectors instead of re-embedding). One collection grows from 10×
 * to 100×; the engine is restarted before each scale, as a bot would start after an
 * ingest, so every scale is searched in the same flushed, indexed state, with nothing
 * else loaded.
 *
 * Each query goes through askdocs' real retrieval (engine.retrieve: query variants,
 * their embeddings, the Milvus dense and BM25 searches, reranking, abstain decision),
 * one at a time after a warm-up; each query embedding and each retrieve's Milvus calls
 * are also timed on their own. Recall@5 is recorded too: the copies are near-duplicate distractors.
 */
import { writeFile } from 'node:fs/promises';
import type { Embedder } from '../../src/embeddings/index.ts';
import type { Engine, Question, RetrievalResult } from '../../src/engine/types.ts';
import type { EvalItem } from '../../src/eval/dataset.ts';
import { questionOf } from '../../src/eval/dataset.ts';
import { runEval } from '../../src/eval/run.ts';
import { ChunkStore } from '../../src/milvus/store.ts';
import { openAskdocs } from '../lib/askdocs.ts';
import { startChild } from '../lib/child.ts';
import { type BenchMilvus, exportRows } from '../lib/milvus.ts';
import { mib, readMemory } from '../lib/proc.ts';
import { replicaRows, seededRng } from '../lib/replicate.ts';
import { type Figure, figure } from '../lib/results.ts';
import { round, type Summary, summarize } from '../lib/stats.ts';
import { renderLineChart } from '../lib/svg.ts';

export interface ScaleLatency {
  factor: number;
  chunks: number;
  /** Seconds to write the rows (0 for the ingested 1× collection), and to restart the engine before searching (flush + index load). */
  buildSeconds: number;
  restartSeconds: number;
  retrieveMs: Summary;
  /**
   * retrieveMs split by question: standalone (one search text: every question once an
   * LLM condenses follow-ups) and follow-ups retrieved without an LLM (several search
   * texts and the thread as a judge, src/retrieval/variants.ts).
   */
  standaloneMs?: Summary;
  followUpMs?: Summary;
  /**
   * The same questions with RERANKER=off (one Milvus hybrid search per standalone
   * question, the retrieval this engine was first measured with), interleaved question
   * by question with the default so both see the same load. Default engine only.
   */
  rerankerOff?: { retrieveMs: Summary; standaloneMs: Summary; followUpMs: Summary };
  embedQueryMs: Summary;
  /**
   * Per retrieve, the Milvus calls alone: dense and BM25 searches (in parallel), the
   * similarity lookup and term lookups (for a follow-up, the thread's embedding overlaps them).
   */
  milvusMs: Summary;
  rerankMs: Summary;
  /** The dense and the BM25 search on their own (same queries, as many candidates as askdocs asks for), to show which one grows. */
  denseOnlyMs: Summary;
  bm25OnlyMs: Summary;
  recallAt5: number;
  milvusRssMiB: number | null;
}

/** Idle memory of a bot (the askdocs runtime after one answer) and of its Milvus engine, at 1×. */
export interface IdleMemory {
  botRssMiB: number | null;
  engineRssMiB: number | null;
  totalRssMiB: number | null;
}

/** The same measurement on the engine askdocs used before (Milvus Lite 3.2.2, Python), same rows. */
export interface BaselineLatency {
  engine: string;
  scales: ScaleLatency[];
  idle?: IdleMemory;
}

export interface LatencySection {
  /** The engine measured in `scales`: the embedded default. */
  engine?: string;
  queriesPerScale: number;
  warmupQueries: number;
  copyCosine: number;
  scales: ScaleLatency[];
  idle?: IdleMemory;
  baseline?: BaselineLatency;
  plot?: string;
}

export interface LatencyContext {
  milvus: BenchMilvus;
  engine: string;
  /** Starts the baseline engine on its own scratch folder, if the run compares against one. */
  baseline?: { engine: string; start(): Promise<BenchMilvus>; upTo?: number };
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
const COPY_COSINE = 0.9;
const UPSERT_BATCH = 500;
const SEED = 20_241_129;

export async function measureLatency(ctx: LatencyContext): Promise<LatencySection> {
  const base = await exportRows(ctx.milvus.address, ctx.baseCollection);
  const stored = await countRows(ctx.milvus.address, ctx.baseCollection);
  if (base.length !== stored) throw new Error(`exported ${base.length} of the ${stored} chunks in ${ctx.baseCollection}`);
  ctx.log(`latency: ${ctx.engine}`);
  const native = await measureEngine(ctx, ctx.milvus, base, false);
  let baseline: BaselineLatency | undefined;
  if (ctx.baseline) {
    ctx.log(`latency: baseline ${ctx.baseline.engine}, same rows`);
    const server = await ctx.baseline.start();
    try {
      const upTo = ctx.baseline.upTo;
      const factors = upTo ? ctx.factors.filter((f) => f <= upTo) : ctx.factors;
      const measured = await measureEngine({ ...ctx, factors }, server, base, true);
      baseline = { engine: ctx.baseline.engine, ...measured };
    } finally {
      await server.stop();
    }
  }
  return {
    engine: ctx.engine,
    queriesPerScale: ctx.queries(1),
    warmupQueries: WARMUP,
    copyCosine: COPY_COSINE,
    scales: native.scales,
    idle: native.idle,
    baseline,
  };
}

/**
 * Every scale on one engine. The copies come from a generator seeded the same way
 * for each engine, so every engine searches exactly the same rows. `writeBase`: the
 * 1× collection is written from the exported rows (the baseline engine), instead of
 * being the ingested collection.
 */
export async function measureEngine(
  ctx: LatencyContext,
  milvus: BenchMilvus,
  base: Awaited<ReturnType<typeof exportRows>>,
  writeBase: boolean,
): Promise<{ scales: ScaleLatency[]; idle?: IdleMemory }> {
  const scales: ScaleLatency[] = [];
  let idle: IdleMemory | undefined;
  const rng = seededRng(SEED);
  let copies = 0;
  for (const factor of [...ctx.factors].sort((a, b) => a - b)) {
    let collection = ctx.baseCollection;
    let buildSeconds = 0;
    if (factor === 1 && writeBase) {
      const started = performance.now();
      const store = await ChunkStore.connect({ address: milvus.address, collection });
      try {
        await store.ensureCollection({ model: ctx.embedder.model, dimension: ctx.embedder.dimension });
        await upsertAll(store, base);
      } finally {
        await store.close();
      }
      buildSeconds = (performance.now() - started) / 1000;
    }
    if (factor > 1) {
      collection = ctx.scaledCollection;
      const started = performance.now();
      const store = await ChunkStore.connect({ address: milvus.address, collection });
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
    // Restart before every scale, as a bot starts after an ingest: Milvus Lite 3.x keeps
    // new rows in a write buffer until it shuts down, so every scale is searched flushed;
    // and the engine then holds only what this section loads, whatever the sections
    // before it loaded (a full run's quality section leaves the LangChain baseline's
    // collection loaded in the same engine), so the idle memory at 1× compares alike.
    ctx.log(`latency: ${factor}× — restarting the engine`);
    const restartSeconds = await milvus.restart();
    // The dense-only and BM25-only breakdown is for the default engine only.
    const scale = await measureScale(ctx, milvus, collection, factor, base.length * factor, !writeBase);
    scales.push({ ...scale, buildSeconds: round(buildSeconds, 1), restartSeconds: round(restartSeconds, 1) });
    ctx.log(
      `  ${factor}× (${scale.chunks} chunks): retrieve p50 ${scale.retrieveMs.p50} ms, p95 ${scale.retrieveMs.p95} ms, p99 ${scale.retrieveMs.p99} ms; Milvus p50 ${scale.milvusMs.p50} ms, p95 ${scale.milvusMs.p95} ms; written in ${round(buildSeconds, 1)} s`,
    );
    if (factor === 1) {
      idle = await measureIdle(ctx, milvus, collection);
      ctx.log(`  idle at 1×: bot ${idle.botRssMiB} MiB + engine ${idle.engineRssMiB} MiB = ${idle.totalRssMiB} MiB`);
    }
  }
  return { scales, idle };
}

/** A bot process (the askdocs runtime, one answer given) idle beside the engine: both RSS. */
async function measureIdle(ctx: LatencyContext, milvus: BenchMilvus, collection: string): Promise<IdleMemory> {
  const question = questionOf(ctx.items[0]!).text;
  const child = startChild('idle-bot.ts', { address: milvus.address, collection, question });
  try {
    await child.next('ready', 5 * 60_000);
    const bot = readMemory(child.pid).rssBytes;
    const engine = milvus.rssBytes();
    return {
      botRssMiB: mib(bot),
      engineRssMiB: mib(engine),
      totalRssMiB: bot !== null && engine !== null ? mib(bot + engine) : null,
    };
  } finally {
    child.send({ type: 'stop' });
    await child.exited();
  }
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
  milvus: BenchMilvus,
  collection: string,
  factor: number,
  expectedChunks: number,
  breakdown: boolean,
): Promise<Omit<ScaleLatency, 'buildSeconds' | 'restartSeconds'>> {
  const askdocs = await openAskdocs({ address: milvus.address, collection, embedder: ctx.embedder });
  try {
    const chunks = await askdocs.store.count();
    if (chunks !== expectedChunks) ctx.log(`  note: ${collection} holds ${chunks} chunks, expected ${expectedChunks}`);
    const retrieve = async (item: EvalItem) => askdocs.engine.retrieve({ ...questionOf(item), scope: { platform: 'bench' } });
    for (let i = 0; i < WARMUP; i++) await retrieve(ctx.items[i % ctx.items.length]!);
    askdocs.timings.reset();

    const total = Math.max(ctx.queries(factor), ctx.items.length);
    const features = timedRetrieval(askdocs.engine);
    // The first pass is the eval set itself, so recall at this scale comes for free.
    const report = await runEval({ items: ctx.items, k: 5, retrieve: (q) => features.retrieve({ ...q, scope: { platform: 'bench' } }) });
    for (let i = ctx.items.length; i < total; i++) {
      const item = ctx.items[i % ctx.items.length]!;
      await features.retrieve({ ...questionOf(item), scope: { platform: 'bench' } });
    }
    let rerankerOff: ScaleLatency['rerankerOff'];
    if (breakdown) {
      const off = await openAskdocs({ address: milvus.address, collection, embedder: ctx.embedder, env: { RERANKER: 'off' } });
      try {
        const offTimed = timedRetrieval(off.engine);
        for (const item of ctx.items) {
          const question = { ...questionOf(item), scope: { platform: 'bench' as const } };
          await features.retrieve(question);
          await offTimed.retrieve(question);
        }
        rerankerOff = offTimed.summaries();
      } finally {
        await off.close();
      }
    }
    // Each half of the hybrid search alone, on the eval questions as asked, with the
    // candidate count askdocs' retriever uses (RERANK_CANDIDATES, src/retrieval/retriever.ts).
    const limit = askdocs.config.retrieval.candidates;
    const denseMs: number[] = [];
    const bm25Ms: number[] = [];
    for (const item of breakdown ? ctx.items : []) {
      const text = questionOf(item).text;
      const vector = await ctx.embedder.embedQuery(text);
      let started = performance.now();
      await askdocs.store.denseSearch({ vector, limit });
      denseMs.push(performance.now() - started);
      started = performance.now();
      await askdocs.store.bm25Search({ text, limit });
      bm25Ms.push(performance.now() - started);
    }
    return {
      factor,
      chunks,
      ...features.summaries(),
      rerankerOff,
      embedQueryMs: summarize(askdocs.timings.embedQueryMs),
      milvusMs: summarize(askdocs.timings.milvusMs),
      rerankMs: summarize(askdocs.timings.rerankMs),
      denseOnlyMs: summarize(denseMs),
      bm25OnlyMs: summarize(bm25Ms),
      recallAt5: report.recall_at_k,
      milvusRssMiB: mib(milvus.rssBytes()),
    };
  } finally {
    await askdocs.close();
  }
}

/** An engine's retrieve, timed: every call, and split into standalone questions and follow-ups. */
function timedRetrieval(engine: Pick<Engine, 'retrieve'>) {
  const all: number[] = [];
  const standalone: number[] = [];
  const followUps: number[] = [];
  return {
    async retrieve(question: Question): Promise<RetrievalResult> {
      const started = performance.now();
      const result = await engine.retrieve(question);
      const ms = performance.now() - started;
      all.push(ms);
      (result.rewrite === 'none' ? standalone : followUps).push(ms);
      return result;
    },
    summaries: () => ({ retrieveMs: summarize(all), standaloneMs: summarize(standalone), followUpMs: summarize(followUps) }),
  };
}

export function latencyFigures(section: LatencySection): Figure[] {
  const first = section.scales[0];
  if (!first) return [];
  const label = `${first.factor}× corpus`;
  const figures: Figure[] = [];
  const baselineLabel = section.baseline?.engine ?? 'baseline';
  for (const scale of section.scales) {
    const at = `${scale.factor}× (${scale.chunks.toLocaleString('en-US')} chunks)`;
    const old = section.baseline?.scales.find((s) => s.factor === scale.factor);
    for (const p of ['p50', 'p95', 'p99'] as const) {
      figures.push(
        figure('latency', `retrieve ${p} at ${at}`, 'ms', scale.retrieveMs[p], [
          { label, value: first.retrieveMs[p] },
          ...(old ? [{ label: baselineLabel, value: old.retrieveMs[p] }] : []),
        ]),
      );
    }
    // The default retrieval split by question kind (each against 1×), and RERANKER=off
    // against the default at the same scale.
    const splits = [
      ['standalone questions', scale.standaloneMs, first.standaloneMs],
      ['follow-ups without an LLM', scale.followUpMs, first.followUpMs],
    ] as const;
    for (const [kind, summary, atFirst] of splits) {
      if (!summary?.n) continue;
      for (const p of ['p50', 'p95'] as const) {
        figures.push(figure('latency', `retrieve ${p} at ${at}, ${kind}`, 'ms', summary[p], [{ label, value: atFirst?.[p] }]));
      }
    }
    const off = scale.rerankerOff;
    if (off?.retrieveMs.n) {
      for (const p of ['p50', 'p95'] as const) {
        figures.push(
          figure('latency', `retrieve ${p} at ${at}, RERANKER=off`, 'ms', off.retrieveMs[p], [
            { label: 'RERANKER=features (default)', value: scale.retrieveMs[p] },
          ]),
          figure('latency', `retrieve ${p} at ${at}, RERANKER=off, standalone questions`, 'ms', off.standaloneMs[p], [
            { label: 'RERANKER=features (default)', value: scale.standaloneMs?.[p] },
          ]),
        );
      }
    }
    if (old) {
      figures.push(
        figure('latency', `rows written and flushed at ${at} (s)`, 's', round(scale.buildSeconds + scale.restartSeconds, 1), [
          { label: baselineLabel, value: round(old.buildSeconds + old.restartSeconds, 1) },
        ]),
      );
    }
    figures.push(
      figure('latency', `Milvus calls per retrieve p50 at ${at}`, 'ms', scale.milvusMs.p50, [
        { label, value: first.milvusMs.p50 },
        ...(old ? [{ label: baselineLabel, value: old.milvusMs.p50 }] : []),
      ]),
      figure('latency', `Milvus calls per retrieve p95 at ${at}`, 'ms', scale.milvusMs.p95, [
        { label, value: first.milvusMs.p95 },
        ...(old ? [{ label: baselineLabel, value: old.milvusMs.p95 }] : []),
      ]),
      figure('latency', `reranking p50 at ${at}`, 'ms', scale.rerankMs.p50, [{ label, value: first.rerankMs.p50 }]),
      figure('latency', `query embedding p50 at ${at}`, 'ms', scale.embedQueryMs.p50, [{ label, value: first.embedQueryMs.p50 }]),
      figure('latency', `dense-only search p50 at ${at}`, 'ms', scale.denseOnlyMs.p50, [{ label, value: first.denseOnlyMs.p50 }]),
      figure('latency', `BM25-only search p50 at ${at}`, 'ms', scale.bm25OnlyMs.p50, [{ label, value: first.bm25OnlyMs.p50 }]),
      figure('latency', `recall@5 with near-duplicate distractors at ${at}`, '%', scale.recallAt5 * 100, [
        { label, value: first.recallAt5 * 100 },
      ]),
      figure('latency', `Milvus engine RSS at ${at}`, 'MiB', scale.milvusRssMiB, [
        { label, value: first.milvusRssMiB },
        ...(old ? [{ label: baselineLabel, value: old.milvusRssMiB }] : []),
      ]),
    );
  }
  if (section.idle) {
    figures.push(
      figure('latency', 'idle RSS at 1×: bot + Milvus engine', 'MiB', section.idle.totalRssMiB, [
        section.baseline?.idle
          ? { label: baselineLabel, value: section.baseline.idle.totalRssMiB }
          : { label: 'the bot process alone', value: section.idle.botRssMiB },
      ]),
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
    title: `askdocs retrieval latency against corpus size (${section.engine ?? 'Milvus Lite'}, 1 client)`,
    xLabel: 'chunks in the collection (log scale)',
    yLabel: 'milliseconds (log scale)',
    logX: true,
    logY: true,
    series: [
      series('retrieve p50', (s) => s.retrieveMs.p50),
      series('retrieve p95', (s) => s.retrieveMs.p95),
      series('retrieve p99', (s) => s.retrieveMs.p99),
      series('Milvus calls p50', (s) => s.milvusMs.p50),
      series('dense only p50', (s) => s.denseOnlyMs.p50),
      series('BM25 only p50', (s) => s.bm25OnlyMs.p50),
      series('embed query p50', (s) => s.embedQueryMs.p50),
      ...(section.baseline
        ? [
            {
              name: `${section.baseline.engine}: retrieve p95`,
              points: section.baseline.scales.map((s) => ({ x: s.chunks, y: s.retrieveMs.p95 })),
            },
          ]
        : []),
    ],
    threshold: { y: 30, label: 'target: p95 < 30 ms at 10×' },
  });
  await writeFile(file, svg);
  section.plot = file;
}
