/**
 * Questions made from messages that were not written to the bot, the same on every
 * platform: someone's message quoted through "ask about this message" (its text, with
 * the conversation above it as history), and a new forum post (its title and body).
 */
import { cleanQuestion, MAX_QUESTION_CHARS } from '../engine/question.ts';
import { truncate } from '../engine/source-label.ts';
import { stripMention } from './conversation.ts';

/** What the asker hears when the quoted message has no text (it is empty, or only an embed, a file or a sticker). */
export const NO_TEXT_TO_ASK_ABOUT =
  'That message has no text I can answer: it is empty, or holds only an embed, a file or a sticker. Ask me in your own words instead, for example with `/askdocs`.';

/**
 * The question a quoted message asks, or undefined when it has no text. The asker did
 * not write it, so a long paste is cut to what the engine accepts rather than refused.
 */
export function questionFromMessage(text: string, botUserId?: string): string | undefined {
  const question = stripMention(text, botUserId);
  return question === '' ? undefined : truncate(question, MAX_QUESTION_CHARS);
}

/**
 * A forum post's question: its title, then its body, unless the body already begins with
 * the title. Both cleaned (cleanQuestion): a post of only invisible characters is empty.
 */
export function questionFromPost(title: string, body: string): string {
  const heading = cleanQuestion(title);
  const text = cleanQuestion(body);
  if (text === '' || text.toLowerCase().startsWith(heading.toLowerCase())) return truncate(text || heading, MAX_QUESTION_CHARS);
  return truncate(`${heading}\n\n${text}`, MAX_QUESTION_CHARS);
}
