/**
 * The `features` reranker: rescores the hybrid candidate pool in-process, with no
 * model beyond the embedder already loaded (no cross-encoder ships its weights).
 *
 *   relevance = mean over judge texts of cosine(judge, chunk)
 *             + LEXICAL_WEIGHT × mean over judge texts of BM25(judge, chunk) / best BM25 for that judge
 *             − CODE_WEIGHT × share of the chunk inside fenced code
 *
 * RRF ranks by position only, so a chunk that is the closest by meaning but missing
 * from the BM25 list (a paraphrased question) falls behind chunks that are middling
 * on both; scoring the actual similarities keeps it on top. The code term makes the
 * prose original beat copies of it printed as sample output (see canonical.ts).
 *
 * Calibration: the two weights and the abstention thresholds were fitted by a grid
 * search on shared/eval/dev.jsonl and confirmed, unchanged, on dev-2.jsonl (figures
 * in BENCHMARKS.md, "Reranking"). The relevance is on the cosine scale, so it also
 * serves as the abstention signal (abstain.ts).
 */
import { dot } from '../embeddings/types.ts';
import type { RetrievedChunk } from '../engine/types.ts';
import { codeFraction } from './canonical.ts';

export const LEXICAL_WEIGHT = 0.1;
export const CODE_WEIGHT = 0.1;

export type RerankerKind = 'features' | 'off';

/** A candidate with its stored dense vector, which the reranker needs. */
export interface Candidate extends RetrievedChunk {
  vector?: number[];
}

export interface RerankInput {
  candidates: Candidate[];
  /** One embedding per judge text. */
  judgeVectors: number[][];
  /** Per judge text: BM25 score by chunk id (that judge's BM25 result list). */
  lexicalScores: Map<string, number>[];
}

/** Candidates best first; `score` becomes the relevance and `similarity` the first judge's cosine. */
export function rerankByFeatures({ candidates, judgeVectors, lexicalScores }: RerankInput): RetrievedChunk[] {
  const bestLexical = lexicalScores.map((scores) => Math.max(0, ...[...scores.values()].map(Math.abs)));
  const scored = candidates.map(({ vector, ...chunk }) => {
    const cosines = vector ? judgeVectors.map((judge) => dot(judge, vector)) : [chunk.similarity];
    const lexical = lexicalScores.map((scores, i) => {
      const best = bestLexical[i]!;
      return best > 0 ? Math.abs(scores.get(chunk.id) ?? 0) / best : 0;
    });
    const relevance = mean(cosines.filter(Number.isFinite)) + LEXICAL_WEIGHT * mean(lexical) - CODE_WEIGHT * codeFraction(chunk.text);
    return { ...chunk, score: relevance, similarity: cosines[0] ?? chunk.similarity };
  });
  return scored.sort((a, b) => b.score - a.score);
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}
