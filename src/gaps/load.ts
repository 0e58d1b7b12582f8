/**
 * Builds the gaps report from what a running askdocs has: the question log next to
 * the chunks, the feedback store's votes, and the runtime's search and retrieval.
 * Shared by `askdocs gaps` and the digest the bots post, so both show the same gaps.
 */
import type { LlmClient } from '../answer/llm.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { enforceRetention } from '../questions/log.ts';
import { QuestionStore } from '../questions/store.ts';
import type { Runtime } from '../runtime.ts';
import { buildGapsReport, type GapsReport } from './report.ts';
import { llmSuggestion, templateSuggestion } from './suggest.ts';
import { votesFromConfig } from './votes.ts';

export interface LoadGapsOptions {
  /** Window: questions asked in the last `sinceMs`. */
  sinceMs: number;
  minSize: number;
  now?: Date;
}

export interface LoadedGaps {
  report: GapsReport;
  /** False when no question was ever logged (the collection does not exist). */
  logExists: boolean;
}

export async function loadGapsReport(
  runtime: Pick<Runtime, 'store' | 'engine' | 'lite'>,
  config: Config,
  logger: Logger,
  options: LoadGapsOptions,
): Promise<LoadedGaps> {
  const questions = await QuestionStore.connect({
    address: runtime.lite?.address ?? config.milvus.uri,
    token: config.milvus.token,
    collection: config.questionLog.collection,
    logger,
  });
  try {
    const now = options.now ?? new Date();
    const since = new Date(now.getTime() - options.sinceMs);
    const logExists = await questions.exists();
    await enforceRetention(questions, config.questionLog.retentionDays, now);
    const logged = await questions.list(since);
    let llm: LlmClient | undefined;
    if (config.llm.apiKey) {
      const { createLlmClient } = await import('../answer/llm.ts');
      llm = createLlmClient(config.llm, { logger });
    }
    const report = await buildGapsReport({
      questions: logged,
      votes: await votesFromConfig(config, { since }),
      since,
      now,
      minSize: options.minSize,
      lowRelevance: config.gaps.lowRelevance,
      clusterDistance: config.gaps.clusterDistance,
      reranker: config.retrieval.reranker,
      searchPages: (vector, limit) => runtime.store.denseSearch({ vector, limit }),
      retrieve: (text) => runtime.engine.retrieve({ text, scope: { platform: 'cli' } }),
      suggest: (input) => (llm ? llmSuggestion(llm, input, logger) : Promise.resolve(templateSuggestion(input))),
    });
    return { report, logExists };
  } finally {
    await questions.close();
  }
}
