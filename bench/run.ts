/**
 * `npm run bench`: askdocs and its baselines on one machine, one corpus, one
 * embedding model and one Milvus Lite server, in one run.
 *
 *   npm run bench                 full run (~30 min on 2 cores): bench/results.json,
 *                                 bench/latency-vs-size.svg, BENCHMARKS.md updated
 *   npm run bench -- --quick      shorter (no 100×, fewer samples), to bench/out/quick/
 *   npm run bench -- --smoke      a few documents and questions (what `npm test` runs)
 *   --out <dir>  --skip <sections>  (quality,rerank,oversize,latency,answer,slack,discord,replicas; langchain:
 *                                 no LangChain ingest, with quality skipped)
 *   --only <sections>             run only these (and the ingest every section needs), to
 *                                 bench/out/only-<sections>/, never touching BENCHMARKS.md;
 *                                 e.g. `--only replicas` (~6 min on 2 cores)
 *   --baseline-up-to <n>          latency baseline only up to n× (3.2.2 takes ~2 s a query at 100×)
 *   --no-baseline                 latency without the Milvus Lite 3.2.2 baseline (full and
 *                                 quick runs create bench/.venv-baseline for it once)
 *   npm run bench -- --render bench/results.json
 *                                 re-check the targets and rewrite the table and
 *                                 BENCHMARKS.md from saved results, without measuring
 *
 * Everything runs against throw-away copies in the system temp directory: the
 * corpus is copied there (one file gets edited), Milvus Lite keeps its data there.
 */
import { rmSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { CORPUS_DIR, EVAL_SET, testConfig } from 'askdocs/test';
import { Command } from 'commander';
import { createEmbedder } from '../src/embeddings/index.ts';
import { loadEvalSet } from '../src/eval/dataset.ts';
import { scanFolder } from '../src/ingest/scan.ts';
import { DEFAULT_ENGINE_DIR } from '../src/milvus/lite-server.ts';
import { ChunkStore } from '../src/milvus/store.ts';
import { PACKAGE_ROOT } from '../src/paths.ts';
import { langchainRetriever } from './baselines/langchain.ts';
import { buildNotebookIndex, notebookRetriever } from './baselines/notebook.ts';
import { openAskdocs } from './lib/askdocs.ts';
import { startBenchLlm } from './lib/llm.ts';
import { startBaselineMilvus, startBenchMilvus } from './lib/milvus.ts';
import { mib } from './lib/proc.ts';
import { renderMarkdown, renderTextTable, updateBenchmarksMd } from './lib/report.ts';
import type { BenchResults, Figure, MachineInfo } from './lib/results.ts';
import { round } from './lib/stats.ts';
import { type BenchPlan, FULL, QUICK, SMOKE } from './plan.ts';
import { type AnswerSection, answerFigures, measureAnswer } from './sections/answer.ts';
import type { ChatContext } from './sections/chat.ts';
import { type ChatPlatformSection, chatFigures } from './sections/chat.ts';
import { measureDiscord } from './sections/chat-discord.ts';
import { measureSlack } from './sections/chat-slack.ts';
import { type IngestSection, ingestFigures, measureIngest } from './sections/ingest.ts';
import { type LatencySection, latencyFigures, measureLatency, writeLatencyPlot } from './sections/latency.ts';
import { type MemorySection, memoryFigures, memorySection } from './sections/memory.ts';
import { measureOversize, type OversizeSection, oversizeFigures } from './sections/oversize.ts';
import { measureQuality, type QualitySection, qualityFigures } from './sections/quality.ts';
import { measureReplicas, REPLICAS_UNAVAILABLE, type ReplicasSection, replicasFigures } from './sections/replicas.ts';
import { measureRerank, type RerankSection, rerankFigures } from './sections/rerank.ts';
import { checkTargets } from './sections/targets.ts';

const COLLECTIONS = {
  askdocs: 'bench_askdocs',
  notebook: 'bench_notebook',
  langchain: 'bench_langchain',
  scaled: 'bench_scaled',
};
const SKIPPABLE = ['quality', 'rerank', 'oversize', 'latency', 'answer', 'slack', 'discord', 'replicas', 'langchain'] as const;

interface Options {
  render?: string;
  quick?: boolean;
  smoke?: boolean;
  out?: string;
  skip: string[];
  only?: string[];
  docs?: boolean;
  baseline?: boolean;
  baselineUpTo?: number;
}

const benchStarted = performance.now();
/** Progress on stderr, each line stamped with the seconds since the start. */
const log = (message: string) =>
  process.stderr.write(`[${((performance.now() - benchStarted) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);

async function main(): Promise<void> {
  const options = new Command()
    .name('bench')
    .option('--quick', 'shorter run: no 100×, fewer samples')
    .option('--smoke', 'tiny run over a few documents (used by npm test)')
    .option('--out <dir>', 'where results.json and the plot go')
    .option('--skip <sections>', `comma-separated: ${SKIPPABLE.join(',')}`, (v: string) => v.split(',').map((s) => s.trim()), [])
    .option('--only <sections>', 'comma-separated: run only these sections (plus the ingest)', (v: string) =>
      v.split(',').map((s) => s.trim()),
    )
    .option('--no-docs', 'do not update BENCHMARKS.md (full runs update it by default)')
    .option('--no-baseline', 'latency: skip the Milvus Lite 3.2.2 baseline (never run with --smoke)')
    .option('--baseline-up-to <factor>', 'latency: run the baseline only up to this corpus multiple', Number)
    .option('--render <results.json>', 'only re-render the table and BENCHMARKS.md from saved results')
    .parse()
    .opts<Options>();
  if (options.render) {
    await render(resolve(options.render), options.docs !== false);
    return;
  }
  const plan: BenchPlan = options.smoke ? SMOKE : options.quick ? QUICK : FULL;
  // A run of a few sections never replaces the published results (bench/results.json, BENCHMARKS.md).
  const partial = options.only ? `only-${options.only.join('-')}` : undefined;
  const outDir = resolve(
    options.out ??
      (partial
        ? join(PACKAGE_ROOT, 'bench', 'out', partial)
        : plan.mode === 'full'
          ? join(PACKAGE_ROOT, 'bench')
          : join(PACKAGE_ROOT, 'bench', 'out', plan.mode)),
  );
  for (const s of [...options.skip, ...(options.only ?? [])]) {
    if (!(SKIPPABLE as readonly string[]).includes(s)) throw new Error(`--skip/--only: unknown section "${s}"`);
  }
  const skip = new Set(options.only ? SKIPPABLE.filter((s) => !options.only?.includes(s)) : options.skip);

  // The baseline needs a venv with Milvus Lite 3.2.2 from PyPI: never in the smoke run `npm test` makes.
  const results = await runBench(plan, skip, log, {
    baseline: options.baseline !== false && plan.mode !== 'smoke',
    baselineUpTo: options.baselineUpTo,
  });
  if (options.only) results.command = `${plan.mode === 'full' ? 'npm run bench --' : results.command} --only ${options.only.join(',')}`;
  await mkdir(outDir, { recursive: true });
  const latency = results.sections.latency as LatencySection | undefined;
  if (latency) await writeLatencyPlot(latency, join(outDir, 'latency-vs-size.svg'));
  if (latency?.plot) latency.plot = relative(PACKAGE_ROOT, latency.plot);
  await writeFile(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(renderTextTable(results));
  log(`\nbench: results in ${relative(process.cwd(), join(outDir, 'results.json')) || 'results.json'}`);
  if (plan.mode === 'full' && options.docs !== false && !options.out && !partial) {
    const benchmarksMd = join(PACKAGE_ROOT, 'BENCHMARKS.md');
    await updateBenchmarksMd(benchmarksMd, renderMarkdown(results, { plot: latency ? 'bench/latency-vs-size.svg' : undefined }));
    log('bench: BENCHMARKS.md updated');
  }
}

/** Every headline figure, derived from the sections' measurements. */
function figuresOf(sections: Record<string, unknown>): Figure[] {
  const s = sections as {
    quality?: QualitySection;
    ingest?: IngestSection;
    latency?: LatencySection;
    rerank?: RerankSection;
    oversize?: OversizeSection;
    answer?: AnswerSection;
    slack?: ChatPlatformSection;
    discord?: ChatPlatformSection;
    replicas?: ReplicasSection;
    memory?: MemorySection;
  };
  return [
    ...(s.quality ? qualityFigures(s.quality, 'askdocs', ['notebook', 'langchain']) : []),
    ...(s.ingest ? ingestFigures(s.ingest) : []),
    ...(s.latency ? latencyFigures(s.latency) : []),
    ...(s.rerank ? rerankFigures(s.rerank) : []),
    ...(s.oversize ? oversizeFigures(s.oversize) : []),
    ...(s.answer ? answerFigures(s.answer) : []),
    ...(s.slack ? chatFigures(s.slack) : []),
    ...(s.discord ? chatFigures(s.discord) : []),
    ...(s.replicas ? replicasFigures(s.replicas) : []),
    ...(s.memory ? memoryFigures(s.memory) : []),
  ];
}

/** Re-checks the targets of saved results and rewrites the outputs (table, plot, BENCHMARKS.md), measuring nothing. */
async function render(file: string, docs: boolean): Promise<void> {
  const results = JSON.parse(await readFile(file, 'utf8')) as BenchResults;
  const quality = results.sections.quality as QualitySection | undefined;
  if (quality) {
    // Results saved before `kinds` existed: take the kinds from the eval set.
    const kinds = Object.fromEntries((await loadEvalSet(EVAL_SET)).map((item) => [item.id, item.kind]));
    for (const pipeline of Object.values(quality.pipelines)) pipeline.kinds ??= kinds;
  }
  results.figures = figuresOf(results.sections);
  results.targets = checkTargets({
    quality,
    latency: results.sections.latency as LatencySection | undefined,
    rerank: results.sections.rerank as RerankSection | undefined,
    answer: results.sections.answer as AnswerSection | undefined,
    slack: results.sections.slack as ChatPlatformSection | undefined,
  });
  const latency = results.sections.latency as LatencySection | undefined;
  if (latency) {
    await writeLatencyPlot(latency, join(dirname(file), 'latency-vs-size.svg'));
    latency.plot = relative(PACKAGE_ROOT, latency.plot ?? '');
  }
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(renderTextTable(results));
  if (docs && results.mode === 'full') {
    await updateBenchmarksMd(join(PACKAGE_ROOT, 'BENCHMARKS.md'), renderMarkdown(results, { plot: latency?.plot }));
    log('bench: BENCHMARKS.md updated');
  }
}

export async function runBench(
  plan: BenchPlan,
  skip: Set<string>,
  say: (m: string) => void,
  options: { baseline?: boolean; baselineUpTo?: number } = {},
): Promise<BenchResults> {
  const started = performance.now();
  const engineVersion = await readFile(join(DEFAULT_ENGINE_DIR, 'VERSION'), 'utf8').then(
    (v) => v.trim(),
    () => 'unknown',
  );
  const loadAtStart = loadavg()[0] ?? 0;
  const tmp = await mkdtemp(join(tmpdir(), 'askdocs-bench-'));
  // Interrupted: leave no scratch behind (Milvus Lite and the children stop with us).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      rmSync(tmp, { recursive: true, force: true });
      process.exit(130);
    });
  }
  const corpus = join(tmp, 'corpus');
  const sections: Record<string, unknown> = {};
  const missing: string[] = [];
  const notes: string[] = [];
  const attempt = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n').slice(0, 3).join(' ') : String(error);
      say(`bench: ${name} failed: ${reason}`);
      missing.push(`${name}: failed — ${reason}`);
      return undefined;
    }
  };

  await copyCorpus(CORPUS_DIR, corpus, plan.files);
  const corpusFiles = await scanFolder(corpus);
  const corpusBytes = (await Promise.all(corpusFiles.map((f) => stat(f.absolutePath)))).reduce((s, st) => s + st.size, 0);
  const items = plan.pickItems(await loadEvalSet(EVAL_SET));
  const byKind: Record<string, number> = {};
  for (const item of items) byKind[item.kind] = (byKind[item.kind] ?? 0) + 1;
  say(`bench (${plan.mode}): ${corpusFiles.length} files, ${items.length} questions, ${cpus().length} cores; scratch in ${tmp}`);

  const milvus = await startBenchMilvus({ dataDir: join(tmp, 'milvus') });
  const config = testConfig({});
  const embedder = await createEmbedder(config.embedding);
  try {
    // 2. Ingestion (first: every other section searches what it builds).
    const ingest: IngestSection = await measureIngest({
      address: milvus.address,
      dir: corpus,
      editFile: plan.editFile,
      askdocsCollection: COLLECTIONS.askdocs,
      // The LangChain collection is only searched by the quality section.
      langchainCollection: skip.has('langchain') && skip.has('quality') ? undefined : COLLECTIONS.langchain,
      unchangedRun: plan.unchangedRun,
      log: say,
    });
    sections.ingest = ingest;

    let quality: QualitySection | undefined;
    if (!skip.has('quality')) {
      say('ingest: notebook baseline (b), in process');
      const notebookStore = await ChunkStore.connect({ address: milvus.address, collection: COLLECTIONS.notebook });
      const notebookIndex = await buildNotebookIndex({ dir: corpus, store: notebookStore, embedder });
      await notebookStore.close();
      say(`  notebook (b): ${notebookIndex.chunks} pieces in ${round(notebookIndex.seconds, 1)} s`);
      notes.push(
        `Baseline (b) index: ${notebookIndex.chunks} pieces embedded and stored in ${round(notebookIndex.seconds, 1)} s (in the bench process; no RSS figure).`,
      );
      // As between `askdocs ingest` and starting the bot: Milvus Lite flushes to indexed segments on shutdown.
      const restart = await milvus.restart();
      say(`quality: Milvus Lite restarted in ${round(restart, 1)} s`);
      quality = await attempt('quality', () => runQuality(milvus.address, corpus, embedder, items, say));
      if (quality) {
        sections.quality = quality;
      }
    }

    if (!skip.has('rerank')) {
      say('rerank: retrieval with RERANKER=features and =off, interleaved');
      const rerank = await attempt('rerank', () =>
        measureRerank({ address: milvus.address, collection: COLLECTIONS.askdocs, embedder, items, log: say }),
      );
      if (rerank) sections.rerank = rerank;
    }

    if (!skip.has('oversize')) {
      say('oversize: the same small folder ingested with and without a 20 MB Markdown file');
      const oversize = await attempt('oversize', () =>
        measureOversize({ address: milvus.address, corpus, files: plan.oversizeFiles, scratch: tmp, log: say }),
      );
      if (oversize) sections.oversize = oversize;
    }

    let answer: AnswerSection | undefined;
    let slack: ChatPlatformSection | undefined;
    let discord: ChatPlatformSection | undefined;
    const llm = await startBenchLlm(plan.llm);
    try {
      if (!skip.has('answer')) {
        say('answer: overhead with the fake LLM');
        const answerable = items.filter((item) => item.kind !== 'unanswerable');
        const picked = plan.answerQuestions ? spread(answerable, plan.answerQuestions) : answerable;
        answer = await attempt('answer overhead', () =>
          measureAnswer({ address: milvus.address, collection: COLLECTIONS.askdocs, embedder, llm, items: picked, log: say }),
        );
        if (answer) {
          sections.answer = answer;
        }
      }
      const chat: ChatContext = {
        env: {
          MILVUS_URI: `http://${milvus.address}`,
          MILVUS_COLLECTION: COLLECTIONS.askdocs,
          LLM_BASE_URL: llm.fake.url,
          DEEPSEEK_API_KEY: 'bench-not-a-real-key',
          LOG_LEVEL: 'warn',
        },
        items,
        levels: plan.chatLevels,
        channels: plan.chatChannels,
        timeoutMs: (n) => 90_000 + n * 1_000,
        log: say,
      };
      if (!skip.has('slack')) {
        slack = await attempt('Slack concurrency', () => measureSlack(chat));
        if (slack) {
          sections.slack = slack;
        }
      }
      if (!skip.has('discord')) {
        discord = await attempt('Discord concurrency', () => measureDiscord(chat));
        if (discord) {
          sections.discord = discord;
        }
      }
      if (!skip.has('replicas')) {
        if (REPLICAS_UNAVAILABLE) {
          // The smoke run inside `npm test` goes on without it; a measuring run says what is missing.
          (plan.mode === 'smoke' ? notes : missing).push(`replicas: not measured: ${REPLICAS_UNAVAILABLE}`);
        } else {
          const replicas = await attempt('replicas', () => measureReplicas({ ...chat, questions: plan.replicaQuestions }));
          if (replicas) sections.replicas = replicas;
        }
      }
    } finally {
      await llm.close();
    }

    // 6. Memory, from the runs above.
    sections.memory = memorySection({ ingest, slack, discord, milvusLiteRssMiB: mib(milvus.rssBytes()) });

    // 3. Latency last: it grows a 100× collection in the same server.
    let latency: LatencySection | undefined;
    if (!skip.has('latency')) {
      latency = await attempt('latency', () =>
        measureLatency({
          milvus,
          engine: `native Milvus Lite ${engineVersion}`,
          baseline: options.baseline
            ? {
                engine: 'Milvus Lite 3.2.2 (Python)',
                upTo: options.baselineUpTo,
                start: () => startBaselineMilvus({ dataDir: join(tmp, 'milvus-baseline'), log: say }),
              }
            : undefined,
          embedder,
          items,
          baseCollection: COLLECTIONS.askdocs,
          scaledCollection: COLLECTIONS.scaled,
          factors: plan.factors,
          queries: plan.queries,
          log: say,
        }),
      );
      if (latency) {
        sections.latency = latency;
      }
    }

    for (const name of ['slack', 'discord', 'replicas'] as const) {
      if (skip.has(name)) missing.push(`${name}: skipped (--skip)`);
    }
    const busy = Math.max(loadAtStart, loadavg()[0] ?? 0);
    if (busy > cpus().length) {
      notes.push(
        `The machine was busy with other work (1-minute load average up to ${round(busy, 1)} on ${cpus().length} cores): absolute times are inflated; ratios within the run are less affected.`,
      );
    }
    notes.push(
      'Every pipeline embeds with the same local model and searches the same Milvus Lite server, one process on this machine.',
      `The LLM is the local fake OpenAI-compatible server: ${plan.llm.firstTokenDelayMs} ms to the first token, ${plan.llm.tokensPerSecond} tokens/s, ${plan.llm.answerTokens}-token answers.`,
    );
    return {
      schemaVersion: 1,
      date: new Date().toISOString(),
      mode: plan.mode,
      command: plan.mode === 'full' ? 'npm run bench' : `npm run bench -- --${plan.mode}`,
      durationSeconds: Math.round((performance.now() - started) / 1000),
      machine: await machineInfo(loadAtStart),
      corpus: { dir: relative(PACKAGE_ROOT, CORPUS_DIR), files: corpusFiles.length, bytes: corpusBytes },
      evalSet: { path: relative(PACKAGE_ROOT, EVAL_SET), items: items.length, byKind },
      embedding: { model: embedder.model, dimension: embedder.dimension },
      sections,
      figures: figuresOf(sections),
      targets: checkTargets({
        quality,
        latency: sections.latency as LatencySection | undefined,
        rerank: sections.rerank as RerankSection | undefined,
        answer,
        slack,
      }),
      missing,
      notes,
    };
  } finally {
    await milvus.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

async function runQuality(
  address: string,
  corpus: string,
  embedder: Awaited<ReturnType<typeof createEmbedder>>,
  items: Awaited<ReturnType<typeof loadEvalSet>>,
  say: (m: string) => void,
): Promise<QualitySection> {
  const askdocs = await openAskdocs({ address, collection: COLLECTIONS.askdocs, embedder });
  const notebookStore = await ChunkStore.connect({ address, collection: COLLECTIONS.notebook });
  await notebookStore.assertReady({ model: embedder.model, dimension: embedder.dimension });
  const langchain = langchainRetriever({ dir: corpus, address, collection: COLLECTIONS.langchain, embedder });
  try {
    const quality = await measureQuality(items, [
      { id: 'askdocs', label: 'askdocs (a)', retrieve: (q) => askdocs.engine.retrieve(q) },
      { id: 'notebook', label: 'notebook (b)', retrieve: notebookRetriever(notebookStore, embedder) },
      { id: 'langchain', label: 'LangChain (c)', retrieve: langchain.retrieve },
    ]);
    for (const [id, p] of Object.entries(quality.pipelines)) {
      say(
        `  ${id}: recall@5 single ${round(p.single.recallAt5 * 100, 1)}%, follow-up ${round(p.followup.recallAt5 * 100, 1)}%, MRR ${p.all.mrr}`,
      );
    }
    return quality;
  } finally {
    await askdocs.close();
    await notebookStore.close();
    await langchain.close();
  }
}

/** `n` items spread over the list (so a short run still has follow-ups). */
function spread<T>(list: T[], n: number): T[] {
  if (n >= list.length) return list;
  return Array.from({ length: n }, (_, i) => list[Math.floor((i * list.length) / n)]!);
}

async function copyCorpus(from: string, to: string, files?: string[]): Promise<void> {
  if (!files) {
    await cp(from, to, { recursive: true });
    return;
  }
  for (const file of files) {
    await mkdir(dirname(join(to, file)), { recursive: true });
    await cp(join(from, file), join(to, file));
  }
}

async function machineInfo(loadAtStart: number): Promise<MachineInfo> {
  let milvusLite = 'unknown';
  try {
    milvusLite = (await readFile(join(DEFAULT_ENGINE_DIR, 'VERSION'), 'utf8')).trim();
  } catch {
    // reported as unknown
  }
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    platform: process.platform,
    arch: process.arch,
    node: process.versions.node,
    milvusLite,
    loadAverage: { atStart: round(loadAtStart), atEnd: round(loadavg()[0] ?? 0) },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(PACKAGE_ROOT, 'bench', 'run.ts')) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
