/**
 * The `features` reranker: rescores the hybrid candidate pool in-process, with no
 * model beyond the embedder already loaded (no cross-encoder ships its weights).
 *
 *   relevance = mean over judge texts of cosine(judge, chunk)
 *             + LEXICAL_WEIGHT × mean over judge texts of BM25(judge, chunk) / best BM25 for that judge
 *             − CODE_WEIGHT × share of the chunk inside fenced code
 *             − SIGNPOST_WEIGHT if the chunk is only links to other pages
 *
 * RRF ranks by position only, so a chunk that is the closest by meaning but missing
 * from the BM25 list (a paraphrased question) falls behind chunks that are middling
 * on both; scoring the actual similarities keeps it on top. The code term makes the
 * prose original beat copies of it printed as sample output (see canonical.ts).
 *
 * Calibration: the lexical weight and the abstention thresholds were fitted by a grid
 * search on shared/eval/dev.jsonl and confirmed, unchanged, on dev-2.jsonl (figures
 * in BENCHMARKS.md, "Reranking"); the code weight was fitted there too, then halved (below). The relevance is on the cosine scale, so it also
 * serves as the abstention signal (abstain.ts).
 */
import type { RetrievedChunk } from '../engine/types.ts';
import { codeFraction, isSignpost } from './canonical.ts';

export const LEXICAL_WEIGHT = 0.1;
/**
 * Half the 0.1 the dev grid picked: in API reference docs the code example often is the
 * answer, and 0.1 cost such sections their place on two other docs sets (pino, fastify:
 * BENCHMARKS.md, "The code term on four docs sets"); at 0.05 the seed question's FAQ
 * still outranks the tutorials quoting it.
 */
export const CODE_WEIGHT = 0.05;
/**
 * What a signpost (canonical.ts: a section that is a list of links to other pages) loses:
 * enough to fall below the section it links to ("how do I enable authentication?" was
 * answered with "Enable RBAC › What's next": "Learn how to manage user authentication").
 * Not fitted: dev does not move at any weight, and 0.2 to 1 give the same recall and MRR on
 * dev-2 (BENCHMARKS.md, "Signposts").
 */
export const SIGNPOST_WEIGHT = 0.2;

export type RerankerKind = 'features' | 'off';

export interface RerankInput {
  candidates: RetrievedChunk[];
  /** Per judge text: cosine similarity by chunk id (from the store, see ChunkStore.similarities). */
  judgeSimilarities: Map<string, number>[];
  /** Per judge text: BM25 score by chunk id (that judge's BM25 result list). */
  lexicalScores: Map<string, number>[];
}

/** Candidates best first; `score` becomes the relevance and `similarity` the first judge's cosine. */
export function rerankByFeatures({ candidates, judgeSimilarities, lexicalScores }: RerankInput): RetrievedChunk[] {
  const bestLexical = lexicalScores.map((scores) => Math.max(0, ...[...scores.values()].map(Math.abs)));
  const scored = candidates.map((chunk) => {
    const cosines = judgeSimilarities.map((similarities) => similarities.get(chunk.id) ?? Number.NaN);
    const lexical = lexicalScores.map((scores, i) => {
      const best = bestLexical[i]!;
      return best > 0 ? Math.abs(scores.get(chunk.id) ?? 0) / best : 0;
    });
    const relevance =
      mean(cosines.filter(Number.isFinite)) +
      LEXICAL_WEIGHT * mean(lexical) -
      CODE_WEIGHT * codeFraction(chunk.text) -
      (isSignpost(chunk.text) ? SIGNPOST_WEIGHT : 0);
    return { ...chunk, score: relevance, similarity: Number.isFinite(cosines[0]) ? cosines[0]! : chunk.similarity };
  });
  return scored.sort((a, b) => b.score - a.score);
}

/**
 * For a follow-up, the thread picks the page, and the question has its say in the section.
 *
 * Judged against the whole thread, the page the conversation is on ranks first, but so do
 * its sections that fit the thread best: the page's overview, about what was asked before,
 * comes before the step the new question asks for ("how do I start one by hand?" after
 * "what is clustering compaction for?"). So the top page's sections are put in the order of
 * their relevance to the thread plus their fit to the question alone (its cosine plus
 * LEXICAL_WEIGHT × its BM25 share), each taking the place and the relevance of the one it
 * replaces: other pages, and abstention, see the same ranking as before. The thread still
 * counts: "what do I set when building that one?" names no index, the thread does (ordered
 * by the question alone, that section left the top 5 on a fresh index). The code term is
 * left out here: inside one page, code is the how-to, not a copy of another page's prose.
 *
 * Only the first page is reordered: in threads holding askdocs' own extractive answers,
 * reordering more pages lost follow-ups (BENCHMARKS.md, "The thread picks the page").
 */
export function orderTopPageByQuestion(
  ranked: RetrievedChunk[],
  question: { similarities: Map<string, number>; lexicalScores: Map<string, number> },
): RetrievedChunk[] {
  const page = ranked[0]?.path;
  if (page === undefined) return ranked;
  const bestLexical = Math.max(0, ...[...question.lexicalScores.values()].map(Math.abs));
  const fit = (chunk: RetrievedChunk) =>
    (question.similarities.get(chunk.id) ?? 0) +
    (bestLexical > 0 ? (LEXICAL_WEIGHT * Math.abs(question.lexicalScores.get(chunk.id) ?? 0)) / bestLexical : 0);
  const order = (chunk: RetrievedChunk) => chunk.score + fit(chunk);
  return reorderWithinPage(ranked, page, (chunks) => [...chunks].sort((a, b) => order(b) - order(a)));
}

/**
 * `ranked` with the chunks of page `path` put in the order `reorder` gives them, each taking
 * the place and the relevance of the one it replaces: other pages keep their places, and the
 * relevances read down the list stay as they were (abstention sees the same).
 */
export function reorderWithinPage<T extends Pick<RetrievedChunk, 'path' | 'score'>>(
  ranked: T[],
  path: string,
  reorder: (chunks: T[]) => T[],
): T[] {
  const places = ranked.flatMap((chunk, place) => (chunk.path === path ? [place] : []));
  const ordered = reorder(places.map((place) => ranked[place]!));
  const reordered = [...ranked];
  places.forEach((place, i) => {
    reordered[place] = { ...ordered[i]!, score: ranked[place]!.score };
  });
  return reordered;
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}
