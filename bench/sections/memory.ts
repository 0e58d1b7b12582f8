/**
 * 6. Memory, from the other sections' runs: the bot process idle (after one warm-up
 * answer) and at its peak under the largest burst, the ingest process (peak and mean
 * RSS while ingesting), and the Milvus Lite server, a separate process.
 */
import { type Figure, figure } from '../lib/results.ts';
import type { ChatPlatformSection } from './chat.ts';
import type { IngestSection } from './ingest.ts';

export interface MemorySection {
  idleBotRssMiB: number | null;
  burstPeakRssMiB: number | null;
  ingestPeakRssMiB: number | null;
  ingestMeanRssMiB: number | null;
  milvusLiteRssMiB: number | null;
}

export function memorySection(input: {
  ingest: IngestSection;
  slack?: ChatPlatformSection;
  discord?: ChatPlatformSection;
  milvusLiteRssMiB: number | null;
}): MemorySection {
  const chat = input.slack ?? input.discord;
  return {
    idleBotRssMiB: chat?.levels[0]?.idleRssMiB ?? null,
    burstPeakRssMiB: chat?.levels.at(-1)?.peakRssMiB ?? null,
    ingestPeakRssMiB: input.ingest.askdocs.peakRssMiB,
    ingestMeanRssMiB: input.ingest.askdocs.meanRssMiB,
    milvusLiteRssMiB: input.milvusLiteRssMiB,
  };
}

export function memoryFigures(m: MemorySection): Figure[] {
  const idle = { label: 'idle bot', value: m.idleBotRssMiB };
  return [
    figure('memory', 'idle bot RSS (askdocs slack, after one answer)', 'MiB', m.idleBotRssMiB, [
      { label: 'bot peak under the largest burst', value: m.burstPeakRssMiB },
    ]),
    figure('memory', 'RSS during ingest: peak', 'MiB', m.ingestPeakRssMiB, [idle]),
    figure('memory', 'RSS during ingest: mean', 'MiB', m.ingestMeanRssMiB, [idle]),
    figure('memory', 'Milvus Lite server RSS (separate process) after the chat runs', 'MiB', m.milvusLiteRssMiB, [idle]),
  ];
}
