/**
 * Gives a baseline's chunks (plain substrings of a file, with no heading metadata)
 * the heading path that the eval's matching rule needs: the chunk's own heading is
 * the heading of the section it starts in, i.e. the last heading line at or before
 * its first character (code fences respected, via the same `headingLinesIn` the
 * chunker and the eval use). Heading lines inside the chunk's text are then found by
 * the eval's own `chunkMatches`, exactly as for askdocs' chunks.
 */
import { headingLinesIn } from '../../src/ingest/headings.ts';

/** The heading of the section that `offset` falls in, or undefined before the first heading. */
export function sectionHeadingAt(source: string, offset: number): string | undefined {
  const lineEnd = source.indexOf('\n', offset);
  return headingLinesIn(source.slice(0, lineEnd === -1 ? source.length : lineEnd)).at(-1);
}

/**
 * Offsets of each piece in `source`, searched in order from the previous piece's start
 * (pieces may overlap but never go backwards). -1 when a piece cannot be found.
 */
export function locatePieces(source: string, pieces: readonly string[]): number[] {
  let cursor = 0;
  return pieces.map((piece) => {
    const at = source.indexOf(piece, cursor);
    if (at >= 0) cursor = at + 1;
    return at;
  });
}

/** Character offset where 1-based line `line` starts. */
export function lineOffset(source: string, line: number): number {
  let offset = 0;
  for (let current = 1; current < line; current++) {
    const next = source.indexOf('\n', offset);
    if (next === -1) return source.length;
    offset = next + 1;
  }
  return offset;
}
