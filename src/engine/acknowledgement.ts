/**
 * "thanks!", "ok great", "perfect 👍" said in a thread after an answer: a reply to the
 * answer, not a question. Searched as a follow-up it matched the previous answer's pages
 * and the answer came again; logged as a question it was an abstention that coverage
 * gaps would count. It gets a short reply and is not logged.
 *
 * Only in a thread that has an answer, only without a question mark, and only when
 * every word is a closing word or a word that carries no topic, and nothing is negated:
 * "not working", "ok and for java" or "thanks, how do I drop it" stay questions.
 */
import { contentWords } from '../retrieval/rewrite.ts';
import type { Turn } from './types.ts';

export const ACKNOWLEDGED_TEXT = 'Glad to help! Ask another question here any time.';

/** Closing words that contentWords (rewrite.ts) would otherwise take for a topic. */
const CLOSING_WORDS = new Set([
  'thank',
  'thx',
  'thnx',
  'tks',
  'cheers',
  'great',
  'perfect',
  'awesome',
  'excellent',
  'brilliant',
  'amazing',
  'helpful',
  'helps',
  'helped',
  'works',
  'worked',
  'working',
  'sounds',
  'good',
  'makes',
  'sense',
  'gotcha',
  'understood',
  'appreciate',
  'appreciated',
  'lot',
  'much',
  'many',
  'sweet',
  'lovely',
]);

export function isAcknowledgement(text: string, history: Turn[] | undefined): boolean {
  if (!history?.some((turn) => turn.role === 'assistant')) return false;
  if (text.includes('?') || text.trim().split(/\s+/).length > 8) return false;
  if (!/\p{L}/u.test(text) && !/\p{Extended_Pictographic}/u.test(text)) return false;
  // "not working", "no good": a complaint about the answer, which a follow-up must take up.
  if (/\b(?:not|no|never|nope|nah)\b|n['’]t\b/i.test(text)) return false;
  return contentWords(text).every((word) => CLOSING_WORDS.has(word));
}
