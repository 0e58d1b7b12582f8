/**
 * Prometheus metrics for askdocs, on one dedicated registry (never prom-client's
 * global one, so embedding askdocs in another process cannot clash with its metrics).
 * The registry also carries prom-client's default process metrics (CPU, memory,
 * event-loop lag, GC), prefixed `askdocs_`. `/metrics` (health-server.ts) serves it.
 *
 * The process-wide `metrics` are imported only where a process is put together (the
 * runtime, the CLI commands, the lifecycle); the engine, the ingest and the chat delivery
 * layer are handed them (or `createMetrics(new Registry())` in tests) and record where
 * the event happens:
 *
 * ```ts
 * metrics.questions.inc({ platform: 'slack', outcome: 'answered' }); // answered | abstained | error
 * const stop = metrics.totalSeconds.startTimer({ platform: 'slack' }); // ... stop();
 * metrics.retrieveSeconds.observe({ platform: 'cli' }, seconds);
 * metrics.firstTokenSeconds.observe({ platform: 'discord' }, seconds);
 * metrics.llmTokens.inc({ kind: 'prompt' }, usage.promptTokens);      // prompt | completion
 * metrics.llmErrors.inc({ reason: 'rate_limited' });                  // free-form, low-cardinality
 * metrics.feedback.inc({ platform: 'slack', vote: 'up' });            // up | down
 * metrics.ingestFiles.inc({ action: 'added' }, n);                    // added | changed | unchanged | removed
 * metrics.ingestChunks.inc({ action: 'embedded' }, n);                // embedded | deleted
 * metrics.unhandledRejections.inc();                                  // a bug somewhere, counted, not fatal
 * ```
 *
 * Keep label values low-cardinality (never user ids, channel ids or question text):
 * each distinct value is a separate time series in Prometheus.
 *
 * Tests that need isolated counts call `createMetrics(new Registry())` instead of
 * sharing the process-wide `metrics`.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export { Registry };

export type QuestionOutcome = 'answered' | 'abstained' | 'error';
export type TokenKind = 'prompt' | 'completion';
export type FeedbackVote = 'up' | 'down';
export type IngestFileAction = 'added' | 'changed' | 'unchanged' | 'removed';
export type IngestChunkAction = 'embedded' | 'deleted';

/**
 * Latency buckets in seconds, 5 ms to 60 s: fine-grained below a second for
 * retrieval, coarse above it for LLM answers (the LLM timeout defaults to 60 s).
 */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];

export function createMetrics(registry: Registry) {
  const registers = [registry];
  const latency = (name: string, help: string) =>
    new Histogram<'platform'>({ name, help, labelNames: ['platform'], buckets: LATENCY_BUCKETS, registers });

  return {
    questions: new Counter<'platform' | 'outcome'>({
      name: 'askdocs_questions_total',
      help: 'Questions handled, by platform and outcome (answered, abstained, error).',
      labelNames: ['platform', 'outcome'],
      registers,
    }),
    retrieveSeconds: latency('askdocs_retrieve_seconds', 'Time to retrieve sources for a question (embed + hybrid search).'),
    firstTokenSeconds: latency(
      'askdocs_first_token_seconds',
      'Time from receiving a question to the first answer text (what the user waits for).',
    ),
    totalSeconds: latency('askdocs_answer_seconds', 'Time from receiving a question to its final answer.'),
    llmTokens: new Counter<'kind'>({
      name: 'askdocs_llm_tokens_total',
      help: 'LLM tokens used, by kind (prompt, completion).',
      labelNames: ['kind'],
      registers,
    }),
    llmErrors: new Counter<'reason'>({
      name: 'askdocs_llm_errors_total',
      help: 'Failed LLM calls, by reason (e.g. timeout, rate_limited, unavailable).',
      labelNames: ['reason'],
      registers,
    }),
    feedback: new Counter<'platform' | 'vote'>({
      name: 'askdocs_feedback_total',
      help: 'Feedback votes on answers, by platform and vote (up, down).',
      labelNames: ['platform', 'vote'],
      registers,
    }),
    ingestFiles: new Counter<'action'>({
      name: 'askdocs_ingest_files_total',
      help: 'Documents seen by ingest, by action (added, changed, unchanged, removed).',
      labelNames: ['action'],
      registers,
    }),
    unhandledRejections: new Counter({
      name: 'askdocs_unhandled_rejections_total',
      help: 'Promise rejections nothing handled; a long-running bot logs and counts them and keeps serving.',
      registers,
    }),
    ingestChunks: new Counter<'action'>({
      name: 'askdocs_ingest_chunks_total',
      help: 'Chunks written or removed by ingest, by action (embedded, reused: re-stored with their vector, deleted).',
      labelNames: ['action'],
      registers,
    }),
  };
}

export type AskdocsMetrics = ReturnType<typeof createMetrics>;

/** The process-wide registry that `/metrics` serves. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'askdocs_' });

/** The process-wide metrics that `/metrics` serves; the runtime hands them to the engine, chat bots and ingest. */
export const metrics: AskdocsMetrics = createMetrics(registry);
