/**
 * Releases a question asks about, and whether the retrieved passages document them.
 *
 * "when is milvus 2.6 GA?" matches pages about 2.4 well, yet the docs say nothing about
 * 2.6. A version counts as asked about when it follows "version" or "release", is
 * written "v2.6" or "2.6.x", or follows the name of the product the docs are about; a
 * major release alone ("fastify 7", "v7") too, documented only where a passage writes it
 * as a release (majorPattern). That
 * name comes from the docs themselves, not from a list: a word at least a quarter of the
 * chunks use ("milvus" is in two thirds of the Milvus docs; "acme" in 43% of a small
 * product site). Another product's release ("we run spark 3.1": 1% of the Milvus docs;
 * "python 3.11": 23%) is context, not the subject.
 */
import type { RetrievedChunk } from '../engine/types.ts';
import { headingLinesIn } from '../ingest/headings.ts';
import type { DocumentFrequencies } from './distinctive.ts';
import { reorderWithinPage } from './rerank.ts';
import { contentWords } from './rewrite.ts';

/** Share of the chunks a word must occur in to be taken for the docs' product name. */
export const PRODUCT_NAME_SHARE = 0.25;
/** Milvus returns at most this many hits per search, so document frequencies are counted up to it. */
const MAX_COUNTED = 16_384;

// "v2.3", "Milvus v2.4.5", "v7": a release, whatever comes before it.
const MARKED_VERSION = /\bv(\d+(?:\.\d+){0,2})\b/giu;
// "2.6.x", "7.x".
const SERIES_VERSION = /\b(\d+(?:\.\d+)?)\.x\b/giu;
// "milvus 2.6", "version 3.0", "release 2.5", "spark 3.1", "fastify 7": a release of what the word names.
const NAMED_VERSION = /\b(\p{L}[\p{L}\p{N}_-]*)\s+(\d+(?:\.\d+){0,2})(?:\.x)?\b/giu;
const VERSION_WORDS = new Set(['version', 'release']);

/**
 * Words directly before a version number that could name the docs' product (productNamesOf
 * decides); function words ("in 2.4 and 2.5") are in most chunks too, but name nothing.
 */
export function wordsBeforeVersions(question: string): string[] {
  const words = new Set<string>();
  for (const match of question.matchAll(NAMED_VERSION)) {
    const word = match[1]!.toLowerCase();
    if (!VERSION_WORDS.has(word) && contentWords(word).length > 0) words.add(word);
  }
  return [...words];
}

/** Of `words`, those at least PRODUCT_NAME_SHARE of the `chunkCount` chunks use (one lookup for all). */
export async function productNamesOf(words: string[], chunkCount: number, documentFrequencies: DocumentFrequencies): Promise<Set<string>> {
  if (words.length === 0 || chunkCount === 0) return new Set();
  const needed = Math.min(Math.ceil(chunkCount * PRODUCT_NAME_SHARE), MAX_COUNTED);
  const frequencies = await documentFrequencies(words, needed);
  return new Set(words.filter((word) => (frequencies.get(word) ?? 0) >= needed));
}

/** Product versions the question names explicitly; `productNames` from productNamesOf. */
export function versionsAskedAbout(question: string, productNames: ReadonlySet<string> = new Set()): string[] {
  const versions = new Set<string>();
  for (const match of question.matchAll(MARKED_VERSION)) versions.add(match[1]!);
  for (const match of question.matchAll(SERIES_VERSION)) versions.add(match[1]!);
  for (const match of question.matchAll(NAMED_VERSION)) {
    const word = match[1]!.toLowerCase();
    if (VERSION_WORDS.has(word) || productNames.has(word)) versions.add(match[2]!);
  }
  return [...versions];
}

