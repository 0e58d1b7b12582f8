/**
 * One hit per section. A long section is stored as several chunks, and a question
 * about it often ranks two of them in the top k: the second adds no new source, yet
 * takes a place another section could have had. Chunks of the same section (same
 * page, same heading path) are merged into the best-ranked one, so its text, which
 * the answer is written from, keeps what the others held.
 */
import type { RetrievedChunk } from '../engine/types.ts';

function sectionKey(chunk: Pick<RetrievedChunk, 'path' | 'headingPath'>): string {
  return JSON.stringify([chunk.path, ...chunk.headingPath]);
}

/**
 * `ranked` best first; each section appears once, where its best chunk ranked, its text
 * the text of all its chunks in document order (where the store gives chunk indexes), so
 * it reads as written and its heading line comes first.
 */
export function mergeSameSection<T extends RetrievedChunk>(ranked: T[]): T[] {
  const pieces = new Map<string, T[]>();
  const merged: T[] = [];
  for (const chunk of ranked) {
    const key = sectionKey(chunk);
    const group = pieces.get(key);
    if (group) {
      group.push(chunk);
      continue;
    }
    pieces.set(key, [chunk]);
    merged.push({ ...chunk });
  }
  for (const section of merged) {
    const group = pieces.get(sectionKey(section))!;
    if (group.length === 1) continue;
    const inOrder = [...group].sort((a, b) => (a.chunkIndex ?? 0) - (b.chunkIndex ?? 0));
    section.text = inOrder
      .map((chunk, i) => {
        const previous = inOrder[i - 1];
        const follows = previous && (chunk.chunkIndex === undefined || chunk.chunkIndex === (previous.chunkIndex ?? 0) + 1);
        return follows ? withoutOverlap(previous.text, chunk.text) : chunk.text;
      })
      .join('\n\n');
  }
  return merged;
}

/**
 * The chunker starts a section's later piece with the tail of the piece before it, for
 * context when the piece is read alone (chunker.ts, overlapOf). Joined to that piece, the
 * tail would be read twice: it is dropped, from the start of `next` up to a block break.
 */
function withoutOverlap(previous: string, next: string): string {
  const end = previous.trimEnd();
  let overlap = 0;
  for (let at = next.indexOf('\n\n'); at > 0; at = next.indexOf('\n\n', at + 2)) {
    if (end.endsWith(next.slice(0, at).trimEnd())) overlap = at;
  }
  return overlap > 0 ? next.slice(overlap).trimStart() : next;
}
