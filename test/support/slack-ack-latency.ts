/**
 * Measures how fast the Slack bot acks slash commands under load: N concurrent signed
 * `/askdocs` requests against the real Bolt HTTP receiver, then prints p50/p99/max ack
 * latency and the time until each question became visible in the channel.
 *
 * As in production, three separate processes: the bot (with a scripted engine that keeps
 * answering in the background), the fake Slack Web API it posts to, and this one, which
 * only sends the signed requests and times them. Times across processes are compared
 * on the wall clock (performance.timeOrigin + performance.now()).
 *
 *   node --import tsx test/support/slack-ack-latency.ts [--n 50] [--channels 10] [--rounds 3] [--bare]
 *
 * `--bare` measures a Bolt app that only acks and posts, as the floor on this machine.
 */

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { App } from '@slack/bolt';
import { createSlackApp } from '../../adapters/slack/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { FAKE_BOT, FakeSlackApi } from '../fakes/slack-api.ts';
import { ScriptedEngine, source } from './slack-engine.ts';
import { SIGNING_SECRET, sendSlashCommand } from './slack-requests.ts';

const wallClock = () => performance.timeOrigin + performance.now();

if (process.env.ASKDOCS_ACK_ROLE === 'fake') {
  // Child: the fake Slack Web API; reports when each question's message was posted.
  const api = await new FakeSlackApi().start();
  process.send?.({ apiUrl: api.apiUrl, responseUrlBase: api.responseUrl('') });
  process.on('message', async (message: { n: number }) => {
    await api.waitFor(
      () => api.messages.filter((m) => m.channel.startsWith('C0LOAD') && !m.thread_ts).length >= message.n,
      20_000,
      'all visible',
    );
    const postedAt: Record<string, number> = {};
    for (const call of api.calls) {
      const match = call.method === 'chat.postMessage' ? /question (\d+_\d+)\n/.exec(String(call.args.text)) : null;
      if (match?.[1] && !(match[1] in postedAt)) postedAt[match[1]] = performance.timeOrigin + call.at;
    }
    process.send?.({ postedAt });
  });
} else if (process.env.ASKDOCS_ACK_ROLE === 'bot') {
  // Child: the bot under test.
  const engine = new ScriptedEngine(() => ({
    text: 'An answer that streams for a while [1]. '.repeat(20),
    citations: [source(1, 'a.md', 'A')],
    firstDelayMs: 300,
    chunkSize: 40,
    deltaDelayMs: 20,
  }));
  const config = loadConfig(
    {
      SLACK_BOT_TOKEN: FAKE_BOT.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: process.env.SLACK_API_URL,
      PORT: '0',
      FEEDBACK_DB: process.env.FEEDBACK_DB,
      CHANNEL_MAX_CONCURRENT: process.env.ASKDOCS_ACK_N,
    },
    { envFile: false },
  );
  if (process.env.ASKDOCS_ACK_BARE === '1') {
    // Baseline: a bare Bolt app that only acks and posts the question, no askdocs code.
    const app = new App({
      token: FAKE_BOT.token,
      signingSecret: SIGNING_SECRET,
      deferInitialization: true,
      clientOptions: { slackApiUrl: config.slack.apiUrl },
    });
    app.command(/.*/, async ({ ack, client, command }) => {
      await ack();
      await client.chat.postMessage({ channel: command.channel_id, text: `question ${command.text.replace('question ', '')}\n` });
    });
    await app.init();
    const server = (await app.start(0)) as { address(): { port: number } };
    process.send?.({ port: server.address().port });
    process.on('message', () => process.exit(0));
  } else {
    const bot = createSlackApp({ engine, config, logger: createLogger({ level: 'silent' }) });
    const { port } = await bot.start();
    process.send?.({ port });
    process.on('message', async () => {
      await bot.stop(10_000);
      process.exit(0);
    });
  }
} else {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '50' },
      channels: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
      bare: { type: 'boolean', default: false },
    },
  });
  const n = Number(values.n);
  const rounds = Number(values.rounds);
  const channels = Number(values.channels);
  const dir = mkdtempSync(join(tmpdir(), 'askdocs-ack-'));
  const spawnRole = (role: string, env: Record<string, string> = {}) =>
    fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ASKDOCS_ACK_ROLE: role, ...env } });
  const nextMessage = <T>(child: ReturnType<typeof fork>) => new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));
  const fake = spawnRole('fake');
  const { apiUrl, responseUrlBase } = await nextMessage<{ apiUrl: string; responseUrlBase: string }>(fake);
  const child = spawnRole('bot', {
    ASKDOCS_ACK_BARE: values.bare ? '1' : '0',
    ASKDOCS_ACK_N: String(n),
    SLACK_API_URL: apiUrl,
    FEEDBACK_DB: join(dir, 'feedback.sqlite'),
  });
  const { port } = await nextMessage<{ port: number }>(child);
  const url = `http://127.0.0.1:${port}/slack/events`;
  const percentile = (sorted: number[], p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  const line = (label: string, sorted: number[]) =>
    `${label} p50 ${fmt(percentile(sorted, 50))}  p99 ${fmt(percentile(sorted, 99))}  max ${fmt(sorted.at(-1) ?? Number.NaN)}`;
  process.stdout.write(
    `${values.bare ? '[baseline: bare Bolt app] ' : ''}${n} concurrent signed /askdocs per burst, ${channels} channels, ${rounds} bursts (burst 1 also opens the connections)\n`,
  );
  for (let round = 1; round <= rounds; round++) {
    const sentAt: number[] = [];
    const sent = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        sentAt[i] = wallClock();
        const tag = `${round}_${i}`;
        return sendSlashCommand(url, {
          text: `question ${tag}`,
          channel: `C0LOAD${i % channels}`,
          user: `U0LOAD${tag}`,
          responseUrl: `${responseUrlBase}load${tag}`,
        });
      }),
    );
    const acks = sent.map((r) => r.answeredAt - r.sentAt).sort((a, b) => a - b);
    const bad = sent.filter((r) => r.status !== 200).length;
    fake.send({ n: n * round });
    const { postedAt } = await nextMessage<{ postedAt: Record<string, number> }>(fake);
    const visible = sentAt.map((at, i) => (postedAt[`${round}_${i}`] ?? Number.NaN) - at).sort((a, b) => a - b);
    process.stdout.write(`burst ${round}: non-200 ${bad}\n  ${line('ack          ', acks)}\n  ${line('first visible', visible)}\n`);
    // Let this burst's answers finish, as between bursts of real traffic.
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
  fake.kill();
  rmSync(dir, { recursive: true, force: true });
}
