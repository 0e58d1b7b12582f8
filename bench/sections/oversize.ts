/**
 * An oversized file in the docs folder (issue 10, item 5): a 20 MB Markdown export
 * once drove the ingest to 2.3 GB RSS. The same small folder is ingested twice, each
 * run alone in its own process, into its own collection: as it is, and with a 20 MB
 * Markdown file added. With INGEST_MAX_FILE_MB (default 5) the big file is skipped,
 * named, before it is read, so peak memory must not grow with it.
 */
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { IngestPayload, IngestResult } from '../children/ingest.ts';
import { runChild } from '../lib/child.ts';
import { mib } from '../lib/proc.ts';
import { type Figure, figure } from '../lib/results.ts';

export const OVERSIZED_MB = 20;

export interface OversizeRun {
  peakRssMiB: number | null;
  chunks: number;
  skipped: number;
}

export interface OversizeSection {
  oversizedMiB: number;
  without: OversizeRun;
  with: OversizeRun;
}

export async function measureOversize(options: {
  address: string;
  corpus: string;
  files: string[];
  scratch: string;
  log: (message: string) => void;
}): Promise<OversizeSection> {
  const folder = await mkdtemp(join(options.scratch, 'oversize-'));
  for (const file of options.files) {
    await mkdir(dirname(join(folder, file)), { recursive: true });
    await cp(join(options.corpus, file), join(folder, file));
  }
  const run = async (collection: string): Promise<OversizeRun> => {
    const payload: IngestPayload = { pipeline: 'askdocs', address: options.address, collection, dir: folder };
    const { result, memory } = await runChild<IngestResult>('ingest.ts', payload);
    return { peakRssMiB: mib(result.peakRssBytes ?? memory.peakRssBytes), chunks: result.chunks, skipped: result.skipped ?? 0 };
  };
  const without = await run('bench_oversize_without');
  // Realistic Markdown, not one giant line: sections of prose, repeated to the size.
  const section = `## Section\n\n${'Milvus stores vectors and scalars in collections. '.repeat(20)}\n\n`;
  await writeFile(join(folder, 'huge-export.md'), section.repeat(Math.ceil((OVERSIZED_MB * 1024 * 1024) / section.length)));
  const withBig = await run('bench_oversize_with');
  options.log(
    `oversize: peak RSS ${without.peakRssMiB} MiB without, ${withBig.peakRssMiB} MiB with a ${OVERSIZED_MB} MB file ` +
      `(${withBig.skipped} skipped)`,
  );
  return { oversizedMiB: OVERSIZED_MB, without, with: withBig };
}

export function oversizeFigures(section: OversizeSection): Figure[] {
  return [
    figure('ingest', `ingest peak RSS with a ${section.oversizedMiB} MB file in the folder (skipped)`, 'MiB', section.with.peakRssMiB, [
      { label: 'same folder without it', value: section.without.peakRssMiB },
    ]),
  ];
}
