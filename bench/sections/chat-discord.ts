/**
 * Discord driver for the chat benchmark: `askdocs discord` (its own process, real
 * discord.js) against the fake Discord REST API + gateway, receiving `/askdocs`
 * interactions. The acknowledgement is the deferred response (interaction callback);
 * a question is complete when its sources message (with the feedback buttons) is
 * posted in the thread opened on the answer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeChannel, type FakeDiscord, type FakeInteraction, MessageFlag, startFakeDiscord } from '../../test/fakes/discord/index.ts';
import { freePort, startCli } from '../lib/cli-process.ts';
import {
  ACK_DEADLINE_MS,
  burstQuestions,
  type ChatLevel,
  type ChatPlatformSection,
  limitSettings,
  measureLevels,
  type QuestionOutcome,
  summarizeLevel,
} from './chat.ts';
import type { ChatContext } from './chat-slack.ts';

const POLL_MS = 50;

export function measureDiscord(ctx: ChatContext): Promise<ChatPlatformSection> {
  return measureLevels(
    ctx,
    {
      name: 'Discord',
      id: 'discord',
      ackName: 'defer',
      path: '/askdocs interactions over the gateway → discord.js → deferReply → engine → edits + sources in a thread',
    },
    discordLevel,
  );
}

async function discordLevel(ctx: ChatContext, concurrency: number): Promise<ChatLevel> {
  const fake = await startFakeDiscord();
  const channels: FakeChannel[] = [fake.general];
  for (let c = 1; c < ctx.channels; c++) channels.push(fake.addChannel(`bench-${c}`));
  const dir = await mkdtemp(join(tmpdir(), 'askdocs-bench-discord-'));
  const healthPort = await freePort();
  const bot = startCli(['discord'], {
    cwd: dir,
    env: {
      ...ctx.env,
      ...limitSettings(concurrency, ctx.channels),
      DISCORD_TOKEN: fake.token,
      DISCORD_APPLICATION_ID: fake.applicationId,
      DISCORD_API_URL: fake.apiUrl,
      HEALTH_PORT: String(healthPort),
      FEEDBACK_DB: join(dir, 'feedback.sqlite'),
    },
  });
  try {
    await bot.waitReady(`http://127.0.0.1:${healthPort}/readyz`);
    const warmUser = fake.addUser('warmup');
    const warm = fake.slashCommand({ user: warmUser, channel: fake.general, options: { question: burstQuestions(ctx.items, 1)[0]! } });
    await settle(fake, [warm], 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleRssBytes = bot.rssBytes();

    const questions = burstQuestions(ctx.items, concurrency);
    const users = questions.map((_, i) => fake.addUser(`bench${i}`));
    const started = Date.now();
    const interactions = questions.map((question, i) =>
      fake.slashCommand({ user: users[i]!, channel: channels[i % channels.length]!, options: { question } }),
    );
    const outcomes = await settle(fake, interactions, ctx.timeoutMs(concurrency));
    const lastDone = Math.max(...interactions.map((it, i) => (outcomes[i]?.completedMs ?? 0) + it.dispatchedAt));
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
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function settle(fake: FakeDiscord, interactions: FakeInteraction[], timeoutMs: number): Promise<QuestionOutcome[]> {
  const outcomes = new Map<FakeInteraction, QuestionOutcome>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Sources messages (they carry the feedback buttons), by the thread they are in.
    const sourcesAt = new Map<string, number>();
    for (const message of fake.state.messages.values()) {
      if (!message.deleted && message.components.length > 0 && !sourcesAt.has(message.channelId)) {
        sourcesAt.set(message.channelId, message.createdAt);
      }
    }
    for (const it of interactions) {
      if (outcomes.has(it)) continue;
      const ackMs = it.callbackAt === undefined ? null : it.callbackAt - it.dispatchedAt;
      const ackOk = ackMs !== null && ackMs <= ACK_DEADLINE_MS;
      const reply = it.originalMessageId ? fake.message(it.originalMessageId) : undefined;
      if (reply && (reply.flags & MessageFlag.Ephemeral) !== 0 && (reply.flags & MessageFlag.Loading) === 0 && reply.content) {
        outcomes.set(it, { ackMs, ackOk, completedMs: null, error: 'refused or failed (ephemeral notice)' });
        continue;
      }
      const done = reply?.threadId ? sourcesAt.get(reply.threadId) : undefined;
      if (done !== undefined) {
        outcomes.set(it, { ackMs, ackOk, completedMs: done - it.dispatchedAt, ...(ackOk ? {} : { error: 'ack later than 3 s' }) });
      }
    }
    if (outcomes.size === interactions.length || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return interactions.map(
    (it) =>
      outcomes.get(it) ?? {
        ackMs: it.callbackAt === undefined ? null : it.callbackAt - it.dispatchedAt,
        ackOk: false,
        completedMs: null,
        error: it.callbackAt === undefined ? 'never acknowledged' : 'no answer in time',
      },
  );
}
