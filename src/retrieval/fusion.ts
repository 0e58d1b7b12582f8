/**
 * Reciprocal-rank fusion of several rankings of the same chunk collection, the same
 * formula Milvus uses for its own hybrid search (k = 60).
 */
import type { RetrievedChunk } from '../engine/types.ts';

export const RRF_K = 60;

/**
 * Fuses rankings (best first) into one. A chunk's `score` becomes its fused score;
 * its `similarity` is the highest cosine any ranking measured for it (NaN when
 * only a lexical ranking found it, since that has no vector).
 */
export function fuseRankings(rankings: RetrievedChunk[][], k = RRF_K): RetrievedChunk[] {
  const fused = new Map<string, RetrievedChunk>();
  for (const ranking of rankings) {
    ranking.forEach((hit, index) => {
      const contribution = 1 / (k + index + 1);
      const seen = fused.get(hit.id);
      if (!seen) {
        fused.set(hit.id, { ...hit, score: contribution });
        return;
      }
      seen.score += contribution;
      if (Number.isFinite(hit.similarity) && !(seen.similarity >= hit.similarity)) seen.similarity = hit.similarity;
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score);
}