/** Every release number the question writes ("2.0.0", "v2.4", "2.6.x"), whatever names it: for ranking, not for declining. */
export function releaseNumbersIn(question: string): string[] {
  return [...new Set([...question.matchAll(/(?<![\w.])v?(\d+\.\d+(?:\.\d+)?)(?![\w]|\.\d)/giu)].map((match) => match[1]!))];
}

/**
 * Whether a chunk's headings name `version` ("2.4" is named by "v2.4.5" too, not by "2.41"
 * or "12.4"): its heading path, or a heading inside it (short sections share a chunk, as a
 * changelog's small releases do).
 */
export function headingsName(chunk: Pick<RetrievedChunk, 'headingPath' | 'text'>, version: string): boolean {
  const pattern = versionPattern(version);
  return chunk.headingPath.some((heading) => pattern.test(heading)) || headingLinesIn(chunk.text).some((heading) => pattern.test(heading));
}

/** `version` standing alone: not inside a longer number ("2.4" is not in "12.4" or "2.41"). */
function versionPattern(version: string): RegExp {
  return new RegExp(`(?<![\\d.])${version.replace(/\./g, '\\.')}(?![\\d])`);
}

/** The versions the question asks about that none of `candidates` mentions. */
export function unknownVersions(question: string, candidates: RetrievedChunk[], productNames?: ReadonlySet<string>): string[] {
  return versionsAskedAbout(question, productNames).filter(
    (version) => !candidates.some((hit) => mentionsVersion(hit, version, productNames)),
  );
}

/**
 * "2.4" is mentioned by "2.4", "v2.4.5" and "2.4.x", but not by "12.4" or "2.41". A
 * patch release ("2.4.5") counts as covered by pages about its minor release ("2.4").
 */
function mentionsVersion(hit: RetrievedChunk, version: string, productNames: ReadonlySet<string> = new Set()): boolean {
  const minor = version.split('.').slice(0, 2).join('.');
  const patterns = version.includes('.') ? [version, minor].map(versionPattern) : [majorPattern(version, productNames)];
  return patterns.some((pattern) => pattern.test(hit.text) || pattern.test(hit.title) || hit.headingPath.some((h) => pattern.test(h)));
}

/**
 * A major release ("fastify 7", "v7") written so that it cannot be any other number: one of
 * its releases ("7.0", "v7.1.2"), "v7", "@7", "7.x", or "version 7" / "<product> 7". A bare "7" is
 * in most pages ("7 days").
 */
function majorPattern(major: string, productNames: ReadonlySet<string>): RegExp {
  const words = ['version', 'release', ...[...productNames].map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))];
  return new RegExp(
    `(?<![\\d.])${major}\\.(?:\\d|x\\b)|(?:@|\\bv)${major}(?![\\d])|\\b(?:${words.join('|')})s?\\s+v?${major}(?![\\d])`,
    'iu',
  );
}

/**
 * Within each page, the sections whose headings name a release the question names move
 * ahead of the page's other sections, taking their places and relevance ("What was fixed in
 * 2.1.0?": `Changelog › [2.1.0] › Fixed` before `[1.9.0] › Fixed`). Embedders read "2.1.0"
 * and "1.9.0" alike, and BM25 splits both into digits every release shares, so a changelog's
 * "Fixed" sections ranked by their wording, whichever release they belong to. Other pages
 * keep their places, so abstention sees the same relevance.
 */
export function releaseSectionsFirst<T extends Pick<RetrievedChunk, 'path' | 'headingPath' | 'text' | 'score'>>(
  ranked: T[],
  releases: string[],
): T[] {
  if (releases.length === 0) return ranked;
  const names = (chunk: T) => releases.some((release) => headingsName(chunk, release));
  let reordered = ranked;
  for (const path of new Set(ranked.map((chunk) => chunk.path))) {
    reordered = reorderWithinPage(reordered, path, (chunks) => {
      const naming = chunks.map(names);
      return [...chunks.filter((_, i) => naming[i]), ...chunks.filter((_, i) => !naming[i])];
    });
  }
  return reordered;
}
