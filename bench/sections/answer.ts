/**
 * 4. Answer overhead: from a question arriving at the engine to the first answer
 * token shown, and to the end of the answer, minus the LLM's own time (its
 * first-token delay for each call, plus its streaming time), with the fake
 * OpenAI-compatible server standing in for DeepSeek. Follow-ups include the
 * condensing step (an extra LLM call), reported on its own too.
 */
import type { Embedder } from '../../src/embeddings/index.ts';
import type { AnswerEvent } from '../../src/engine/types.ts';
import type { EvalItem } from '../../src/eval/dataset.ts';
import { questionOf } from '../../src/eval/dataset.ts';
import { openAskdocs } from '../lib/askdocs.ts';
import type { BenchLlm } from '../lib/llm.ts';
import { type Figure, figure } from '../lib/results.ts';
import { round, type Summary, summarize } from '../lib/stats.ts';

export interface AnswerSample {
  id: string;
  kind: EvalItem['kind'];
  mode: string;
  llmCalls: number;
  firstTokenMs: number;
  totalMs: number;
  llmBeforeFirstTokenMs: number;
  llmTotalMs: number;
  overheadFirstTokenMs: number;
  overheadTotalMs: number;
  /** Follow-ups: condensing time minus its LLM call. */
  condenseOverheadMs?: number;
  /** Question in → sources chosen (retrieval, after any condensing). */
  retrievalMs: number;
}

interface KindSummary {
  n: number;
  firstTokenMs: Summary;
  totalMs: Summary;
  overheadFirstTokenMs: Summary;
  overheadTotalMs: Summary;
}

export interface AnswerSection {
  llm: { firstTokenDelayMs: number; tokensPerSecond: number; answerTokens: number };
  questions: number;
  all: KindSummary;
  single: KindSummary;
  followup: KindSummary;
  condenseOverheadMs: Summary;
  retrievalMs: Summary;
  modes: Record<string, number>;
  samples: AnswerSample[];
}

export interface AnswerContext {
  address: string;
  collection: string;
  embedder: Embedder;
  llm: BenchLlm;
  items: EvalItem[];
  log(message: string): void;
}

const WARMUP = 2;

export async function measureAnswer(ctx: AnswerContext): Promise<AnswerSection> {
  const askdocs = await openAskdocs({
    address: ctx.address,
    collection: ctx.collection,
    embedder: ctx.embedder,
    env: { DEEPSEEK_API_KEY: 'bench-not-a-real-key', LLM_BASE_URL: ctx.llm.fake.url },
  });
  const samples: AnswerSample[] = [];
  try {
    const answerable = ctx.items.filter((item) => item.kind !== 'unanswerable');
    for (let i = 0; i < WARMUP; i++) await consume(askdocs.engine.answer(questionOf(answerable[i % answerable.length]!)));
    for (const item of answerable) {
      samples.push(await measureOne(askdocs.engine.answer.bind(askdocs.engine), item, ctx.llm));
    }
  } finally {
    await askdocs.close();
  }
  const ofKind = (kind?: EvalItem['kind']) => samples.filter((s) => (kind ? s.kind === kind : true));
  const modes: Record<string, number> = {};
  for (const s of samples) modes[s.mode] = (modes[s.mode] ?? 0) + 1;
  const section: AnswerSection = {
    llm: { ...ctx.llm.profile },
    questions: samples.length,
    all: kindSummary(ofKind()),
    single: kindSummary(ofKind('single')),
    followup: kindSummary(ofKind('followup')),
    condenseOverheadMs: summarize(samples.flatMap((s) => (s.condenseOverheadMs === undefined ? [] : [s.condenseOverheadMs]))),
    retrievalMs: summarize(samples.map((s) => s.retrievalMs)),
    modes,
    samples,
  };
  ctx.log(
    `  overhead before first token p50 ${section.all.overheadFirstTokenMs.p50} ms (single ${section.single.overheadFirstTokenMs.p50}, follow-up ${section.followup.overheadFirstTokenMs.p50}); total overhead p50 ${section.all.overheadTotalMs.p50} ms`,
  );
  return section;
}

async function consume(events: AsyncIterable<AnswerEvent>): Promise<void> {
  for await (const _ of events) {
    // drain
  }
}

