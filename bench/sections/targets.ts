/**
 * The targets, checked against this run's numbers. A missed target gets a
 * note saying why (from what the run measured) and what would reach it.
 */
import type { TargetCheck } from '../lib/results.ts';
import type { AnswerSection } from './answer.ts';
import type { ChatPlatformSection } from './chat.ts';
import type { LatencySection } from './latency.ts';
import type { QualitySection } from './quality.ts';

const pts = (x: number) => `${(x * 100).toFixed(1)}`;

/** Items askdocs misses in its top 5 while a baseline finds them: where to look first. */
function missedNote(q: QualitySection['pipelines'], kind: 'single' | 'followup'): string {
  const a = q.askdocs?.ranks ?? {};
  const ids = Object.keys(a).filter(
    (id) => q.askdocs?.kinds[id] === kind && a[id] === 0 && ((q.notebook?.ranks[id] ?? 0) > 0 || (q.langchain?.ranks[id] ?? 0) > 0),
  );
  return ids.length > 0 ? `A baseline finds what askdocs misses on ${ids.join(', ')}. ` : '';
}

export function checkTargets(input: {
  quality?: QualitySection;
  latency?: LatencySection;
  answer?: AnswerSection;
  slack?: ChatPlatformSection;
}): TargetCheck[] {
  const targets: TargetCheck[] = [];
  const q = input.quality?.pipelines;
  if (q?.askdocs && q.notebook && q.langchain) {
    for (const [kind, needed] of [
      ['single', 0.1],
      ['followup', 0.2],
    ] as const) {
      const a = q.askdocs[kind].recallAt5;
      const best = Math.max(q.notebook[kind].recallAt5, q.langchain[kind].recallAt5);
      const margin = a - best;
      const met = margin >= needed - 1e-9;
      targets.push({
        target: `recall@5 on ${kind} questions ≥ ${needed * 100} points above both baselines`,
        actual: `askdocs ${pts(a)}% vs (b) ${pts(q.notebook[kind].recallAt5)}%, (c) ${pts(q.langchain[kind].recallAt5)}%: ${margin >= 0 ? '+' : ''}${pts(margin)} points over the better baseline (n=${q.askdocs[kind].n})`,
        met,
        ...(met
          ? {}
          : {
              note:
                `askdocs' recall@5 on ${kind} questions is ${pts(a)}%. ` +
                missedNote(q, kind) +
                (kind === 'followup'
                  ? 'Without an LLM the bench uses the heuristic rewrite (new question + previous question + key terms of the last answer); with DeepSeek configured, askdocs condenses follow-ups with the LLM first, which this offline bench cannot measure. A better offline rewrite, or a small local condense model, would raise it.'
                  : 'The misses are listed per item in results.json (`sections.quality.pipelines.askdocs.ranks`); better chunk text for embedding (titles/headings), a reranker, or a stronger embedding model than all-MiniLM-L6-v2 would raise it.'),
            }),
      });
    }
  }
  const tenX = input.latency?.scales.find((s) => s.factor === 10);
  const oneX = input.latency?.scales.find((s) => s.factor === 1);
  if (tenX) {
    const met = tenX.retrieveMs.p95 < 50;
    const share = tenX.retrieveMs.p50 > 0 ? Math.round((tenX.hybridSearchMs.p50 / tenX.retrieveMs.p50) * 100) : 0;
    targets.push({
      target: 'retrieval p95 < 50 ms at 10× corpus on Milvus Lite',
      actual: `p95 ${tenX.retrieveMs.p95} ms at ${tenX.chunks.toLocaleString('en-US')} chunks (Milvus hybrid search p50 ${tenX.hybridSearchMs.p50} ms, ${share}% of retrieve p50; query embedding p50 ${tenX.embedQueryMs.p50} ms)`,
      met,
      ...(met
        ? {}
        : {
            note:
              `The time is Milvus Lite's: its hybrid search is ${share}% of the retrieval time at 10× (dense half alone p50 ${tenX.denseOnlyMs?.p50 ?? '—'} ms, BM25 half alone ${tenX.bm25OnlyMs?.p50 ?? '—'} ms). ` +
              'Milvus Lite 3.2.2 is a pure-Python engine: every search walks all rows of each segment in Python (primary-key dedup and delete checks, O(rows) per query), ' +
              'and BM25 scoring is Python too, so the cost grows linearly with the corpus (see the plot) whatever the index. askdocs sends one hybrid request per question. ' +
              'What reaches the target: Milvus standalone or Zilliz Cloud (C++ segcore; askdocs talks to them unchanged through MILVUS_URI). ' +
              (oneX
                ? oneX.retrieveMs.p95 < 50
                  ? `On Lite the target holds for a collection the size of the 1× corpus (p95 ${oneX.retrieveMs.p95} ms at ${oneX.chunks.toLocaleString('en-US')} chunks).`
                  : `On Lite, even the 1× corpus (${oneX.chunks.toLocaleString('en-US')} chunks) has p95 ${oneX.retrieveMs.p95} ms in this run.`
                : ''),
          }),
    });
  }
  const fifty = input.slack?.levels.find((l) => l.concurrency === 50);
  if (fifty) {
    const met = fifty.ackMs.p99 < 100 && fifty.errors === 0;
    targets.push({
      target: 'Slack ack p99 < 100 ms at 50 concurrent, no question fails',
      actual: `ack p99 ${fifty.ackMs.p99} ms, ${fifty.errors} of 50 failed, ${fifty.completed} answered`,
      met,
      ...(met
        ? {}
        : {
            note:
              fifty.errors > 0
                ? `Failures: ${JSON.stringify(fifty.errorKinds)}.`
                : 'Bolt acks before any engine work, yet the same 50-request burst against a scripted engine ' +
                  '(`node --import tsx test/support/slack-ack-latency.ts --n 50`) acks at p99 ≈ 85-90 ms on this machine: the extra time is the real ' +
                  "engine's work for the questions acked first (query embedding in the bot, 50 hybrid searches in Milvus Lite) competing for the 2 cores " +
                  'with the requests still waiting to be acked. What would reach it: cap how many answers retrieve at once (queue admitted questions, e.g. ' +
                  '4 at a time) so new requests are acked first; or Milvus on its own host / more cores.',
          }),
    });
  }
  if (input.answer) {
    const p50 = input.answer.all.overheadFirstTokenMs.p50;
    const met = p50 < 150;
    targets.push({
      target: 'overhead before first token, excluding the LLM, < 150 ms p50',
      actual: `p50 ${p50} ms over ${input.answer.questions} questions (single ${input.answer.single.overheadFirstTokenMs.p50} ms, follow-up ${input.answer.followup.overheadFirstTokenMs.p50} ms incl. the rewrite step)`,
      met,
      ...(met
        ? {}
        : {
            note: `Retrieval alone is ${input.answer.retrievalMs.p50} ms p50 (query embedding + Milvus Lite hybrid search); see the latency section for its cause and the fix.`,
          }),
    });
  }
  return targets;
}
