/**
 * What makes a question askable, checked before anything slow starts: `askdocs ask ""`
 * must not wait for Milvus and the model only to be told to type a question. The same
 * rule for every entry point (CLI, Slack, Discord): a question is the text a reader
 * sees, so one made only of control or zero-width characters is no question at all.
 */
import { stripInvisibleChars } from '../control-chars.ts';
import type { Question } from '../engine/types.ts';
import { AskdocsError } from '../errors.ts';

/** Longer questions are refused: they are pasted logs or documents, not questions. */
export const MAX_QUESTION_CHARS = 4_000;

/**
 * The question as typed, without control and invisible characters, trimmed. Entry points
 * ask with this text: an empty result gets their usage hint, and nothing a reader cannot
 * see is echoed in a channel or written to the question log.
 */
export function cleanQuestion(text: string): string {
  if (stripInvisibleChars(text).trim() === '') return '';
  return stripInvisibleChars(text, { keepShaping: true }).trim();
}

/**
 * Why a question cannot be asked, in the words its asker sees; undefined when it can.
 * Chat adapters ask this before anything is posted, so an over-long question is refused
 * privately instead of being echoed in a channel first (they give an empty one their own
 * usage hint before asking).
 */
export function questionRefusal(text: string): string | undefined {
  const cleaned = cleanQuestion(text);
  if (cleaned.length === 0) return 'Please type a question.';
  if (cleaned.length <= MAX_QUESTION_CHARS) return undefined;
  return `That question is too long (${cleaned.length} characters; the limit is ${MAX_QUESTION_CHARS}). Please shorten it.`;
}

export function checkQuestion(question: Pick<Question, 'text'>): void {
  const refusal = questionRefusal(question.text);
  if (refusal) throw new AskdocsError('input', refusal);
}
