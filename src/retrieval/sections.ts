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

/** `ranked` best first; each section appears once, where its best chunk ranked. */
export function mergeSameSection<T extends RetrievedChunk>(ranked: T[]): T[] {
  const bySection = new Map<string, T>();
  const merged: T[] = [];
  for (const chunk of ranked) {
    const key = sectionKey(chunk);
    const first = bySection.get(key);
    if (first) {
      first.text = `${first.text}\n\n${chunk.text}`;
      continue;
    }
    const copy = { ...chunk };
    bySection.set(key, copy);
    merged.push(copy);
  }
  return merged;
}
