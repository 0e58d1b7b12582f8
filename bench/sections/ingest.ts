/**
 * 2. Ingestion: the whole corpus into an empty collection, for askdocs and for
 * LangChain (c), each in its own process (peak RSS = that process's VmHWM); then
 * askdocs again on the unchanged folder, and after editing one file.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { IngestPayload, IngestResult } from '../children/ingest.ts';
import { runChild } from '../lib/child.ts';
import { mib } from '../lib/proc.ts';
import { type Figure, figure } from '../lib/results.ts';
import { round } from '../lib/stats.ts';

export interface IngestRun {
  seconds: number;
  /** CPU seconds of the ingest process during the ingest call (all threads). */
  cpuSeconds: number;
  setupSeconds: number;
  processSeconds: number;
  chunks: number;
  embedded: number;
  files: number;
  chunksPerSecond: number;
  peakRssMiB: number | null;
  meanRssMiB: number | null;
  /** 1-minute load average when the run ended: other work on the machine slows ingest. */
  loadAverage: number;
}

export interface IngestSection {
  askdocs: IngestRun;
  /** Absent when the run skipped the LangChain baseline (`--skip langchain`). */
  langchain?: IngestRun;
  reingestUnchanged?: IngestRun;
  reingestOneEdit: IngestRun & { editedFile: string };
}

export interface IngestContext {
  address: string;
  /** A writable copy of the corpus (one file gets edited). */
  dir: string;
  /** Relative path of the file to edit; pick one the eval set does not ask about. */
  editFile: string;
  askdocsCollection: string;
  /** Undefined: no LangChain ingest (its collection is only searched by the quality section). */
  langchainCollection?: string;
  /** Also time a re-ingest of the unchanged folder (the smoke run skips it: the edit run covers that path). */
  unchangedRun: boolean;
  log(message: string): void;
}

export async function measureIngest(ctx: IngestContext): Promise<IngestSection> {
  const run = async (pipeline: IngestPayload['pipeline'], collection: string): Promise<IngestRun> => {
    const payload: IngestPayload = { pipeline, address: ctx.address, collection, dir: ctx.dir };
    const { result, memory, wallSeconds } = await runChild<IngestResult>('ingest.ts', payload);
    const out: IngestRun = {
      seconds: round(result.seconds, 3),
      cpuSeconds: round(result.cpuSeconds, 2),
      setupSeconds: round(result.setupSeconds, 3),
      processSeconds: round(wallSeconds, 3),
      chunks: result.chunks,
      embedded: result.embedded,
      files: result.files,
      chunksPerSecond: round(result.chunks / result.seconds, 1),
      peakRssMiB: mib(result.peakRssBytes ?? memory.peakRssBytes),
      meanRssMiB: mib(memory.meanRssBytes),
      loadAverage: round(loadavg()[0] ?? 0),
    };
    ctx.log(
      `  ${pipeline}: ${out.chunks} chunks (${out.embedded} embedded) in ${out.seconds} s (${out.cpuSeconds} CPU s), peak RSS ${out.peakRssMiB} MiB, load ${out.loadAverage}`,
    );
    return out;
  };

  ctx.log('ingest: askdocs, whole corpus');
  const askdocs = await run('askdocs', ctx.askdocsCollection);
  let reingestUnchanged: IngestRun | undefined;
  if (ctx.unchangedRun) {
    ctx.log('ingest: askdocs, unchanged corpus');
    reingestUnchanged = await run('askdocs', ctx.askdocsCollection);
  }
  ctx.log(`ingest: askdocs, after editing ${ctx.editFile}`);
  await editOneFile(join(ctx.dir, ctx.editFile));
  const reingestOneEdit = { ...(await run('askdocs', ctx.askdocsCollection)), editedFile: ctx.editFile };
  ctx.log('ingest: LangChain (c), whole corpus');
  const langchain = ctx.langchainCollection ? await run('langchain', ctx.langchainCollection) : undefined;
  return { askdocs, langchain, reingestUnchanged, reingestOneEdit };
}

/**
 * A typical docs edit: one sentence added to a paragraph in the middle of the file
 * (a prose line outside code fences), so one section's chunk changes.
 */
export async function editOneFile(file: string): Promise<void> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  let inFence = false;
  const prose: number[] = [];
  lines.forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    else if (!inFence && /^[A-Za-z].{40,}[.:]$/.test(line.trim())) prose.push(i);
  });
  const target = prose[Math.floor(prose.length / 2)];
  if (target === undefined) throw new Error(`no prose line to edit in ${file}`);
  lines[target] = `${lines[target]} This sentence was added by the askdocs benchmark to simulate a docs edit.`;
  await writeFile(file, lines.join('\n'));
}

export function ingestFigures(section: IngestSection): Figure[] {
  const { askdocs, langchain } = section;
  const vsLangChain = (value: number | null | undefined) => [{ label: 'LangChain (c)', value }];
  if (!langchain) {
    return [
      figure('ingest', 'full ingest time', 's', askdocs.seconds, [{ label: 'CPU seconds of the same ingest', value: askdocs.cpuSeconds }]),
    ];
  }
  const vsFull = (value: number) => [{ label: 'askdocs full ingest', value }];
  return [
    figure('ingest', 'full ingest time', 's', askdocs.seconds, vsLangChain(langchain.seconds)),
    figure(
      'ingest',
      'full ingest CPU time (all threads of the ingest process)',
      's',
      askdocs.cpuSeconds,
      vsLangChain(langchain.cpuSeconds),
    ),
    figure('ingest', 'chunks per second', 'chunks/s', askdocs.chunksPerSecond, vsLangChain(langchain.chunksPerSecond)),
    figure('ingest', 'chunks', '', askdocs.chunks, vsLangChain(langchain.chunks)),
    figure('ingest', 'peak RSS during ingest', 'MiB', askdocs.peakRssMiB, vsLangChain(langchain.peakRssMiB)),
    ...(section.reingestUnchanged
      ? [figure('ingest', 're-ingest, unchanged corpus', 's', section.reingestUnchanged.seconds, vsFull(askdocs.seconds))]
      : []),
    figure(
      'ingest',
      `re-ingest after editing 1 file (${section.reingestOneEdit.embedded} chunks re-embedded)`,
      's',
      section.reingestOneEdit.seconds,
      vsFull(askdocs.seconds),
    ),
  ];
}
