/**
 * Slack driver for the chat benchmark: `askdocs slack` in HTTP mode (its own process)
 * against the fake Slack Web API, receiving real signed `/askdocs` slash commands.
 * A question is complete when its sources message is posted in the answer's thread.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_BOT, FakeSlackApi, SIGNING_SECRET, sendSlashCommand } from 'askdocs/test';
import { freePort, startCli } from '../lib/cli-process.ts';
import {
  ACK_DEADLINE_MS,
  burstQuestions,
  type ChatContext,
  type ChatLevel,
  type ChatPlatformSection,
  limitSettings,
  measureLevels,
  type QuestionOutcome,
  summarizeLevel,
} from './chat.ts';

export function measureSlack(ctx: ChatContext): Promise<ChatPlatformSection> {
  return measureLevels(
    ctx,
    {
      name: 'Slack',
      id: 'slack',
      ackName: 'ack',
      path: 'signed /askdocs slash commands → Bolt HTTP receiver → engine → chat.postMessage/chat.update + sources reply',
    },
    slackLevel,
  );
}

async function slackLevel(ctx: ChatContext, concurrency: number): Promise<ChatLevel> {
  const api = await new FakeSlackApi().start();
  const dir = await mkdtemp(join(tmpdir(), 'askdocs-bench-slack-'));
  const port = await freePort();
  // Readiness is on HEALTH_PORT: the Slack port serves only /slack/events and /healthz.
  const healthPort = await freePort();
  const bot = startCli(['slack'], {
    cwd: dir,
    env: {
      ...ctx.env,
      ...limitSettings(concurrency, ctx.channels),
      SLACK_BOT_TOKEN: FAKE_BOT.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: api.apiUrl,
      PORT: String(port),
      HEALTH_PORT: String(healthPort),
      FEEDBACK_DB: join(dir, 'feedback.sqlite'),
    },
  });
  const url = `http://127.0.0.1:${port}/slack/events`;
  try {
    await bot.waitReady(`http://127.0.0.1:${healthPort}/readyz`);
    // One answer first, as a bot that has been running would have given.
    const warm = await ask(api, url, { i: -1, channel: 'C0WARMUP', user: 'U0WARMUP', text: burstQuestions(ctx.items, 1)[0]! });
    await settle(api, [warm], 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleRssBytes = bot.rssBytes();

    const questions = burstQuestions(ctx.items, concurrency);
    const started = performance.now();
    const asks = await Promise.all(
      questions.map((text, i) => ask(api, url, { i, channel: `C0BENCH${i % ctx.channels}`, user: `U0BENCH${i}`, text })),
    );
    const outcomes = await settle(api, asks, ctx.timeoutMs(concurrency));
    const lastDone = Math.max(...asks.map((a, i) => (outcomes[i]?.completedMs ?? 0) + a.sentAt));
    const memory = await bot.stop();
    return summarizeLevel({
      concurrency,
      channels: ctx.channels,
      outcomes,
      wallMs: lastDone - started,
      idleRssBytes,
      peakRssBytes: memory.peakRssBytes,
    });
  } finally {
    await bot.stop();
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface Asked {
  i: number;
  channel: string;
  user: string;
  sentAt: number;
  ackMs: number | null;
  status: number;
}

async function ask(api: FakeSlackApi, url: string, q: { i: number; channel: string; user: string; text: string }): Promise<Asked> {
  const sentAt = performance.now();
  try {
    const response = await sendSlashCommand(url, {
      text: q.text,
      channel: q.channel,
      user: q.user,
      responseUrl: api.responseUrl(`q${q.i}`),
    });
    return { ...q, sentAt, ackMs: response.answeredAt - response.sentAt, status: response.status };
  } catch {
    return { ...q, sentAt, ackMs: null, status: 0 };
  }
}

/** Waits until every question is answered (sources posted) or refused, or the time is up. */
async function settle(api: FakeSlackApi, asks: Asked[], timeoutMs: number): Promise<QuestionOutcome[]> {
  const index = new ReplyIndex(api);
  const outcomes = new Map<Asked, QuestionOutcome>();
  const resolve = (a: Asked): QuestionOutcome | undefined => {
    const ackOk = a.status >= 200 && a.status < 300 && a.ackMs !== null && a.ackMs <= ACK_DEADLINE_MS;
    if (a.status < 200 || a.status >= 300) return { ackMs: a.ackMs, ackOk, completedMs: null, error: `ack HTTP ${a.status}` };
    if (index.notified.has(`q${a.i}`)) return { ackMs: a.ackMs, ackOk, completedMs: null, error: 'refused or failed (ephemeral notice)' };
    const answerTs = index.answerTs.get(`${a.channel}|${a.user}`);
    const sourcesAt = answerTs === undefined ? undefined : index.sourcesAt.get(`${a.channel}|${answerTs}`);
    if (sourcesAt === undefined) return undefined;
    return { ackMs: a.ackMs, ackOk, completedMs: sourcesAt - a.sentAt, ...(ackOk ? {} : { error: 'ack later than 3 s' }) };
  };
  const allSettled = () => {
    index.update();
    for (const a of asks) {
      if (outcomes.has(a)) continue;
      const outcome = resolve(a);
      if (outcome) outcomes.set(a, outcome);
    }
    return outcomes.size === asks.length;
  };
  try {
    await api.waitFor(allSettled, timeoutMs, 'all answers');
  } catch {
    // Reported below as unanswered.
  }
  return asks.map((a) => outcomes.get(a) ?? { ackMs: a.ackMs, ackOk: false, completedMs: null, error: 'no answer in time' });
}

/**
 * What the fake Slack received, indexed incrementally (a burst makes thousands of
 * calls; rescanning them on every call would dominate the parent's CPU).
 */
class ReplyIndex {
  /** `channel|user` → ts of the slash-command answer message ("<@user> asked: …"). */
  readonly answerTs = new Map<string, string>();
  /** `channel|thread ts` → when the sources reply was posted (performance.now()). */
  readonly sourcesAt = new Map<string, number>();
  /** response_url ids that received an ephemeral notice (refusal or failure). */
  readonly notified = new Set<string>();
  private messages = 0;
  private calls = 0;
  private posts = 0;

  constructor(private readonly api: FakeSlackApi) {}

  update(): void {
    const { messages, calls, responseUrlPosts } = this.api;
    for (; this.messages < messages.length; this.messages++) {
      const m = messages[this.messages]!;
      const asker = /<@([A-Z0-9]+)> asked:/.exec(m.text)?.[1];
      if (!m.thread_ts && asker) this.answerTs.set(`${m.channel}|${asker}`, m.ts);
    }
    for (; this.calls < calls.length; this.calls++) {
      const call = calls[this.calls]!;
      if (call.method !== 'chat.postMessage' || call.outcome !== 'ok' || !call.args.thread_ts) continue;
      if (/^(Sources|Closest pages):/.test(String(call.args.text ?? ''))) {
        this.sourcesAt.set(`${String(call.args.channel)}|${String(call.args.thread_ts)}`, call.at);
      }
    }
    for (; this.posts < responseUrlPosts.length; this.posts++) this.notified.add(responseUrlPosts[this.posts]!.id);
  }
}
