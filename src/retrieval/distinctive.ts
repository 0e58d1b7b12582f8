/**
 * Distinctive terms a question asks about that the retrieved passages never mention.
 *
 * "in qdrant, what's the max payload size?" retrieves Milvus pages about payloads
 * that match every word but the one that matters. The tell is in the corpus itself:
 * a term the docs mention in only one passage (another product named in passing, a
 * standard cited once) carries the question's subject, and when none of the top
 * passages contains it they answer a different question. Words the docs never use
 * at all are not counted: in chat those are mostly slang and typos ("prod",
 * "collecton"), and off-topic questions are already caught by low relevance.
 *
 * Document frequency comes from Milvus's own BM25 index: a one-term BM25 search
 * returns at most `limit` chunks, so its length is min(df, limit).
 */
import { distance } from 'fastest-levenshtein';
import type { RetrievedChunk } from '../engine/types.ts';
import { isChatSpelling, isEnglish } from './english.ts';
import { contentWords } from './rewrite.ts';
import { wordsBeforeVersions } from './versions.ts';

/** A term found in at most this many chunks of the corpus (and at least one) is distinctive. */
export const RARE_DOCUMENT_FREQUENCY = 1;
/**
 * Below this many chunks, being in one chunk says nothing about a word: in a 58-chunk
 * product site "long" is in one ("at most 64 characters long"), and "how long does an embed
 * token last?" was declined although its page ranked first. In the Milvus docs (3,187
 * chunks) one chunk is one in three thousand. Identifiers (matchedRareIdentifiers) stay
 * specific in any corpus, so that rule has no minimum.
 */
export const MIN_CHUNKS_FOR_RARE_TERMS = 1_000;

/** In how many chunks each term occurs, counted up to `atMost` (ChunkStore.termFrequencies). */
export type DocumentFrequencies = (terms: string[], atMost: number) => Promise<ReadonlyMap<string, number>>;

