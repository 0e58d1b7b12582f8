/**
 * "thanks!", "ok great", "perfect 👍": a reply to an answer, not a question. Searched as a
 * follow-up it matched the previous answer's pages and the answer came again; as a first
 * message (a thanks for an answer elsewhere, `/askdocs thanks`) it had nothing to search
 * and abstained with unrelated pages; logged as a question either way, it was an
 * abstention that coverage gaps counted (a lone "thanks!" became the top gap). It gets a
 * short reply and is not logged.
 *
 * Only without a question mark, and only when every word is a closing word or a word
 * that carries no topic, and nothing is negated: "not working", "ok and for java" or
 * "thanks, how do I drop it" stay questions.
 */
import { contentWords } from '../retrieval/rewrite.ts';

export const ACKNOWLEDGED_TEXT = 'Glad to help! Ask a question about the docs any time.';

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

export function isAcknowledgement(text: string): boolean {
  if (text.includes('?') || text.trim().split(/\s+/).length > 8) return false;
  if (!/\p{L}/u.test(text) && !/\p{Extended_Pictographic}/u.test(text)) return false;
  // "not working", "no good": a complaint about the answer, which a follow-up must take up.
  if (/\b(?:not|no|never|nope|nah)\b|n['’]t\b/i.test(text)) return false;
  return contentWords(text).every((word) => CLOSING_WORDS.has(word));
}
