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
  return stripInvisibleChars(text).trim();
}

/** The refusal for a cleaned question over MAX_QUESTION_CHARS; undefined when it is short enough. */
export function tooLongMessage(text: string): string | undefined {
  if (text.length <= MAX_QUESTION_CHARS) return undefined;
  return `That question is too long (${text.length} characters; the limit is ${MAX_QUESTION_CHARS}). Please shorten it.`;
}

export function checkQuestion(question: Pick<Question, 'text'>): void {
  const text = cleanQuestion(question.text);
  if (text.length === 0) throw new AskdocsError('input', 'Please type a question.');
  const tooLong = tooLongMessage(text);
  if (tooLong) throw new AskdocsError('input', tooLong);
}
