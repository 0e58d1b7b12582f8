/**
 * Whether a word is ordinary English: in an English word list (the `an-array-of-english-words`
 * package, 275,000 words with their inflections; not `word-list`, which leaves out words with a
 * rude sense, "knob" among them), or made of such words the way chat writes them (a
 * contraction without its apostrophe, "dont"; two words run together, "crashloop"; a
 * drawn-out word, "slooow").
 *
 * The retriever asks this of question words the docs never use (distinctive.ts): one that
 * is not English either is mostly a name ("weaviate", "msgspec", "protobuf"), while slang,
 * typos and contractions are English or close to it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let hashes: Uint32Array | undefined;

/** The list as sorted 32-bit hashes: 1 MB instead of the 23 MB a Set of its strings takes. A collision only makes a rare name read as English. */
function englishHashes(): Uint32Array {
  if (!hashes) {
    // Read when first needed, not at start-up: 3 MB of JSON most processes never ask about.
    const path = createRequire(import.meta.url).resolve('an-array-of-english-words');
    const words = JSON.parse(readFileSync(path, 'utf8')) as string[];
    const list = new Uint32Array(words.length);
    for (let i = 0; i < words.length; i++) list[i] = fnv1a(words[i]!);
    hashes = list.sort();
  }
  return hashes;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function listed(word: string): boolean {
  const list = englishHashes();
  const target = fnv1a(word);
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const value = list[middle]!;
    if (value === target) return true;
    if (value < target) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}

/** Endings of contractions written without the apostrophe: "dont", "doesnt", "youre", "weve", "theyll". */
const CONTRACTION_ENDING = /^(.{2,}?)(?:nt|re|ve|ll)$/;
/** The shortest word counted as one half of two run together ("crash" + "loop"). */
const MIN_PART = 3;

/** `word` in lower case. */
export function isEnglish(word: string): boolean {
  return listed(word) || spelledForChat(word) || isRunTogether(word);
}

/** An English word as chat spells it, not itself in the list: "dont", "youre", "slooow". */
export function isChatSpelling(word: string): boolean {
  return !listed(word) && spelledForChat(word);
}

/** A listed word drawn out ("slooow", "soooo": letters repeated for emphasis) or a contraction without its apostrophe. */
function spelledForChat(word: string): boolean {
  if (/(.)\1{2,}/.test(word) && (listed(word.replace(/(.)\1{2,}/g, '$1')) || listed(word.replace(/(.)\1{2,}/g, '$1$1')))) return true;
  const stem = CONTRACTION_ENDING.exec(word)?.[1];
  return stem !== undefined && listed(stem);
}

/** Two English words run together: "crashloop", "backfill". */
function isRunTogether(word: string): boolean {
  for (let split = MIN_PART; split <= word.length - MIN_PART; split++) {
    if (listed(word.slice(0, split)) && listed(word.slice(split))) return true;
  }
  return false;
}
