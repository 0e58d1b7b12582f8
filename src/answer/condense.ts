/**
 * The LLM query rewriter: turns a follow-up into a standalone question with the
 * condense prompt. The engine is its one caller; the retriever then searches the
 * standalone question with no history.
 */
import type { QueryRewriter } from '../retrieval/rewrite.ts';
import type { LlmClient } from './llm.ts';
import { buildCondenseMessages, parseCondensed } from './prompt.ts';

/** Throws when the LLM fails or replies with nothing usable, so callers fall back to the heuristic. */
export function createLlmRewriter(llm: LlmClient, signal?: AbortSignal): QueryRewriter {
  return async (question, history) => {
    const completion = await llm.complete({
      messages: buildCondenseMessages({ question, history }),
      signal,
      maxTokens: 200,
      temperature: 0,
      // An optional step: fall back to the heuristic at once rather than wait through retries.
      maxRetries: 0,
    });
    const standalone = parseCondensed(completion.text);
    if (!standalone) throw new Error('the LLM returned no standalone question');
    return standalone;
  };
}
