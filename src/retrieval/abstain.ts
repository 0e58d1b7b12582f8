/**
 * Deciding that the docs do not cover a question, from retrieval alone (no LLM).
 *
 * With the reranker on (`shouldAbstainReranked`), the relevance signal is the
 * reranker's score of the best candidate, with these rules:
 *  - relevance below the threshold (calibrated default 0.40; ABSTAIN_THRESHOLD);
 *  - a version the docs do not document (rule 2 below);
 *  - a distinctive term the top passages never mention (distinctive.ts), unless the
 *    reranker is confident (relevance at or above CONFIDENT_RELEVANCE);
 *  - a name the docs never use (distinctive.ts, unknownNames: "winston's", "FedRAMP"),
 *    unless the reranker is sure (relevance at or above NAMED_CONFIDENT_RELEVANCE); a
 *    word that is not English counts as such a name ("weaviate") below
 *    UNUSUAL_NAME_CONFIDENT_RELEVANCE;
 * and one rule the other way: just below the threshold (IDENTIFIER_MARGIN), a best
 * candidate that is the only chunk naming an identifier of the question (an error code)
 * is answered (fitted on neither set: it changes no question of either, see BENCHMARKS.md).
 *
 * With RERANKER=off (`shouldAbstain`):
 * 1. Similarity: when even the closest chunk's cosine to the question is below the
 *    calibrated threshold (ABSTAIN_THRESHOLD), nothing in the docs is about it. This
 *    catches off-topic chatter and most questions about other products.
 * 2. Versions: a question about a specific release ("milvus 2.6", "v3.0"; versions.ts) that no
 *    retrieved candidate mentions asks about a version the docs do not document, even
 *    when the rest of the question matches pages about other versions well.
 *
 * Questions about facts the docs simply lack (a price, a date) but whose words match
 * real pages cannot be told apart by retrieval; the answer step has to catch those.
 */
import type { RetrievedChunk } from '../engine/types.ts';
import { unknownVersions } from './versions.ts';

export type AbstainReason = 'no_candidates' | 'low_similarity' | 'low_relevance' | 'unknown_version' | 'unmatched_term' | 'unknown_name';

export interface AbstainDecision {
  abstain: boolean;
  reason?: AbstainReason;
  bestSimilarity: number;
}

export interface AbstainInput {
  question: string;
  /** Words the docs name their product by (versions.ts, productNamesOf): "milvus" in "milvus 2.6". */
  productNames?: ReadonlySet<string>;
  /** The whole candidate pool, not only the top-k shown. */
  candidates: RetrievedChunk[];
  threshold: number;
}

export function shouldAbstain({ question, candidates, threshold, productNames }: AbstainInput): AbstainDecision {
  const similarities = candidates.map((hit) => hit.similarity).filter(Number.isFinite);
  const bestSimilarity = similarities.length > 0 ? Math.max(...similarities) : Number.NEGATIVE_INFINITY;
  if (candidates.length === 0) return { abstain: true, reason: 'no_candidates', bestSimilarity };
  if (bestSimilarity < threshold) return { abstain: true, reason: 'low_similarity', bestSimilarity };
  if (unknownVersions(question, candidates, productNames).length > 0) return { abstain: true, reason: 'unknown_version', bestSimilarity };
  return { abstain: false, bestSimilarity };
}

/** Reranker relevance at which an unmatched distinctive term no longer forces an abstention. */
export const CONFIDENT_RELEVANCE = 0.5;
/**
 * Reranker relevance at which a name the docs never use no longer forces an abstention: a
 * question about the docs' own subject that names the asker's own class or tool still
 * retrieves strongly. Not fitted: on dev, dev-2 and four other docs sets no answerable
 * question is declined by the rule at any bar (BENCHMARKS.md, "Names the docs never use").
 */
export const NAMED_CONFIDENT_RELEVANCE = 0.7;
/**
 * The same for a word that is only not English (distinctive.ts, unusualWords): weaker evidence
 * of a name than one written as a name, so a closer passage outweighs it. Fitted: the
 * near-domain questions it declines sit at 0.42–0.62 on five docs sets, the two answerable
 * questions it would decline at 0.67 (jargon a docs set never writes: "cron") and 0.79
 * (BENCHMARKS.md, "Four more docs styles, two more Milvus sets, and names in lower case").
 */
export const UNUSUAL_NAME_CONFIDENT_RELEVANCE = 0.65;
/**
 * How far below the threshold a best candidate that is the one chunk naming the
 * question's identifier (distinctive.ts, matchedRareIdentifiers) is still answered.
 */
export const IDENTIFIER_MARGIN = 0.1;

export interface RerankedAbstainInput {
  question: string;
  /** As for shouldAbstain. */
  productNames?: ReadonlySet<string>;
  /** Reranked candidates, best first, `score` being the reranker's relevance. */
  ranked: RetrievedChunk[];
  threshold: number;
  /** Distinctive question terms that no top passage mentions (distinctive.ts). */
  unmatchedTerms: string[];
  /** The question's identifiers that only the best candidate holds (distinctive.ts). */
  matchedIdentifiers?: string[];
  /** Names in the question that no chunk of the docs holds (distinctive.ts). */
  unknownNames?: string[];
}

export function shouldAbstainReranked(input: RerankedAbstainInput): AbstainDecision & { relevance: number } {
  const { ranked, threshold } = input;
  const best = ranked[0];
  const relevance = best?.score ?? Number.NEGATIVE_INFINITY;
  const bestSimilarity = best?.similarity ?? Number.NEGATIVE_INFINITY;
  const decide = (reason?: AbstainReason) => ({ abstain: reason !== undefined, reason, bestSimilarity, relevance });
  if (!best) return decide('no_candidates');
  const namedOnlyThere = (input.matchedIdentifiers?.length ?? 0) > 0 && relevance >= threshold - IDENTIFIER_MARGIN;
  if (relevance < threshold && !namedOnlyThere) return decide('low_relevance');
  if (unknownVersions(input.question, ranked, input.productNames).length > 0) return decide('unknown_version');
  if (input.unmatchedTerms.length > 0 && relevance < CONFIDENT_RELEVANCE) return decide('unmatched_term');
  if ((input.unknownNames?.length ?? 0) > 0 && relevance < NAMED_CONFIDENT_RELEVANCE) return decide('unknown_name');
  return decide();
}
