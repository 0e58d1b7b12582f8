/**
 * Canonical sources over copies. Docs often print another page's prose inside a
 * fenced block (a tutorial's sample output quoting the FAQ); such a copy matches a
 * question as well as the prose it came from, but the prose is the authority. Two
 * signals, both read from the chunk text itself:
 *  - how much of a chunk sits inside fenced code (a reranker feature that costs the
 *    copy its tie with the original);
 *  - near-duplicates: chunks that share most of their word 8-grams form one group,
 *    and only the best-ranked member of a group is kept.
 */
import { linesWithFences } from '../ingest/headings.ts';

/** Share of a chunk's non-blank characters that sit inside fenced code blocks, in [0, 1]. */
export function codeFraction(text: string): number {
  let inside = 0;
  let total = 0;
  for (const { line, inCode } of linesWithFences(text)) {
    const length = line.trim().length;
    total += length;
    if (inCode) inside += length;
  }
  return total === 0 ? 0 : inside / total;
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
 * kept is the canonical section.
 */
export function dropNearDuplicates<T extends { text: string }>(ranked: T[], limit: number): T[] {
  const kept: { item: T; shingles: Set<string> }[] = [];
  for (const item of ranked) {
    if (kept.length >= limit) break;
    const own = shingles(item.text);
    if (kept.some((k) => overlap(own, k.shingles) > DUPLICATE_OVERLAP)) continue;
    kept.push({ item, shingles: own });
  }
  return kept.map((k) => k.item);
}
