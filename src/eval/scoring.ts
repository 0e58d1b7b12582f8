/**
 * Scoring rules (docs/eval.md): when a retrieved chunk matches an expected
 * section, and the rank of the first match.
 */
import type { Chunk } from '../engine/types.ts';
import { headingLinesIn, normalizeHeading } from '../ingest/headings.ts';
import type { ExpectedSection } from './dataset.ts';

/**
 * Same file, and the expected heading is the chunk's own heading (the last of its
 * heading path) or a heading line in its text (chunks that merge small sections),
 * compared after normalising both. An empty heading expects the text before the page's
 * first heading: the only way to name a page that has no headings at all.
 */
export function chunkMatches(chunk: Pick<Chunk, 'path' | 'headingPath' | 'text'>, expected: ExpectedSection): boolean {
  if (chunk.path !== expected.path) return false;
  const wanted = normalizeHeading(expected.heading);
  if (wanted === '') return chunk.headingPath.length === 0;
  const own = chunk.headingPath.at(-1);
  if (own !== undefined && normalizeHeading(own) === wanted) return true;
  return headingLinesIn(chunk.text).some((heading) => normalizeHeading(heading) === wanted);
}

/** 1-based rank of the first of the top `k` chunks matching any expected section, or 0. */
export function firstMatchRank(chunks: Pick<Chunk, 'path' | 'headingPath' | 'text'>[], expected: ExpectedSection[], k: number): number {
  const index = chunks.slice(0, k).findIndex((chunk) => expected.some((section) => chunkMatches(chunk, section)));
  return index + 1;
}
