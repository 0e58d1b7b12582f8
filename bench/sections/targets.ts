/**
 * The targets, checked against this run's numbers. A missed target gets a
 * note saying why (from what the run measured) and what would reach it.
 */
import type { TargetCheck } from '../lib/results.ts';
import type { AnswerSection } from './answer.ts';
import type { ChatPlatformSection } from './chat.ts';
import type { LatencySection } from './latency.ts';
import type { QualitySection } from './quality.ts';
import type { RerankSection } from './rerank.ts';

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
  rerank?: RerankSection;
  answer?: AnswerSection;
  slack?: ChatPlatformSection;
}): TargetCheck[] {
  const targets: TargetCheck[] = [];
  const rerank = input.rerank;
  if (rerank) {
    const p50 = rerank.features.totalMs.p50;
    targets.push({
      target: 'Retrieval p50 at 1×, reranking included, ≤ 80 ms',
      actual:
        `p50 ${p50.toFixed(1)} ms with RERANKER=features (reranking alone ${rerank.features.rerankMs.p50.toFixed(2)} ms), ` +
        `${rerank.off.totalMs.p50.toFixed(1)} ms with RERANKER=off (n=${rerank.questions})`,
      met: p50 <= 80,
      ...(p50 <= 80
        ? {}
        : {
            note: 'Nearly all of it is searching: a follow-up embeds and searches up to four query texts. Check the load average of the run.',
          }),
    });
  }
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
  const latency = input.latency;
  const at = (factor: number) => latency?.scales.find((s) => s.factor === factor);
  for (const [factor, limit] of [
    [10, 30],
    [100, 100],
  ] as const) {
    const scale = at(factor);
    if (!scale) continue;
    const old = latency?.baseline?.scales.find((s) => s.factor === factor);
    const met = scale.retrieveMs.p95 < limit;
    targets.push({
      target: `retrieval p95 < ${limit} ms at ${factor}× corpus on the embedded engine`,
      actual:
        `p95 ${scale.retrieveMs.p95} ms at ${scale.chunks.toLocaleString('en-US')} chunks (Milvus calls p50 / p95 ${scale.milvusMs.p50} / ${scale.milvusMs.p95} ms, one query embedding p50 ${scale.embedQueryMs.p50} ms, reranking p50 ${scale.rerankMs.p50} ms)` +
        (old ? `; ${latency?.baseline?.engine} on the same rows: p95 ${old.retrieveMs.p95} ms` : ''),
      met,
      ...(met
        ? {}
        : {
            note: `The Milvus calls are p50 ${scale.milvusMs.p50} ms of the retrieve p50 ${scale.retrieveMs.p50} ms; the rest is embedding the query texts (one to three per question) and reranking. A loaded machine inflates both (see the load average).`,
          }),
    });
  }
  if (latency?.idle?.totalRssMiB != null && latency.baseline?.idle?.totalRssMiB != null) {
    const now = latency.idle.totalRssMiB;
    const before = latency.baseline.idle.totalRssMiB;
    targets.push({
      target: `idle RSS of bot + engine lower than with ${latency.baseline.engine}`,
      actual: `${now} MiB (bot ${latency.idle.botRssMiB} + engine ${latency.idle.engineRssMiB}) against ${before} MiB (bot ${latency.baseline.idle.botRssMiB} + engine ${latency.baseline.idle.engineRssMiB})`,
      met: now < before,
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
