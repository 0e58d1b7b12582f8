/**
 * Which logged questions are coverage gaps: the bot abstained, the asker clicked
 * 👎, or the answer's best relevance was low (answered, but barely).
 */
import type { Vote } from '../feedback/store.ts';
import type { LoggedQuestion } from '../questions/store.ts';

export type GapReason = 'abstained' | 'downvoted' | 'low_relevance';

/** The reason a question is a gap, or undefined when it was answered well enough. */
export function gapReason(question: LoggedQuestion, vote: Vote | undefined, lowRelevance: number): GapReason | undefined {
  if (question.abstained || question.mode === 'abstained') return 'abstained';
  if (vote === 'down') return 'downvoted';
  if (!Number.isFinite(question.relevance) || question.relevance < lowRelevance) return 'low_relevance';
  return undefined;
}
