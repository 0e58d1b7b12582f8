/**
 * Replicas (issue 14): the same Slack burst against one `askdocs slack` process with
 * its in-process state, and against two processes sharing one real redis-server
 * (REDIS_URL; claims, limits, thread participation and feedback in Redis), both in
 * HTTP mode against the fake Slack Web API, in the same run.
 *
 * Each question is a channel @-mention, delivered as Slack delivers events to a
 * load-balanced app: the signed `app_mention` goes to one replica and, at the same
 * moment, Slack's retry of it (same event_id, X-Slack-Retry-Num: 1) to the other, so
 * only the shared claim decides who answers. With one replica both copies reach it.
 *
 * Per set-up: acks (HTTP response time of every delivery), answers per second, the time
 * from sending to the sources reply, duplicates counted from the fake Slack API's record
 * (answer messages and sources replies per question thread; anything above one each is
 * a duplicate), and, with Redis, every Redis round trip the replicas made during the
 * burst, timed inside the bot processes (bench/lib/redis-timing-preload.mjs) and filed
 * by purpose. The round trips an answer waits for before its sources reply (its claim,
 * its concurrency slot, its per-minute count, marking the thread joined) are the latency
 * Redis adds to it; saving the answer for feedback and releasing the slot come after.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventBody, FAKE_BOT, FakeSlackApi, SIGNING_SECRET, sendSigned } from 'askdocs/test';
import { NO_REDIS, startTestRedis } from '../../test/support/redis.ts';
import { type CliProcess, freePort, startCli } from '../lib/cli-process.ts';
import { mib } from '../lib/proc.ts';
import {
  mergeTimings,
  type RedisPurpose,
  type RedisTimings,
  readRedisTimings,
  redisTimingEnv,
  timingsSince,
} from '../lib/redis-timings.ts';
import { type Figure, figure } from '../lib/results.ts';
import { round, type Summary, summarize } from '../lib/stats.ts';
import { ACK_DEADLINE_MS, burstQuestions, type ChatContext, limitSettings } from './chat.ts';

/** Round trips an answer waits for before its sources reply is posted. */
const ON_ANSWER_PATH: RedisPurpose[] = ['claim-won', 'slot', 'rate', 'thread'];
const SOURCES_HEADER = 'askdocs_sources_header';

export interface ReplicasContext extends ChatContext {
  /** Questions in the burst. */
  questions: number;
}

export interface RedisPurposeFigures {
  calls: number;
  ms: Summary;
  totalMs: number;
}

export interface RedisPerAnswer {
  roundTrips: number;
  ms: number;
  typicalMs: number;
}

export interface ReplicaSetup {
  replicas: number;
  redis: boolean;
  questions: number;
  /** HTTP deliveries sent: each question twice (the event and Slack's retry). */
  deliveries: number;
  ackMs: Summary;
  acksOverDeadline: number;
  answered: number;
  /** Questions that got a plain notice (refused or failed) instead of an answer. */
  notified: number;
  unanswered: number;
  /** Questions with more than one answer message, or more than one sources reply. */
  duplicateQuestions: number;
  extraAnswers: number;
  extraSources: number;
  answerMs: Summary;
  wallSeconds: number;
  answersPerSecond: number;
  /** All replicas together. */
  idleRssMiB: number | null;
  peakRssMiB: number | null;
  /** Redis round trips during the burst, every replica together, by purpose. */
  redisByPurpose?: Partial<Record<RedisPurpose, RedisPurposeFigures>>;
  /**
   * Per answered question: round trips on the way to the sources reply, their total time
   * (mean), and the same with each round trip at its purpose's median (typical: without
   * the few that waited behind a busy event loop).
   */
  redisOnPathPerAnswer?: RedisPerAnswer;
  /** Per answered question: every round trip of the burst (retries' lost claims included). */
  redisAllPerAnswer?: RedisPerAnswer;
}

export interface ReplicasSection {
  path: string;
  settings: Record<string, string>;
  /** The order the set-ups ran in (the first warms Milvus Lite's caches for the second). */
  order: string[];
  /** 1-minute load average before each set-up and after the last: other work on the machine skews the times. */
  loadAverage: { beforeSingle: number; beforeShared: number; after: number };
  single: ReplicaSetup;
  shared: ReplicaSetup;
}

/** Why the section cannot run here, or false. */
export const REPLICAS_UNAVAILABLE: string | false = NO_REDIS;

