/**
 * Bench child: one ingest of a docs folder into a Milvus server, alone in its process
 * so its peak RSS (VmHWM) belongs to that pipeline only.
 *
 * askdocs: the runtime and `ingestFolder` call exactly as `askdocs ingest` makes them.
 * langchain: baseline (c), see ../baselines/langchain.ts.
 */

import { testConfig } from 'askdocs/test';
import { createEmbedder } from '../../src/embeddings/index.ts';
import { ingestFolder } from '../../src/ingest/ingest.ts';
import { createLogger } from '../../src/logger.ts';
import { openRuntime } from '../../src/runtime.ts';
import { ingestWithLangChain } from '../baselines/langchain.ts';
import { childPayload, reportToParent, runAsChild } from '../lib/child.ts';
import { readMemory } from '../lib/proc.ts';

export interface IngestPayload {
  pipeline: 'askdocs' | 'langchain';
  /** Milvus address, host:port. */
  address: string;
  collection: string;
  dir: string;
}

export interface IngestResult {
  type: 'result';
  pipeline: IngestPayload['pipeline'];
  /** Time inside the ingest call (scan, chunk, embed, write), model loading excluded. */
  seconds: number;
  /** CPU time of this process (all threads) during the ingest call: less sensitive than wall time to other work on the machine. */
  cpuSeconds: number;
  /** Starting Milvus connection and loading the embedding model. */
  setupSeconds: number;
  chunks: number;
  /** Chunks embedded in this run (askdocs skips unchanged ones). */
  embedded: number;
  files: number;
  /** Files the ingest skipped (too large, binary, unreadable); 0 for the LangChain baseline. */
  skipped?: number;
  peakRssBytes: number | null;
}

runAsChild(async () => {
  const payload = childPayload<IngestPayload>();
  const config = testConfig({ MILVUS_URI: `http://${payload.address}`, MILVUS_COLLECTION: payload.collection });
  const logger = createLogger({ level: 'silent' });
  const setupStarted = performance.now();
  let result: Omit<IngestResult, 'type' | 'pipeline' | 'setupSeconds' | 'peakRssBytes' | 'cpuSeconds'>;
  let cpuBefore: NodeJS.CpuUsage;
  let setupSeconds: number;
  if (payload.pipeline === 'askdocs') {
    const runtime = await openRuntime(config, { logger });
    setupSeconds = (performance.now() - setupStarted) / 1000;
    cpuBefore = process.cpuUsage();
    try {
      const summary = await ingestFolder({
        dir: payload.dir,
        store: runtime.store,
        embedder: runtime.embedder,
        maxChars: config.ingest.chunkMaxChars,
        overlapChars: config.ingest.chunkOverlapChars,
        baseUrl: config.ingest.docsBaseUrl,
        batchSize: config.embedding.batchSize,
        logger,
      });
      const files = summary.files;
      result = {
        seconds: summary.seconds,
        chunks: summary.chunks.total,
        embedded: summary.chunks.embedded,
        files: files.added + files.changed + files.unchanged,
        skipped: files.skipped,
      };
    } finally {
      await runtime.close();
    }
  } else {
    const embedder = await createEmbedder(config.embedding, logger);
    setupSeconds = (performance.now() - setupStarted) / 1000;
    cpuBefore = process.cpuUsage();
    // LangChain's splitter warns on stdout-bound console for oversized pieces; keep the bench output clean.
    console.warn = () => undefined;
    const ingest = await ingestWithLangChain({ dir: payload.dir, address: payload.address, collection: payload.collection, embedder });
    result = { seconds: ingest.seconds, chunks: ingest.chunks, embedded: ingest.chunks, files: ingest.files };
  }
  const cpu = process.cpuUsage(cpuBefore);
  await reportToParent({
    type: 'result',
    pipeline: payload.pipeline,
    setupSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    ...result,
    peakRssBytes: readMemory().peakRssBytes,
  } satisfies IngestResult);
});