function terms(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

type Passage = Pick<RetrievedChunk, 'text' | 'title' | 'headingPath'>;

/** Every term of the passages: their titles, headings and text. */
function passageTerms(passages: Passage[]): Set<string> {
  return new Set(passages.flatMap((passage) => terms([passage.title, ...passage.headingPath, passage.text].join(' '))));
}

/** The question's rare corpus terms that none of `hits` contains (one lookup for all of them). */
export async function unmatchedDistinctiveTerms(
  question: string,
  hits: Passage[],
  documentFrequencies: DocumentFrequencies,
): Promise<string[]> {
  const inHits = passageTerms(hits);
  // Quoted and code text is the asker's own naming (a key called 'price$usd'), not the subject.
  const asked = new Set(contentWords(withoutQuotedText(question)).flatMap(terms));
  const missing = [...asked].filter((term) => term.length >= 3 && !/^\d+$/.test(term) && !inHits.has(term) && !isChatSpelling(term));
  if (missing.length === 0) return [];
  const frequencies = await documentFrequencies(missing, RARE_DOCUMENT_FREQUENCY + 1);
  return missing.filter((term) => {
    const frequency = frequencies.get(term) ?? 0;
    return frequency >= 1 && frequency <= RARE_DOCUMENT_FREQUENCY;
  });
}

/**
 * The question's identifiers (letters and digits together: an error code `E1077`, a
 * setting like `sq8`) that only one chunk of the corpus holds, and `top` is that chunk.
 * Embedders read such codes poorly, so the cosine of a lookup ("what does error E1077
 * mean?") can sit just under the threshold although the passage is the one place the
 * docs name it.
 */
export async function matchedRareIdentifiers(question: string, top: Passage, documentFrequencies: DocumentFrequencies): Promise<string[]> {
  const inTop = passageTerms([top]);
  const identifiers = [...new Set(contentWords(question).flatMap(terms))].filter(
    (term) => /\p{L}/u.test(term) && /\p{N}/u.test(term) && inTop.has(term),
  );
  if (identifiers.length === 0) return [];
  const frequencies = await documentFrequencies(identifiers, RARE_DOCUMENT_FREQUENCY + 1);
  return identifiers.filter((term) => (frequencies.get(term) ?? 0) === RARE_DOCUMENT_FREQUENCY);
}

/**
 * Words the question writes as a name: possessive ("winston's"), inner capitals
 * ("DailyRotateFile", "FedRAMP", "NestJS") or all capitals ("HIPAA", "QUIC"). Quoted text and
 * code spans are left out: there the asker names their own things (a collection called
 * 'prod-docs-v2'). Letters with digits are not names: mostly formats and units ("mp4",
 * "utf8"), and a docs set that never writes "mp4" may still answer a question about video.
 */
export function namedTerms(question: string): string[] {
  const named = new Set<string>();
  for (const raw of withoutQuotedText(question).split(/\s+/)) {
    const token = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    const possessive = /^(\p{L}[\p{L}\p{N}.-]*)['’]s$/u.exec(token);
    const word = possessive ? possessive[1]! : token;
    const isName = possessive !== null || /\p{Ll}\p{Lu}/u.test(word) || /^\p{Lu}{3,}\p{N}*$/u.test(word);
    if (!isName) continue;
    for (const term of terms(word)) if (term.length >= 3 && !/^\d+$/.test(term)) named.add(term);
  }
  return [...named];
}

/** The question without code spans and quoted text: there the asker names their own things (a collection called 'prod-docs-v2'). */
function withoutQuotedText(question: string): string {
  return question.replace(/`[^`]*`|(?<![\p{L}\p{N}])'[^']*'(?![\p{L}\p{N}])|"[^"]*"/gu, ' ');
}

/** The shortest word that can be told from a typo or an abbreviation of one the passages use. */
const MIN_UNUSUAL_LENGTH = 4;
/** Edits that still make a question word a typo of a word in the top passages ("feild", "colection"), from this length on. */
const TYPO_EDITS = 2;
const MIN_TYPO_LENGTH = 5;

/**
 * Question words that are not English (english.ts) and not a typo or an abbreviation of a
 * word in the top passages: in lower case a name looks like any other word ("weaviate
 * hybrid search", "in msgspec, how do I…", "straight into postgres"), and this is what is
 * left of one once chat's words are set aside.
 */
export function unusualWords(question: string, hits: Passage[]): string[] {
  // A word before a version ("we migrate from jira 9.4") names what the asker runs: context, as
  // for the version rule (versions.ts), unless it is the docs' own product, which the docs use.
  const versioned = new Set(wordsBeforeVersions(question));
  const candidates = [...new Set(contentWords(withoutQuotedText(question)).flatMap(terms))].filter(
    (term) => term.length >= MIN_UNUSUAL_LENGTH && /^\p{L}+$/u.test(term) && !versioned.has(term) && !isEnglish(term),
  );
  if (candidates.length === 0) return [];
  const passageWords = [...passageTerms(hits)];
  return candidates.filter(
    (term) =>
      !passageWords.some(
        (word) =>
          word.startsWith(term) ||
          (term.length >= MIN_TYPO_LENGTH && Math.abs(word.length - term.length) <= TYPO_EDITS && distance(term, word) <= TYPO_EDITS),
      ),
  );
}

/**
 * The names the question asks about that the docs never use, in any chunk: another
 * product ("winston's DailyRotateFile", "weaviate"), a standard or certification ("HIPAA",
 * "FedRAMP"). Unlike the rare-term rule above, this one needs no corpus size: a name no chunk
 * holds is no subject of these docs however few chunks there are. A name is a word written as
 * one (namedTerms) or a word that is not English (unusualWords); most other words the docs
 * never use are slang and typos.
 */
export async function unknownNames(
  question: string,
  documentFrequencies: DocumentFrequencies,
  /** The top passages, to look for words that are not English (unusualWords) too; without them, only words written as names count. */
  unusualIn?: Passage[],
): Promise<string[]> {
  const named = [...new Set([...namedTerms(question), ...(unusualIn ? unusualWords(question, unusualIn) : [])])];
  if (named.length === 0) return [];
  const frequencies = await documentFrequencies(named, 1);
  return named.filter((term) => (frequencies.get(term) ?? 0) === 0);
}
