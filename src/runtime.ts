/**
 * Wires the engine's parts from config: Milvus (starting Milvus Lite when
 * MILVUS_URI is a local path), the embedder, the retriever and the engine.
 * Every front end (CLI, Slack, Discord, bench) opens one Runtime and closes it on exit.
 */

import type { Config } from './config.ts';
import { createEmbedder, type Embedder } from './embeddings/index.ts';
import { createEngine } from './engine/engine.ts';
import type { Engine } from './engine/types.ts';
import type { Logger } from './logger.ts';
import { registerSecrets } from './logger.ts';
import {
  legacyDataMessage,
  type MilvusLiteServer,
  nothingIngestedIn,
  type StartMilvusLiteOptions,
  startMilvusLite,
} from './milvus/lite-server.ts';
import { ChunkStore } from './milvus/store.ts';
import { type AskdocsMetrics, metrics } from './observability/metrics.ts';
import { createQuestionLog, type QuestionLog } from './questions/log.ts';
import { QuestionStore } from './questions/store.ts';
import { createRetriever } from './retrieval/retriever.ts';
import { credentialsOf } from './url-credentials.ts';

export interface Runtime {
  config: Config;
  logger: Logger;
  store: ChunkStore;
  embedder: Embedder;
  engine: Engine;
  /** The process-wide metrics served on /metrics, for the front ends to hand on (the engine records into them). */
  metrics: AskdocsMetrics;
  /** The question log (absent with QUESTION_LOG=off); closing the runtime flushes it. */
  questionLog?: QuestionLog;
  /** Present when askdocs started Milvus Lite itself. */
  lite?: MilvusLiteServer;
  /**
   * Liveness: false once the embedded engine died and could not be restarted (the
   * process is then of no use and should be restarted by its supervisor), and while
   * the engine stopped answering and has not been restarted yet (its watchdog killed
   * it; should the kill or the restart not work, the supervisor steps in).
   */
  alive(): { ok: boolean; detail?: string };
  /** Whether the embedded engine answers a cheap request within `ms`; a Milvus server counts as answering. */
  engineAnswers(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

/** How long closing waits for the embedded engine to answer before it stops it without more writes. */
const ENGINE_PROBE_MS = 1_500;

export interface OpenRuntimeOptions {
  logger: Logger;
  /**
   * Whether an embedded engine may make its data folder and data file where none exist
   * (default true: ingest, the bots, the bench). A command that only reads passes false
   * and, with nothing ingested there, fails at once naming the folder instead of leaving
   * an empty index behind.
   */
  createIndex?: boolean;
  /** Internal (tests): the embedded engine's hang watchdog and restart timing. */
  engine?: Pick<StartMilvusLiteOptions, 'watchdog' | 'restartDelayMs'>;
}

export async function openRuntime(config: Config, options: OpenRuntimeOptions): Promise<Runtime> {
  const { logger } = options;
  registerSecrets(
    config.llm.apiKey,
    config.embedding.apiKey,
    config.milvus.token,
    config.slack.botToken,
    config.slack.signingSecret,
    config.slack.appToken,
    config.discord.token,
    // Passwords in URLs: the clients never see them there, but a log line might quote the URL.
    ...[config.milvus.uri, config.llm.baseURL, config.embedding.baseURL].map((url) => url && credentialsOf(url)?.password),
  );
  // Start Milvus Lite and load the model at the same time: both take a few seconds.
  const litePromise =
    config.milvus.mode === 'lite'
      ? startMilvusLite({
          dataDir: config.milvus.dataDir!,
          timeoutMs: config.milvus.startTimeoutMs,
          logger,
          createIfMissing: options.createIndex ?? true,
          ...options.engine,
        })
      : undefined;
  const embedderPromise = createEmbedder(config.embedding, logger);
  const [liteResult, embedderResult] = await Promise.allSettled([litePromise, embedderPromise]);
  const lite = liteResult.status === 'fulfilled' ? liteResult.value : undefined;
  if (liteResult.status === 'rejected' || embedderResult.status === 'rejected') {
    await lite?.stop();
    throw liteResult.status === 'rejected' ? liteResult.reason : (embedderResult as PromiseRejectedResult).reason;
  }
  const embedder = embedderResult.value;

  let store: ChunkStore;
  try {
    store = await ChunkStore.connect({
      address: lite?.address ?? config.milvus.uri,
      token: config.milvus.token,
      collection: config.milvus.collection,
      logger,
      // With the embedded engine, "nothing ingested" names the data folder it looked in.
      missingHint: lite ? (lite.legacyData ? legacyDataMessage(lite.legacyData) : nothingIngestedIn(lite.dataDir)) : undefined,
      embedding: { model: embedder.model, dimension: embedder.dimension },
    });
  } catch (error) {
    await lite?.stop();
    throw error;
  }

  // After the engine came back from a crash, collections must be loaded again.
  lite?.onRestart(() => store.forgetLoaded());
  let failure: string | undefined;
  lite?.onFailed((reason) => {
    failure = reason;
  });

  const address = lite?.address ?? config.milvus.uri;
  const questionLog = config.questionLog.enabled
    ? createQuestionLog({
        config,
        embedder,
        logger,
        connect: () => QuestionStore.connect({ address, token: config.milvus.token, collection: config.questionLog.collection, logger }),
      })
    : undefined;
  const retriever = createRetriever({ store, embedder, config, logger });
  const engine = createEngine({ retriever, config, logger, observer: questionLog, metrics });

  /** Whether the embedded engine answers a cheap request within `ms` (a Milvus server is taken as answering). */
  const engineAnswers = async (ms: number): Promise<boolean> => {
    if (!lite) return true;
    if (lite.state() !== 'running') return false;
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      store.exists().then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
    clearTimeout(timer);
    return answered;
  };

  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    store,
    embedder,
    engine,
    metrics,
    questionLog,
    lite,
    engineAnswers,
    alive: () => {
      if (failure) return { ok: false, detail: failure };
      const hung = lite?.hung();
      return hung ? { ok: false, detail: hung } : { ok: true };
    },
    close() {
      // From now on an engine exit is expected (Ctrl-C reaches it too), while the log is written.
      lite?.expectStop();
      closing ??= (async () => {
        // An engine that does not answer is stopped first: writing the question log to it, or
        // even closing the connections to it, would wait on it, and hold up its stop (and the
        // process exit) past a supervisor's grace period.
        const answers = await engineAnswers(ENGINE_PROBE_MS);
        if (!answers)
          logger.warn({ waitedMs: ENGINE_PROBE_MS }, 'the milvus engine does not answer: stopping it before closing the connections to it');
        if (!answers) await lite?.stop();
        // Questions answered just before closing (a CLI `ask`) are written first, within bounds.
        if (answers) await questionLog?.flush(10_000);
        await questionLog?.close();
        await store.close().catch((error) => logger.warn({ err: error }, 'closing the Milvus connection failed'));
        await lite?.stop();
      })();
      return closing;
    },
  };
}
