/**
 * Condensing a follow-up with the LLM: the thread and the question in, one standalone
 * question out (the condense prompt). The engine is the one caller, and the only
 * condense path: the retriever then searches that question with no history, and when
 * there is no LLM or this fails, the retriever's own heuristic rewrite takes over.
 */
import type { Turn } from '../engine/types.ts';
import type { Logger } from '../logger.ts';
import type { LlmClient } from './llm.ts';
import { buildCondenseMessages, parseCondensed } from './prompt.ts';

/** Throws when the LLM fails or replies with nothing usable (or a cut-off question), so the caller falls back to the heuristic. */
export async function condenseFollowUp(
  llm: LlmClient,
  question: string,
  history: Turn[],
  signal?: AbortSignal,
  logger?: Logger,
): Promise<string> {
  const completion = await llm.complete({
    messages: buildCondenseMessages({ question, history }),
    signal,
    logger,
    maxTokens: 200,
    temperature: 0,
    // An optional step: fall back to the heuristic at once rather than wait through retries.
    maxRetries: 0,
  });
  // A question cut off at the token limit would be searched as a fragment of itself.
  if (completion.finish === 'length') throw new Error('the standalone question was cut off at the token limit');
  const standalone = parseCondensed(completion.text);
  if (!standalone) throw new Error('the LLM returned no standalone question');
  return standalone;
}
