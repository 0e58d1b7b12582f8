/**
 * Runs an eval set through retrieval and scores it.
 *
 * Recall@k and MRR are over answerable items (single + followup). An answerable
 * question the engine abstains on counts as a miss (rank 0) even when the right
 * chunk was among the hits: a user who gets "the docs don't cover this" was not
 * helped, so counting it as a hit would flatter the numbers. Such items also count
 * toward `false_abstain_rate`.
 */
import type { Question, RetrievalResult } from '../engine/types.ts';
import { type EvalItem, questionOf } from './dataset.ts';
import { firstMatchRank } from './scoring.ts';

export interface EvalItemResult {
  id: string;
  kind: EvalItem['kind'];
  abstained: boolean;
  /** 1-based rank of the first matching chunk in the top k (0: none, or abstained). */
  rank: number;
  /** Rank ignoring abstention: where the answer sat in the hits. */
  retrieval_rank: number;
  query: string;
  rewrite: RetrievalResult['rewrite'];
  retrieved: { path: string; heading_path: string[]; score: number; similarity: number }[];
}

export interface KindStats {
  n: number;
  recall_at_k: number;
  mrr: number;
}

export interface EvalReport {
  k: number;
  recall_at_k: number;
  mrr: number;
  false_abstain_rate: number;
  by_kind: {
    single: KindStats;
    followup: KindStats;
    unanswerable: { n: number; abstain_rate: number };
  };
  /** How follow-ups became standalone queries, and how abstention counts (see module doc). */
  method: { followup_rewrite: Record<RetrievalResult['rewrite'], number>; abstained_answerable_counts_as_miss: true };
  results: EvalItemResult[];
}

export interface RunEvalOptions {
  items: EvalItem[];
  k: number;
  retrieve(question: Question): Promise<RetrievalResult>;
  onItem?(done: number, total: number, result: EvalItemResult): void;
}

export async function runEval(options: RunEvalOptions): Promise<EvalReport> {
  const results: EvalItemResult[] = [];
  for (const item of options.items) {
    const retrieval = await options.retrieve(questionOf(item));
    const hits = retrieval.hits.slice(0, options.k);
    const retrievalRank = item.kind === 'unanswerable' ? 0 : firstMatchRank(hits, item.expected, options.k);
    const result: EvalItemResult = {
      id: item.id,
      kind: item.kind,
      abstained: retrieval.abstain,
      rank: retrieval.abstain ? 0 : retrievalRank,
      retrieval_rank: retrievalRank,
      query: retrieval.query,
      rewrite: retrieval.rewrite,
      retrieved: hits.map((hit) => ({
        path: hit.path,
        heading_path: hit.headingPath,
        score: round(hit.score),
        similarity: round(hit.similarity),
      })),
    };
    results.push(result);
    options.onItem?.(results.length, options.items.length, result);
  }
  return summarise(results, options.k);
}

export function summarise(results: EvalItemResult[], k: number): EvalReport {
  const ofKind = (kind: EvalItem['kind']) => results.filter((r) => r.kind === kind);
  const answerable = results.filter((r) => r.kind !== 'unanswerable');
  const unanswerable = ofKind('unanswerable');
  const followupRewrite = { none: 0, heuristic: 0, llm: 0 };
  for (const r of ofKind('followup')) followupRewrite[r.rewrite]++;
  return {
    k,
    recall_at_k: recall(answerable),
    mrr: mrr(answerable),
    false_abstain_rate: share(answerable, (r) => r.abstained),
    by_kind: {
      single: kindStats(ofKind('single')),
      followup: kindStats(ofKind('followup')),
      unanswerable: { n: unanswerable.length, abstain_rate: share(unanswerable, (r) => r.abstained) },
    },
    method: { followup_rewrite: followupRewrite, abstained_answerable_counts_as_miss: true },
    results,
  };
}

function kindStats(results: EvalItemResult[]): KindStats {
  return { n: results.length, recall_at_k: recall(results), mrr: mrr(results) };
}

function recall(results: EvalItemResult[]): number {
  return share(results, (r) => r.rank > 0);
}

function mrr(results: EvalItemResult[]): number {
  if (results.length === 0) return 0;
  return round(results.reduce((sum, r) => sum + (r.rank > 0 ? 1 / r.rank : 0), 0) / results.length);
}

function share(results: EvalItemResult[], predicate: (r: EvalItemResult) => boolean): number {
  return results.length === 0 ? 0 : round(results.filter(predicate).length / results.length);
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 10_000) / 10_000 : 0;
}
