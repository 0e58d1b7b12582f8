/**
 * How ingest progress looks to a person: a live bar on a terminal, and on anything
 * else (CI logs, pipes) just one summary line at the end, so logs stay quiet.
 */
import cliProgress from 'cli-progress';
import { escapeControlChars } from '../control-chars.ts';
import { counted } from '../plural.ts';
import { type IngestProgress, type IngestSummary, unreadFiles } from './ingest.ts';

export interface ProgressReporter {
  onProgress(event: IngestProgress): void;
  /** Stops the bar (on success or failure) so the terminal is left clean. */
  stop(): void;
}

export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  if (!stream.isTTY) {
    return {
      onProgress(event) {
        if (event.type === 'skipped') stream.write(`${formatSkipped(event)}\n`);
        if (event.type === 'unread') stream.write(`${formatUnread(event.byFormat)}\n`);
        if (event.type === 'done') stream.write(`${formatSummary(event.summary)}\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'Embedding |{bar}| {value}/{total} chunks | files {filesDone}/{files} | {rate} chunks/s | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = 0;
  let active = false;
  return {
    onProgress(event) {
      // Skips are found while planning, before the bar starts.
      if (event.type === 'skipped') stream.write(`${formatSkipped(event)}\n`);
      else if (event.type === 'unread') stream.write(`${formatUnread(event.byFormat)}\n`);
      else if (event.type === 'planned') {
        if (event.toEmbed === 0) return;
        started = performance.now();
        bar.start(event.toEmbed, 0, { filesDone: 0, files: event.files, rate: '0.0' });
        active = true;
      } else if (event.type === 'progress' && active) {
        const seconds = (performance.now() - started) / 1000;
        bar.update(event.written, {
          filesDone: event.filesDone,
          files: event.files,
          rate: seconds > 0 ? (event.written / seconds).toFixed(1) : '0.0',
        });
      } else if (event.type === 'done') {
        if (active) bar.stop();
        active = false;
        stream.write(`${formatSummary(event.summary)}\n`);
      }
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
}

/** Escaped: a file name is whatever someone saved, ESC included, and a reason may quote an error. */
export function formatSkipped(skip: { path: string; reason: string }): string {
  return escapeControlChars(`Skipped ${skip.path}: ${skip.reason}`);
}

export function formatUnread(byFormat: Record<string, number>): string {
  return `Not read: ${unreadFiles(byFormat)} (askdocs reads Markdown, MDX and plain text; convert them to include them).`;
}

export function formatSummary(summary: IngestSummary): string {
  const { files, chunks } = summary;
  const skipped = files.skipped > 0 ? `, ${files.skipped} skipped` : '';
  const reused = chunks.reused > 0 ? `, ${chunks.reused} re-stored with their vectors` : '';
  return (
    `Ingested ${counted(files.added + files.changed + files.unchanged, 'file')} ` +
    `(${files.added} added, ${files.changed} changed, ${files.unchanged} unchanged, ${files.removed} removed${skipped}): ` +
    `${counted(chunks.total, 'chunk')}, ${chunks.embedded} embedded${reused}, ${chunks.deleted} deleted in ${summary.seconds.toFixed(1)} s`
  );
}
