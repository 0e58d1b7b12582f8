/**
 * What the engine tells an observer after each answered question. The engine is
 * platform-neutral and knows nothing about where this goes; the runtime injects
 * the question log (or nothing, with QUESTION_LOG=off).
 */
import type { AnswerMode, Platform, RetrievedChunk, ThreadRef } from '../engine/types.ts';

export interface AnsweredQuestion {
  requestId: string;
  platform: Platform;
  userId?: string;
  channelId?: string;
  /** Where to link back to the conversation (chat platforms). */
  thread?: ThreadRef;
  question: string;
  standalone: string;
  /** Acknowledgements ("thanks!") are no questions: the engine does not report them. */
  mode: Exclude<AnswerMode, 'acknowledged'>;
  abstained: boolean;
  /** Best relevance score of the retrieval; NaN when nothing was retrieved. */
  relevance: number;
  citedPaths: string[];
  askedAt: Date;
}

export interface AnswerObserver {
  /**
   * Called once per answered question, after its final event. Must return at once
   * and never throw: the answer is already out, and nothing here may hold it up.
   */
  answered(question: AnsweredQuestion): void;
}

/**
 * The relevance the abstention decision looked at: the reranker's score of the best
 * hit, or with RERANKER=off the best cosine similarity.
 */
export function bestRelevance(hits: RetrievedChunk[], reranker: 'features' | 'off'): number {
  const values = hits.map((hit) => (reranker === 'off' ? hit.similarity : hit.score)).filter(Number.isFinite);
  return values.length > 0 ? Math.max(...values) : Number.NaN;
}
