/**
 * What makes a question askable, checked before anything slow starts: `askdocs ask ""`
 * must not wait for Milvus and the model only to be told to type a question.
 */
import type { Question } from '../engine/types.ts';
import { AskdocsError } from '../errors.ts';

/** Longer questions are refused: they are pasted logs or documents, not questions. */
export const MAX_QUESTION_CHARS = 4_000;

export function checkQuestion(question: Pick<Question, 'text'>): void {
  const text = question.text.trim();
  if (text.length === 0) throw new AskdocsError('input', 'Please type a question.');
  if (text.length > MAX_QUESTION_CHARS) {
    throw new AskdocsError(
      'input',
      `That question is too long (${text.length} characters; the limit is ${MAX_QUESTION_CHARS}). Please shorten it.`,
    );
  }
}
