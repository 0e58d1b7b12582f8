/**
 * 5. Concurrency through the chat path, shared by the Slack and Discord drivers:
 * the real bot (`askdocs slack` / `askdocs discord`, its own process) against the
 * local fakes of the platform and of the LLM, N questions at once, one per user.
 *
 * Per level: acknowledgement latency (Slack: the signed HTTP request's response;
 * Discord: gateway dispatch → deferred-response callback), answers completed (the
 * sources message posted after the full answer), errors (non-2xx or late acks,
 * refusals, failures, answers not completed in time), answers per second
 * (completed / time from the first question to the last completed answer), and the
 * bot process's RSS: idle before the burst (after one warm-up answer) and its peak.
 */
import type { EvalItem } from '../../src/eval/dataset.ts';
import { questionOf } from '../../src/eval/dataset.ts';
import { mib } from '../lib/proc.ts';
import { type Figure, figure } from '../lib/results.ts';
import { round, type Summary, summarize } from '../lib/stats.ts';

/** Slack and Discord both want the first response within 3 s. */
/** What both platforms' chat sections are measured with. */
export interface ChatContext {
  /** Environment shared by both bots: Milvus, collection, LLM. */
  env: Record<string, string>;
  items: EvalItem[];
  levels: number[];
  channels: number;
  /** How long to wait for the last answer of a burst. */
  timeoutMs: (concurrency: number) => number;
  log(message: string): void;
}

export const ACK_DEADLINE_MS = 3_000;

export interface QuestionOutcome {
  ackMs: number | null;
  ackOk: boolean;
  /** ms from sending to the sources message (answer complete), when it completed. */
  completedMs: number | null;
  /** Why it failed, when it did. */
  error?: string;
}

export interface ChatLevel {
  concurrency: number;
  channels: number;
  ackMs: Summary;
  acksOverDeadline: number;
  completed: number;
  errors: number;
  errorKinds: Record<string, number>;
  answerMs: Summary;
  wallSeconds: number;
  answersPerSecond: number;
  idleRssMiB: number | null;
  peakRssMiB: number | null;
}

export interface ChatPlatformSection {
  platform: 'slack' | 'discord';
  path: string;
  settings: Record<string, string>;
  levels: ChatLevel[];
}

/** Limits raised so the limiter admits every question of the burst (one per user). */
export function limitSettings(concurrency: number, channels: number): Record<string, string> {
  return {
    USER_MAX_CONCURRENT: '1',
    USER_QUESTIONS_PER_MINUTE: '6',
    CHANNEL_MAX_CONCURRENT: String(Math.max(4, Math.ceil(concurrency / channels))),
  };
}

/**
 * Runs one burst per concurrency level and logs each, the same way for every
 * platform; `ackName` is what the platform calls its acknowledgement.
 */
export async function measureLevels(
  ctx: ChatContext,
  platform: { name: string; id: ChatPlatformSection['platform']; ackName: string; path: string },
  runLevel: (ctx: ChatContext, concurrency: number) => Promise<ChatLevel>,
): Promise<ChatPlatformSection> {
  const levels: ChatLevel[] = [];
  for (const concurrency of ctx.levels) {
    ctx.log(`chat: ${platform.name}, ${concurrency} concurrent /askdocs`);
    const level = await runLevel(ctx, concurrency);
    levels.push(level);
    ctx.log(
      `  ${platform.ackName} p50 ${level.ackMs.p50} ms, p99 ${level.ackMs.p99} ms; ${level.completed}/${concurrency} answered, ${level.errors} failed; ${level.answersPerSecond} answers/s; peak RSS ${level.peakRssMiB} MiB`,
    );
  }
  return {
    platform: platform.id,
    path: platform.path,
    settings: limitSettings(ctx.levels.at(-1) ?? 1, ctx.channels),
    levels,
  };
}

export function summarizeLevel(input: {
  concurrency: number;
  channels: number;
  outcomes: QuestionOutcome[];
  wallMs: number;
  idleRssBytes: number | null;
  peakRssBytes: number | null;
}): ChatLevel {
  const { outcomes } = input;
  const acks = outcomes.flatMap((o) => (o.ackMs === null ? [] : [o.ackMs]));
  const done = outcomes.flatMap((o) => (o.completedMs === null || o.error ? [] : [o.completedMs]));
  const errorKinds: Record<string, number> = {};
  for (const o of outcomes) if (o.error) errorKinds[o.error] = (errorKinds[o.error] ?? 0) + 1;
  const errors = outcomes.filter((o) => o.error).length;
  return {
    concurrency: input.concurrency,
    channels: input.channels,
    ackMs: summarize(acks),
    acksOverDeadline: acks.filter((ms) => ms > ACK_DEADLINE_MS).length,
    completed: done.length,
    errors,
    errorKinds,
    answerMs: summarize(done),
    wallSeconds: round(input.wallMs / 1000, 2),
    answersPerSecond: input.wallMs > 0 ? round(done.length / (input.wallMs / 1000), 2) : 0,
    idleRssMiB: mib(input.idleRssBytes),
    peakRssMiB: mib(input.peakRssBytes),
  };
}

/** The questions of a burst: the eval set's answerable questions, cycled. */
export function burstQuestions(items: EvalItem[], n: number): string[] {
  const answerable = items.filter((item) => item.kind === 'single');
  return Array.from({ length: n }, (_, i) => questionOf(answerable[i % answerable.length]!).text);
}

export function chatFigures(section: ChatPlatformSection): Figure[] {
  const name = section.platform === 'slack' ? 'Slack' : 'Discord';
  const first = section.levels[0];
  if (!first) return [];
  const base = `${first.concurrency} concurrent`;
  const figures: Figure[] = [];
  for (const level of section.levels) {
    const at = `${level.concurrency} concurrent`;
    const deadline = { label: `${name}'s ${ACK_DEADLINE_MS} ms limit`, value: ACK_DEADLINE_MS };
    figures.push(
      figure('chat', `${name} ack p50 at ${at}`, 'ms', level.ackMs.p50, [deadline]),
      figure('chat', `${name} ack p99 at ${at}`, 'ms', level.ackMs.p99, [deadline, { label: base, value: first.ackMs.p99 }]),
      figure('chat', `${name} answers completed per second at ${at}`, 'answers/s', level.answersPerSecond, [
        { label: base, value: first.answersPerSecond },
      ]),
      figure('chat', `${name} questions failed at ${at}`, 'questions', level.errors, [
        { label: 'questions asked', value: level.concurrency },
      ]),
      figure('chat', `${name} answer time p50 at ${at} (incl. LLM)`, 'ms', level.answerMs.p50, [
        { label: base, value: first.answerMs.p50 },
      ]),
      figure('chat', `${name} bot peak RSS at ${at}`, 'MiB', level.peakRssMiB, [{ label: 'idle bot', value: level.idleRssMiB }]),
    );
  }
  return figures;
}