export async function measureReplicas(ctx: ReplicasContext): Promise<ReplicasSection> {
  const load = () => round(loadavg()[0] ?? 0);
  ctx.log(`replicas: 1 askdocs slack process, ${ctx.questions} questions, each delivered twice`);
  const beforeSingle = load();
  const single = await runSetup(ctx, 1);
  logSetup(ctx, single);
  ctx.log('replicas: 2 askdocs slack processes sharing one redis-server, the same burst');
  const beforeShared = load();
  const redis = await startTestRedis();
  let shared: ReplicaSetup;
  try {
    shared = await runSetup(ctx, 2, redis.url);
  } finally {
    await redis.close();
  }
  logSetup(ctx, shared);
  return {
    path: 'signed app_mention events (and their retries) → Bolt HTTP receiver → engine → Slack stream + sources reply in the thread',
    settings: limitSettings(ctx.questions, ctx.channels),
    order: ['1 replica', '2 replicas + Redis'],
    loadAverage: { beforeSingle, beforeShared, after: load() },
    single,
    shared,
  };
}

function logSetup(ctx: ReplicasContext, s: ReplicaSetup): void {
  const redis = s.redisOnPathPerAnswer
    ? `; Redis on the answer path ${s.redisOnPathPerAnswer.roundTrips} round trips, ${s.redisOnPathPerAnswer.ms} ms per answer (typical ${s.redisOnPathPerAnswer.typicalMs} ms)`
    : '';
  ctx.log(
    `  ack p99 ${s.ackMs.p99} ms; ${s.answered}/${s.questions} answered, ${s.notified} notified, ${s.unanswered} unanswered; ` +
      `${s.duplicateQuestions} duplicated; ${s.answersPerSecond} answers/s; answer p50 ${s.answerMs.p50} ms${redis}`,
  );
}

interface Replica {
  bot: CliProcess;
  url: string;
  timingsFile: string;
}

interface Question {
  i: number;
  channel: string;
  user: string;
  ts: string;
  body: string;
}

interface Delivery {
  question: Question;
  sentAt: number;
  ackMs: number | null;
  status: number;
}

