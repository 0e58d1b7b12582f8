/**
 * Query-side cost of a local embedding model: load time, embedQuery latency and
 * the process's RSS with the model loaded. Optionally, the cosine similarity of
 * its vectors to another model's (same dimension) on the same texts.
 *
 *   node --import tsx bench/embedders.ts --model all-MiniLM-L6-v2 \
 *     --questions ../shared/eval/dev.jsonl,../shared/eval/dev-2.jsonl [--compare all-MiniLM-L6-v2] [--runs 100] \
 *     [--docs ../shared/corpus/milvus-docs-2.4.x --doc-count 256] [--threads N]
 *
 * Questions are the eval sets' user turns (the last one for follow-ups), embedded
 * one at a time after a warm-up, as a chat front end does between bursts. Then each
 * eval item is embedded as the retriever embeds it (src/retrieval/variants.ts: its
 * search texts, then the texts it is only judged by), timed per item,
 * standalone questions and follow-ups apart, with the CPU time per item. With
 * --docs, the first --doc-count 1,600-character pieces of the folder's markdown
 * (files in sorted order) are embedded, as ingest does: that
 * gives document throughput without a full ingest. Prints one JSON object.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLocalEmbedder } from '../src/embeddings/local.ts';
import { loadEvalSet, questionOf } from '../src/eval/dataset.ts';
import { queryVariants } from '../src/retrieval/variants.ts';
import { round, summarize } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    questions: { type: 'string' },
    compare: { type: 'string' },
    runs: { type: 'string', default: '100' },
    docs: { type: 'string' },
    'doc-count': { type: 'string', default: '256' },
    'models-dir': { type: 'string', default: resolve(import.meta.dirname, '..', 'models') },
    threads: { type: 'string' },
  },
});
if (!values.model || !values.questions) {
  console.error('usage: bench/embedders.ts --model NAME --questions a.jsonl[,b.jsonl] [--compare NAME] [--runs N]');
  process.exit(2);
}

interface Item {
  question?: string;
  turns?: { role: string; content: string }[];
}
const questions: string[] = [];
for (const file of values.questions.split(',')) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const item = JSON.parse(line) as Item;
    const text = item.question ?? item.turns?.filter((t) => t.role === 'user').at(-1)?.content;
    if (text) questions.push(text);
  }
}
const runs = Math.min(Number(values.runs), questions.length);
const sample = questions.slice(0, runs);

const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
const rssBefore = process.memoryUsage().rss;
const loadStart = performance.now();
const threads = values.threads === undefined ? undefined : Number(values.threads);
const embedder = await createLocalEmbedder({ model: values.model, modelsDir: values['models-dir'], threads });
const loadMs = performance.now() - loadStart;
for (const q of sample.slice(0, 5)) await embedder.embedQuery(q);
const rssLoaded = process.memoryUsage().rss;

const times: number[] = [];
const vectors: number[][] = [];
const load = loadavg();
for (const q of sample) {
  const t = performance.now();
  vectors.push(await embedder.embedQuery(q));
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
const pct = (p: number) => Math.round((times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0) * 10) / 10;

// The retriever's own embedding work per eval item, one item at a time.
const retrieveTimes: Record<'standalone' | 'followUp', number[]> = { standalone: [], followUp: [] };
const retrieveCpu = process.cpuUsage();
let retrieveItems = 0;
for (const file of values.questions.split(',')) {
  for (const item of await loadEvalSet(file)) {
    const question = questionOf(item);
    const variants = queryVariants(question.text, question.history);
    const t = performance.now();
    await Promise.all(variants.searches.map((text) => embedder.embedQuery(text)));
    await Promise.all(variants.judges.slice(variants.searches.length).map((text) => embedder.embedQuery(text)));
    retrieveTimes[variants.rewrite === 'none' ? 'standalone' : 'followUp'].push(performance.now() - t);
    retrieveItems++;
  }
}
const { user, system } = process.cpuUsage(retrieveCpu);
const summary = (values: number[]) => {
  const s = summarize(values);
  return { n: s.n, p50Ms: round(s.p50, 1), p95Ms: round(s.p95, 1) };
};

const result: Record<string, unknown> = {
  model: values.model,
  threads: threads ?? 'default (one per core)',
  dimension: embedder.dimension,
  queries: sample.length,
  loadMs: Math.round(loadMs),
  embedQueryP50Ms: pct(0.5),
  embedQueryP95Ms: pct(0.95),
  retrieveEmbedding: {
    standalone: summary(retrieveTimes.standalone),
    followUp: summary(retrieveTimes.followUp),
    cpuMsPerItem: round((user + system) / 1000 / retrieveItems, 1),
  },
  rssBeforeLoadMB: mb(rssBefore),
  rssLoadedMB: mb(rssLoaded),
  rssAfterMB: mb(process.memoryUsage().rss),
  loadavgAtStart: load.map((x) => Math.round(x * 100) / 100),
};

const docs: string[] = [];
let docVectors: number[][] = [];
if (values.docs) {
  const files = (readdirSync(values.docs, { recursive: true }) as string[]).filter((f) => f.endsWith('.md')).sort();
  const count = Number(values['doc-count']);
  for (const file of files) {
    const text = readFileSync(join(values.docs, file), 'utf8');
    for (let i = 0; i < text.length && docs.length < count; i += 1_600) docs.push(text.slice(i, i + 1_600));
    if (docs.length >= count) break;
  }
  const t = performance.now();
  const cpu = process.cpuUsage();
  docVectors = await embedder.embedDocuments(docs);
  const seconds = (performance.now() - t) / 1000;
  const docCpu = process.cpuUsage(cpu);
  result.documents = docs.length;
  result.documentsPerSecond = Math.round((docs.length / seconds) * 10) / 10;
  result.documentsCpuSeconds = round((docCpu.user + docCpu.system) / 1e6, 2);
  result.rssAfterDocumentsMB = mb(process.memoryUsage().rss);
}

const cosineSummary = (a: number[][], b: number[][]) => {
  const cosines = a.map((r, i) => r.reduce((s, x, j) => s + x * (b[i]?.[j] ?? 0), 0)).sort((x, y) => x - y);
  return {
    mean: Math.round((cosines.reduce((s, x) => s + x, 0) / cosines.length) * 10_000) / 10_000,
    min: Math.round((cosines[0] ?? 0) * 10_000) / 10_000,
  };
};

if (values.compare) {
  const other = await createLocalEmbedder({ model: values.compare, modelsDir: values['models-dir'] });
  if (other.dimension !== embedder.dimension) throw new Error('--compare needs a model of the same dimension');
  result.compare = {
    model: values.compare,
    questions: cosineSummary(await other.embedDocuments(sample), vectors),
    documents: docs.length > 0 ? cosineSummary(await other.embedDocuments(docs), docVectors) : undefined,
  };
}
console.log(JSON.stringify(result));
