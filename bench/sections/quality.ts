/**
 * 1. Retrieval quality: recall@1/3/5 and MRR on the eval set, by kind, for askdocs
 * and the two baselines, all scored by askdocs' own eval (`runEval`, whose matching
 * rule is shared/eval/README.md's). Recall@1 and @3 are read off the same ranks as
 * recall@5 (the rank of the first matching chunk in the top 5).
 */
import type { Question, RetrievalResult } from '../../src/engine/types.ts';
import type { EvalItem } from '../../src/eval/dataset.ts';
import { type EvalItemResult, runEval } from '../../src/eval/run.ts';
import { type Figure, figure } from '../lib/results.ts';

export const QUALITY_K = 5;
const KS = [1, 3, 5] as const;

export interface Pipeline {
  id: string;
  label: string;
  retrieve(question: Question): Promise<RetrievalResult>;
}

export interface KindQuality {
  n: number;
  recallAt1: number;
  recallAt3: number;
  recallAt5: number;
  mrr: number;
}

export interface PipelineQuality {
  label: string;
  all: KindQuality;
  single: KindQuality;
  followup: KindQuality;
  /** Unanswerable questions it abstained on (only askdocs abstains). */
  unanswerableAbstainRate: number;
  /** Answerable questions it abstained on; each counts as a miss. */
  falseAbstainRate: number;
  followupRewrite: Record<string, number>;
  seconds: number;
  /** Rank of the first match per item (0: none in the top 5, or abstained). */
  ranks: Record<string, number>;
  /** Kind of each item, by id. */
  kinds: Record<string, EvalItem['kind']>;
}

export interface QualitySection {
  k: number;
  pipelines: Record<string, PipelineQuality>;
}

export async function measureQuality(items: EvalItem[], pipelines: Pipeline[]): Promise<QualitySection> {
  const out: Record<string, PipelineQuality> = {};
  for (const pipeline of pipelines) {
    const started = performance.now();
    const report = await runEval({ items, k: QUALITY_K, retrieve: (question) => pipeline.retrieve(question) });
    const ofKind = (kind?: EvalItem['kind']) => report.results.filter((r) => (kind ? r.kind === kind : r.kind !== 'unanswerable'));
    out[pipeline.id] = {
      label: pipeline.label,
      all: kindQuality(ofKind(), report.mrr),
      single: kindQuality(ofKind('single'), report.by_kind.single.mrr),
      followup: kindQuality(ofKind('followup'), report.by_kind.followup.mrr),
      unanswerableAbstainRate: report.by_kind.unanswerable.abstain_rate,
      falseAbstainRate: report.false_abstain_rate,
      followupRewrite: report.method.followup_rewrite,
      seconds: (performance.now() - started) / 1000,
      ranks: Object.fromEntries(report.results.map((r) => [r.id, r.rank])),
      kinds: Object.fromEntries(report.results.map((r) => [r.id, r.kind])),
    };
  }
  return { k: QUALITY_K, pipelines: out };
}

function kindQuality(results: EvalItemResult[], mrr: number): KindQuality {
  const recallAt = (k: number) => (results.length === 0 ? 0 : results.filter((r) => r.rank > 0 && r.rank <= k).length / results.length);
  return { n: results.length, recallAt1: recallAt(1), recallAt3: recallAt(3), recallAt5: recallAt(5), mrr };
}

/** askdocs against each baseline, for every kind and metric (recall in %, MRR as is). */
export function qualityFigures(section: QualitySection, subject: string, baselines: string[]): Figure[] {
  const main = section.pipelines[subject];
  if (!main) return [];
  const figures: Figure[] = [];
  for (const kind of ['single', 'followup', 'all'] as const) {
    for (const k of KS) {
      const key = `recallAt${k}` as const;
      figures.push(
        figure(
          'quality',
          `recall@${k} ${kind} (n=${main[kind].n})`,
          '%',
          main[kind][key] * 100,
          baselines.map((id) => ({ label: section.pipelines[id]?.label ?? id, value: pct(section.pipelines[id]?.[kind][key]) })),
          { points: true },
        ),
      );
    }
    figures.push(
      figure(
        'quality',
        `MRR ${kind}`,
        '',
        main[kind].mrr,
        baselines.map((id) => ({ label: section.pipelines[id]?.label ?? id, value: section.pipelines[id]?.[kind].mrr })),
        { points: true },
      ),
    );
  }
  const abstain = (id: string, key: 'unanswerableAbstainRate' | 'falseAbstainRate') => pct(section.pipelines[id]?.[key]);
  const versus = (key: 'unanswerableAbstainRate' | 'falseAbstainRate') =>
    baselines.map((id) => ({ label: section.pipelines[id]?.label ?? id, value: abstain(id, key) }));
  figures.push(
    figure(
      'quality',
      'unanswerable questions answered with "the docs don\'t cover this"',
      '%',
      abstain(subject, 'unanswerableAbstainRate') ?? null,
      versus('unanswerableAbstainRate'),
      {
        points: true,
      },
    ),
    figure(
      'quality',
      'answerable questions wrongly declined (counted as misses above)',
      '%',
      abstain(subject, 'falseAbstainRate') ?? null,
      versus('falseAbstainRate'),
      {
        points: true,
      },
    ),
  );
  return figures;
}

function pct(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value * 100;
}