async function runSetup(ctx: ReplicasContext, count: 1 | 2, redisUrl?: string): Promise<ReplicaSetup> {
  const api = await new FakeSlackApi().start();
  const dir = await mkdtemp(join(tmpdir(), 'askdocs-bench-replicas-'));
  const replicas: Replica[] = [];
  try {
    for (let r = 0; r < count; r++) {
      const port = await freePort();
      const timingsFile = join(dir, `redis-timings-${r}.json`);
      const bot = startCli(['slack'], {
        cwd: dir,
        env: {
          ...ctx.env,
          ...limitSettings(ctx.questions, ctx.channels),
          SLACK_BOT_TOKEN: FAKE_BOT.token,
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: api.apiUrl,
          PORT: String(port),
          // Health on the Slack port: two replicas on one machine must not both claim HEALTH_PORT's default.
          HEALTH_PORT: String(port),
          ...(redisUrl ? { REDIS_URL: redisUrl, ...redisTimingEnv(timingsFile) } : { FEEDBACK_DB: join(dir, 'feedback.sqlite') }),
        },
      });
      replicas.push({ bot, url: `http://127.0.0.1:${port}/slack/events`, timingsFile });
    }
    await Promise.all(replicas.map((replica) => replica.bot.waitReady(replica.url.replace('/slack/events', '/readyz'))));

    // One answer per replica first, as bots that have been running would have given.
    const warmText = burstQuestions(ctx.items, 1)[0]!;
    const warm = replicas.map((_, r) => newQuestion(api, -1 - r, 'C0WARMUP', `U0WARM${r}`, warmText));
    await Promise.all(warm.map((q, r) => deliver(replicas[r]!.url, q)));
    await settle(api, warm, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleRss = replicas.map((replica) => replica.bot.rssBytes());
    const timingsBefore = redisUrl ? await Promise.all(replicas.map((r) => readRedisTimings(r.bot.pid, r.timingsFile))) : [];

    const texts = burstQuestions(ctx.items, ctx.questions);
    const questions = texts.map((text, i) => newQuestion(api, i, `C0REPL${i % ctx.channels}`, `U0REPL${i}`, text));
    const started = performance.now();
    const deliveries = await Promise.all(
      questions.flatMap((q) => [deliver(replicas[q.i % count]!.url, q), deliver(replicas[(q.i + 1) % count]!.url, q, { retryNum: 1 })]),
    );
    const outcomes = await settle(api, questions, ctx.timeoutMs(ctx.questions));
    // Any second answer would have started by now; give it time to show.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const timingsAfter = redisUrl ? await Promise.all(replicas.map((r) => readRedisTimings(r.bot.pid, r.timingsFile))) : [];

    const firstSent = new Map<Question, number>();
    for (const d of deliveries) firstSent.set(d.question, Math.min(firstSent.get(d.question) ?? d.sentAt, d.sentAt));
    const answerMs = questions.flatMap((q) => {
      const at = outcomes.sourcesAt.get(q);
      return at === undefined ? [] : [at - (firstSent.get(q) ?? started)];
    });
    const lastDone = Math.max(started, ...outcomes.sourcesAt.values());
    const copies = questions.map((q) => countReplies(api, q));
    const acks = deliveries.flatMap((d) => (d.ackMs === null ? [] : [d.ackMs]));
    const failedAcks = deliveries.filter((d) => d.status < 200 || d.status >= 300).length;

    const memory = await Promise.all(replicas.map((replica) => replica.bot.stop()));
    const answered = outcomes.sourcesAt.size;
    const setup: ReplicaSetup = {
      replicas: count,
      redis: Boolean(redisUrl),
      questions: questions.length,
      deliveries: deliveries.length,
      ackMs: summarize(acks),
      acksOverDeadline: acks.filter((ms) => ms > ACK_DEADLINE_MS).length + failedAcks,
      answered,
      notified: outcomes.notified.size,
      unanswered: questions.filter((q) => !outcomes.sourcesAt.has(q) && !outcomes.notified.has(q)).length,
      duplicateQuestions: copies.filter((c) => c.answers > 1 || c.sources > 1).length,
      extraAnswers: copies.reduce((sum, c) => sum + Math.max(0, c.answers - 1), 0),
      extraSources: copies.reduce((sum, c) => sum + Math.max(0, c.sources - 1), 0),
      answerMs: summarize(answerMs),
      wallSeconds: round((lastDone - started) / 1000, 2),
      answersPerSecond: lastDone > started ? round(answered / ((lastDone - started) / 1000), 2) : 0,
      idleRssMiB: sumMiB(idleRss),
      peakRssMiB: sumMiB(memory.map((m) => m.peakRssBytes)),
    };
    if (redisUrl) Object.assign(setup, redisFigures(timingsBefore, timingsAfter, answered));
    return setup;
  } finally {
    await Promise.all(replicas.map((replica) => replica.bot.stop()));
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A person's @-mention in a channel: posted in the fake (so it has a ts), and its event. */
function newQuestion(api: FakeSlackApi, i: number, channel: string, user: string, question: string): Question {
  const text = `<@${FAKE_BOT.userId}> ${question}`;
  const ts = api.addUserMessage({ channel, user, text });
  return { i, channel, user, ts, body: eventBody({ type: 'app_mention', channel, user, text, ts }).body };
}

async function deliver(url: string, question: Question, options: { retryNum?: number } = {}): Promise<Delivery> {
  const sentAt = performance.now();
  try {
    const response = await sendSigned(url, question.body, 'application/json', options);
    return { question, sentAt, ackMs: response.answeredAt - response.sentAt, status: response.status };
  } catch {
    return { question, sentAt, ackMs: null, status: 0 };
  }
}

/**
 * Waits until every question has its sources reply or a private notice, or the time is
 * up. What the fake received is indexed incrementally: a burst makes thousands of calls.
 */
async function settle(
  api: FakeSlackApi,
  questions: Question[],
  timeoutMs: number,
): Promise<{ sourcesAt: Map<Question, number>; notified: Set<Question> }> {
  const byThread = new Map(questions.map((q) => [`${q.channel}|${q.ts}`, q]));
  const byUser = new Map(questions.map((q) => [q.user, q]));
  const sourcesAt = new Map<Question, number>();
  const notified = new Set<Question>();
  let seen = 0;
  const done = () => {
    for (; seen < api.calls.length; seen++) {
      const call = api.calls[seen]!;
      if (call.outcome !== 'ok') continue;
      if (call.method === 'chat.postMessage' && isSources(call.args.blocks)) {
        const q = byThread.get(`${String(call.args.channel)}|${String(call.args.thread_ts)}`);
        if (q && !sourcesAt.has(q)) sourcesAt.set(q, call.at);
      } else if (call.method === 'chat.postEphemeral') {
        const q = byUser.get(String(call.args.user));
        if (q) notified.add(q);
      }
    }
    return questions.every((q) => sourcesAt.has(q) || notified.has(q));
  };
  try {
    await api.waitFor(done, timeoutMs, 'every question answered');
  } catch {
    // Reported as unanswered.
  }
  return { sourcesAt, notified };
}

function isSources(blocks: unknown): boolean {
  return Array.isArray(blocks) && blocks.some((block) => (block as { block_id?: string }).block_id === SOURCES_HEADER);
}

/** What a user sees in the question's thread: the bot's answer messages and sources replies. */
function countReplies(api: FakeSlackApi, q: Question): { answers: number; sources: number } {
  const replies = api.threadReplies(q.channel, q.ts).filter((m) => m.bot_id);
  const sources = replies.filter((m) => isSources(m.blocks)).length;
  return { answers: replies.length - sources, sources };
}

function redisFigures(
  before: RedisTimings[],
  after: RedisTimings[],
  answered: number,
): Pick<ReplicaSetup, 'redisByPurpose' | 'redisOnPathPerAnswer' | 'redisAllPerAnswer'> {
  const burst = mergeTimings(before.map((b, r) => timingsSince(b, after[r] ?? {})));
  const byPurpose: Partial<Record<RedisPurpose, RedisPurposeFigures>> = {};
  for (const [purpose, list] of Object.entries(burst) as [RedisPurpose, number[]][]) {
    if (list.length === 0) continue;
    byPurpose[purpose] = { calls: list.length, ms: summarize(list), totalMs: round(list.reduce((s, x) => s + x, 0)) };
  }
  const per = (purposes: RedisPurpose[]): RedisPerAnswer => {
    const picked = purposes.flatMap((p) => byPurpose[p] ?? []);
    const calls = picked.reduce((s, p) => s + p.calls, 0);
    const ms = picked.reduce((s, p) => s + p.totalMs, 0);
    const typical = picked.reduce((s, p) => s + p.calls * p.ms.p50, 0);
    if (answered === 0) return { roundTrips: 0, ms: 0, typicalMs: 0 };
    return { roundTrips: round(calls / answered, 2), ms: round(ms / answered, 2), typicalMs: round(typical / answered, 2) };
  };
  return {
    redisByPurpose: byPurpose,
    redisOnPathPerAnswer: per(ON_ANSWER_PATH),
    redisAllPerAnswer: per(Object.keys(byPurpose) as RedisPurpose[]),
  };
}

function sumMiB(bytes: (number | null)[]): number | null {
  if (bytes.some((b) => b === null)) return null;
  return mib((bytes as number[]).reduce((s, b) => s + b, 0));
}

export function replicasFigures(section: ReplicasSection): Figure[] {
  const { single: one, shared: two } = section;
  const base = (value: number | null | undefined) => [{ label: '1 replica, no Redis', value }];
  const at = `${two.questions} questions, each delivered twice`;
  return [
    figure('replicas', `2 replicas + Redis: answers per second (${at})`, 'answers/s', two.answersPerSecond, base(one.answersPerSecond)),
    figure('replicas', '2 replicas + Redis: ack p99', 'ms', two.ackMs.p99, [
      ...base(one.ackMs.p99),
      { label: `Slack's ${ACK_DEADLINE_MS} ms limit`, value: ACK_DEADLINE_MS },
    ]),
    figure('replicas', '2 replicas + Redis: answer time p50 (incl. LLM)', 'ms', two.answerMs.p50, base(one.answerMs.p50)),
    figure('replicas', '2 replicas + Redis: answer time p99 (incl. LLM)', 'ms', two.answerMs.p99, base(one.answerMs.p99)),
    figure('replicas', '2 replicas + Redis: questions answered more than once', 'questions', two.duplicateQuestions, [
      ...base(one.duplicateQuestions),
      { label: 'questions asked', value: two.questions },
    ]),
    figure('replicas', '2 replicas + Redis: questions without an answer', 'questions', two.questions - two.answered, [
      ...base(one.questions - one.answered),
      { label: 'questions asked', value: two.questions },
    ]),
    figure(
      'replicas',
      '2 replicas + Redis: Redis time per answer before its sources reply (claims, slot, rate, thread; mean)',
      'ms',
      two.redisOnPathPerAnswer?.ms ?? null,
      [{ label: 'answer time p50, 2 replicas', value: two.answerMs.p50 }],
    ),
    figure('replicas', '2 replicas + Redis: the same, each round trip at its median', 'ms', two.redisOnPathPerAnswer?.typicalMs ?? null, [
      { label: 'answer time p50, 2 replicas', value: two.answerMs.p50 },
    ]),
    figure('replicas', '2 replicas + Redis: peak RSS, both processes', 'MiB', two.peakRssMiB, base(one.peakRssMiB)),
  ];
}
