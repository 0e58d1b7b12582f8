/**
 * Canonical sources over copies. Docs often print another page's prose inside a
 * fenced block (a tutorial's sample output quoting the FAQ); such a copy matches a
 * question as well as the prose it came from, but the prose is the authority. Two
 * signals, both read from the chunk text itself:
 *  - how much of a chunk sits inside fenced code (a reranker feature that costs the
 *    copy its tie with the original);
 *  - near-duplicates: chunks of different pages that share most of their word 8-grams
 *    form one group, and only the best-ranked member of a group is kept.
 */
import { LRUCache } from 'lru-cache';
import { linesWithFences } from '../ingest/headings.ts';

/**
 * A feature of a chunk's text, remembered: the reranker asks for each candidate of every
 * question (about 140), and a bot sees the same chunks again and again. Bounded to the
 * candidates of a dozen questions or so (a few MB of text), the least used forgotten first.
 */
function rememberedByText<T extends {}>(compute: (text: string) => T): (text: string) => T {
  const known = new LRUCache<string, T>({ max: 2_000 });
  return (text) => {
    let value = known.get(text);
    if (value === undefined) {
      value = compute(text);
      known.set(text, value);
    }
    return value;
  };
}

/** Share of a chunk's non-blank characters that sit inside fenced code blocks, in [0, 1]. */
export const codeFraction = rememberedByText(codeFractionOf);

function codeFractionOf(text: string): number {
  let inside = 0;
  let total = 0;
  for (const { line, inCode } of linesWithFences(text)) {
    const length = line.trim().length;
    total += length;
    if (inCode) inside += length;
  }
  return total === 0 ? 0 : inside / total;
}

/** A link to another page of the same docs: relative, not an anchor of this page, not a URL. */
const PAGE_LINK = /\]\((?![a-z][a-z0-9+.-]*:|#)[^)]+\)|<a\s[^>]*href="(?![a-z][a-z0-9+.-]*:|#)/i;
/** A list item that is only a link to a section of this page: a line of an in-page table of contents. */
const CONTENTS_ENTRY = /^\s*(?:[-*+]|\d+[.)])\s+\[[^\]]+\]\(#[^)\s]*\)\s*[.,;]?\s*$/;
/** Share of prose lines linking to other pages, at or above which a section only points elsewhere. */
const SIGNPOST_LINKED = 0.75;

/**
 * A signpost: a section whose prose is a list of links to other pages of the docs ("What's
 * next", "See also", an overview's list of guides), or a page's own table of contents (a
 * list whose items are only links to its sections). It matches a question through the titles
 * it links to, but the answer is where they point. It needs at least two prose lines
 * (headings, blank lines and code aside): one line with a link is often a whole answer
 * ("Yes, see Install Milvus Offline").
 */
export const isSignpost = rememberedByText(isSignpostText);

function isSignpostText(text: string): boolean {
  let prose = 0;
  let linked = 0;
  for (const { line, inCode, fence } of linesWithFences(text)) {
    if (inCode || fence || line.trim() === '' || /^\s{0,3}#{1,6}\s/.test(line)) continue;
    prose++;
    if (PAGE_LINK.test(line) || CONTENTS_ENTRY.test(line)) linked++;
  }
  return prose >= 2 && linked / prose >= SIGNPOST_LINKED;
}

const SHINGLE_WORDS = 8;
/** Share of the smaller chunk's 8-grams that the other one also has, above which they are copies. */
export const DUPLICATE_OVERLAP = 0.5;

function shingles(text: string): Set<string> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const out = new Set<string>();
  for (let i = 0; i + SHINGLE_WORDS <= words.length; i++) out.add(words.slice(i, i + SHINGLE_WORDS).join(' '));
  return out;
}

function overlap(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const s of small) if (large.has(s)) shared++;
  return shared / small.size;
}

/**
 * Keeps the first (best-ranked) chunk of each near-duplicate group, in order, until
 * `limit` are kept. Ranking already prefers prose over copies in code, so the one
 * kept is the canonical section. Sections of one page are never copies of each other:
 * an API page's sibling options share their boilerplate sentence and example (pino's
 * `msgPrefix` for the logger and for a child), yet each answers its own question.
 */
export function dropNearDuplicates<T extends { text: string; path: string }>(ranked: T[], limit: number): T[] {
  const kept: { item: T; shingles: Set<string> }[] = [];
  for (const item of ranked) {
    if (kept.length >= limit) break;
    const own = shingles(item.text);
    if (kept.some((k) => k.item.path !== item.path && overlap(own, k.shingles) > DUPLICATE_OVERLAP)) continue;
    kept.push({ item, shingles: own });
  }
  return kept.map((k) => k.item);
}
