/**
 * The human-readable eval report (`askdocs eval` without --json).
 */
import type { EvalReport } from './run.ts';

export function formatReport(report: EvalReport): string {
  const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
  const { single, followup, unanswerable } = report.by_kind;
  const answerable = single.n + followup.n;
  // A kind the set has no question of has no score: "0.0%" would read as all of them failing.
  const none = (n: number, cells: string[]) => (n > 0 ? cells : cells.map((cell) => (cell ? '-' : '')));
  const rows = [
    ['kind', 'n', `recall@${report.k}`, 'MRR', 'abstained'],
    ['single', String(single.n), ...none(single.n, [pct(single.recall_at_k), single.mrr.toFixed(3), ''])],
    ['followup', String(followup.n), ...none(followup.n, [pct(followup.recall_at_k), followup.mrr.toFixed(3), ''])],
    ['unanswerable', String(unanswerable.n), ...none(unanswerable.n, ['', '', pct(unanswerable.abstain_rate)])],
    [
      'answerable',
      String(answerable),
      ...none(answerable, [pct(report.recall_at_k), report.mrr.toFixed(3), `${pct(report.false_abstain_rate)} (false)`]),
    ],
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  const table = rows.map((row) =>
    row
      .map((cell, col) => cell.padEnd(widths[col]!))
      .join('  ')
      .trimEnd(),
  );

  const problems = report.results.flatMap((result) => {
    if (result.kind === 'unanswerable') {
      return result.abstained ? [] : [`  ${result.id}  unanswerable, answered (closest: ${top(result)})`];
    }
    if (result.abstained) {
      const note = result.retrieval_rank > 0 ? `answer was at rank ${result.retrieval_rank}` : 'answer not retrieved';
      return [`  ${result.id}  ${result.kind}, falsely abstained (${note})`];
    }
    return result.rank > 0 ? [] : [`  ${result.id}  ${result.kind}, missed (top: ${top(result)})`];
  });
  const rewrites = Object.entries(report.method.followup_rewrite)
    .filter(([, n]) => n > 0)
    .map(([how, n]) => `${how} ${n}`)
    .join(', ');
  return [
    ...table,
    '',
    `Follow-ups rewritten: ${rewrites || 'none'}. An abstention on an answerable question counts as a miss.`,
    ...(problems.length > 0 ? ['', 'Misses:', ...problems] : []),
  ].join('\n');
}

function top(result: EvalReport['results'][number]): string {
  const first = result.retrieved[0];
  return first ? `${first.path} › ${first.heading_path.at(-1) ?? ''}` : 'nothing';
}
