/**
 * Turns results into the printed table and the Markdown block of BENCHMARKS.md
 * (between the BENCH:RESULTS markers, so the prose around it is kept).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { BenchResults, Figure } from './results.ts';

export const RESULTS_START = '<!-- BENCH:RESULTS:START (written by `npm run bench`; edit outside these markers) -->';
export const RESULTS_END = '<!-- BENCH:RESULTS:END -->';

const SECTION_TITLES: Record<string, string> = {
  quality: '1. Retrieval quality (eval set, top 5)',
  ingest: '2. Ingestion',
  latency: '3. Retrieval latency by corpus size',
  rerank: '3b. Reranking cost at 1× (RERANKER=features against off)',
  answer: '4. Answer overhead (excluding the LLM)',
  chat: '5. Concurrency through the chat path',
  replicas: '5b. Replicas: 1 Slack process against 2 sharing Redis',
  memory: '6. Memory',
};

function num(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  const abs = Math.abs(value);
  const text =
    abs >= 1000
      ? value.toLocaleString('en-US', { maximumFractionDigits: 0 })
      : abs >= 10
        ? value.toFixed(1)
        : value.toFixed(abs >= 1 ? 2 : 3);
  return unit === '%' ? `${text}%` : text;
}

function rows(figures: Figure[]): string[][] {
  return figures.flatMap((f) => {
    const unit = f.unit === '%' ? '' : f.unit;
    const metric = unit ? `${f.metric} (${unit})` : f.metric;
    const value = num(f.value, f.unit);
    if (f.against.length === 0) return [[metric, value, '', '', '', '']];
    return f.against.map((a, i) => [
      i === 0 ? metric : '',
      i === 0 ? value : '',
      a.label,
      num(a.value, f.unit),
      a.ratio === null ? '—' : `${formatRatio(a.ratio)}×`,
      a.diff === undefined ? '' : a.diff === null ? '—' : `${a.diff > 0 ? '+' : ''}${num(a.diff)}${f.unit === '%' ? ' pts' : ''}`,
    ]);
  });
}

function formatRatio(ratio: number): string {
  if (ratio === 0) return '0';
  return Math.abs(ratio) >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2);
}

const HEADER = ['metric', 'askdocs', 'vs', 'baseline', 'ratio', 'Δ'];

/** Plain-text tables for the terminal. */
export function renderTextTable(results: BenchResults): string {
  const out: string[] = [];
  for (const [section, title] of Object.entries(SECTION_TITLES)) {
    const figures = results.figures.filter((f) => f.section === section);
    if (figures.length === 0) continue;
    const table = [HEADER, ...rows(figures)];
    const widths = HEADER.map((_, c) => Math.max(...table.map((r) => (r[c] ?? '').length)));
    out.push('', title, widths.map((w) => '─'.repeat(w)).join('  '));
    for (const r of table)
      out.push(r.map((cell, c) => (c === 0 || c === 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  }
  out.push('', 'Targets');
  for (const t of results.targets) out.push(`  [${t.met === null ? '?' : t.met ? 'met' : 'MISSED'}] ${t.target}: ${t.actual}`);
  if (results.missing.length > 0) out.push('', 'Not measured', ...results.missing.map((m) => `  - ${m}`));
  return `${out.join('\n')}\n`;
}

function mdTable(figures: Figure[]): string {
  const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map((_, i) => (i < 1 || i === 2 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of rows(figures)) lines.push(`| ${r.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`);
  return lines.join('\n');
}

/** The generated part of BENCHMARKS.md. */
export function renderMarkdown(results: BenchResults, options: { plot?: string } = {}): string {
  const m = results.machine;
  const out: string[] = [
    `Latest run: **${results.date}**, \`${results.command}\` (${results.mode} mode, ${Math.round(results.durationSeconds / 60)} min), ` +
      `on ${m.cores} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.platform}/${m.arch}, Node ${m.node}, Milvus Lite ${m.milvusLite}. ` +
      `Corpus: ${results.corpus.files} files (${Math.round(results.corpus.bytes / 1024)} KiB); eval set: ${results.evalSet.items} questions ` +
      `(${Object.entries(results.evalSet.byKind)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ')}); embedding model: ${results.embedding.model} (${results.embedding.dimension}-d) for every pipeline.`,
    '',
    '### Targets',
    '',
    '| target | result | met |',
    '| --- | --- | --- |',
    ...results.targets.map(
      (t) => `| ${t.target} | ${t.actual.replace(/\|/g, '\\|')} | ${t.met === null ? '?' : t.met ? 'yes' : '**no**'} |`,
    ),
  ];
  const missedNotes = results.targets.filter((t) => t.note);
  if (missedNotes.length > 0) {
    out.push('', ...missedNotes.map((t) => `- **${t.target}** — ${t.note}`));
  }
  for (const [section, title] of Object.entries(SECTION_TITLES)) {
    const figures = results.figures.filter((f) => f.section === section);
    if (figures.length === 0) continue;
    out.push('', `### ${title}`, '', mdTable(figures));
    if (section === 'latency' && options.plot) out.push('', `![retrieval latency against corpus size](${options.plot})`);
  }
  if (results.missing.length > 0) out.push('', '### Not measured in this run', '', ...results.missing.map((m) => `- ${m}`));
  if (results.notes.length > 0) out.push('', '### Notes from this run', '', ...results.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

/** Replaces the generated block in BENCHMARKS.md (appends it when the markers are missing). */
export async function updateBenchmarksMd(file: string, generated: string): Promise<void> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    text = '# Benchmarks\n';
  }
  const block = `${RESULTS_START}\n${generated}\n${RESULTS_END}`;
  const start = text.indexOf(RESULTS_START.slice(0, 24));
  const end = text.indexOf(RESULTS_END);
  const next =
    start >= 0 && end > start ? text.slice(0, start) + block + text.slice(end + RESULTS_END.length) : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(file, next);
}