async function measureOne(
  answer: (question: ReturnType<typeof questionOf>) => AsyncIterable<AnswerEvent>,
  item: EvalItem,
  llm: BenchLlm,
): Promise<AnswerSample> {
  const before = llm.fake.requests.length;
  const started = performance.now();
  const startedEpoch = Date.now();
  let firstToken: number | undefined;
  let firstTokenEpoch = 0;
  let condensing: number | undefined;
  let retrieving: number | undefined;
  let sources: number | undefined;
  let mode = 'unknown';
  for await (const event of answer({ ...questionOf(item), scope: { platform: 'bench' } })) {
    const now = performance.now();
    if (event.type === 'status' && event.stage === 'condensing') condensing ??= now;
    if (event.type === 'status' && event.stage === 'retrieving') retrieving ??= now;
    if (event.type === 'sources') sources ??= now;
    if (event.type === 'delta' && firstToken === undefined) {
      firstToken = now;
      firstTokenEpoch = Date.now();
    }
    if (event.type === 'final') mode = event.mode;
  }
  const ended = performance.now();
  const calls = llm.fake.requests.slice(before).filter((r) => r.route === 'chat');
  // Calls that started before the first token was shown delayed it by their first-token wait.
  const callsBeforeFirst = calls.filter((r) => r.receivedAt <= firstTokenEpoch && r.receivedAt >= startedEpoch - 1);
  const llmBeforeFirstTokenMs = callsBeforeFirst.length * llm.profile.firstTokenDelayMs;
  const llmTotalMs = calls.reduce((sum, r) => sum + llm.ownTimeMs(r), 0);
  const firstTokenMs = (firstToken ?? ended) - started;
  const totalMs = ended - started;
  const condenseCalls = calls.filter((r) => !r.stream).length;
  return {
    id: item.id,
    kind: item.kind,
    mode,
    llmCalls: calls.length,
    firstTokenMs: round(firstTokenMs),
    totalMs: round(totalMs),
    llmBeforeFirstTokenMs,
    llmTotalMs: round(llmTotalMs),
    overheadFirstTokenMs: round(firstTokenMs - llmBeforeFirstTokenMs),
    overheadTotalMs: round(totalMs - llmTotalMs),
    condenseOverheadMs:
      condensing !== undefined && retrieving !== undefined
        ? round(retrieving - condensing - condenseCalls * llm.profile.firstTokenDelayMs)
        : undefined,
    retrievalMs: round((sources ?? ended) - (retrieving ?? started)),
  };
}

function kindSummary(samples: AnswerSample[]): KindSummary {
  return {
    n: samples.length,
    firstTokenMs: summarize(samples.map((s) => s.firstTokenMs)),
    totalMs: summarize(samples.map((s) => s.totalMs)),
    overheadFirstTokenMs: summarize(samples.map((s) => s.overheadFirstTokenMs)),
    overheadTotalMs: summarize(samples.map((s) => s.overheadTotalMs)),
  };
}

export function answerFigures(section: AnswerSection): Figure[] {
  const llmFirst = { label: "LLM's own first-token time", value: section.llm.firstTokenDelayMs };
  const figures: Figure[] = [];
  for (const kind of ['all', 'single', 'followup'] as const) {
    const s = section[kind];
    if (s.n === 0) continue;
    figures.push(
      figure('answer', `overhead before first token p50, ${kind} (n=${s.n})`, 'ms', s.overheadFirstTokenMs.p50, [llmFirst]),
      figure('answer', `overhead before first token p95, ${kind}`, 'ms', s.overheadFirstTokenMs.p95, [llmFirst]),
      figure('answer', `time to first token p50 incl. LLM, ${kind}`, 'ms', s.firstTokenMs.p50, [
        { label: "LLM's own time before first token", value: s.firstTokenMs.p50 - s.overheadFirstTokenMs.p50 },
      ]),
      figure('answer', `total overhead p50 (whole answer minus LLM), ${kind}`, 'ms', s.overheadTotalMs.p50, [
        { label: 'whole answer incl. LLM', value: s.totalMs.p50 },
      ]),
    );
  }
  if (section.condenseOverheadMs.n > 0) {
    figures.push(figure('answer', 'follow-up rewrite overhead p50 (excl. its LLM call)', 'ms', section.condenseOverheadMs.p50, [llmFirst]));
  }
  return figures;
}
