/**
 * Measures how fast the Discord bot acknowledges slash commands under load: N concurrent
 * `/askdocs` interactions (default 50) sent through the fake gateway at once, timed from
 * the gateway dispatch to the interaction callback arriving at the fake REST API, plus
 * the time until every reply shows its first answer text. Not a test (no timing
 * assertions): run it by hand.
 *
 *   node --import tsx test/support/discord-defer-latency.ts [count] [rounds] [--real]
 *
 * Round 1 is a cold bot (first connections, unoptimised code); later rounds are warm.
 * By default the engine is scripted (300 ms "retrieval", then streamed text), which
 * measures the adapter and discord.js alone. `--real` uses the real engine: Milvus Lite
 * with the Milvus FAQ pages, the local embedding model and the local LLM server, all in
 * this process, as a deployment would be.
 */
import { resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Engine } from '../../src/engine/types.ts';
import { createLogger } from '../../src/logger.ts';
import { openRuntime } from '../../src/runtime.ts';
import { startFakeLlm } from '../fakes/llm-server.ts';
import { startBotHarness } from './discord-bot.ts';
import { ScriptedEngine, source } from './discord-engine.ts';
import { CORPUS_DIR, ingestInto, startTestMilvus, testConfig } from './milvus.ts';

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const count = Number(positional[0] ?? 50);
const rounds = Number(positional[1] ?? 2);
const real = process.argv.includes('--real');

const cleanups: (() => Promise<void>)[] = [];
const engine = real ? await realEngine() : scriptedEngine();
const harness = await startBotHarness({
  engine,
  env: { USER_MAX_CONCURRENT: '100', CHANNEL_MAX_CONCURRENT: '1000', USER_QUESTIONS_PER_MINUTE: '1000' },
  bot: { textIntervalMs: 1_200 },
  logLevel: 'info',
});
cleanups.unshift(() => harness.close());
for (let round = 1; round <= rounds; round++) await measureRound(round);
for (const cleanup of cleanups) await cleanup();
process.exit(0);

async function measureRound(round: number): Promise<void> {
  const { fake } = harness;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const users = Array.from({ length: count }, (_, i) => fake.addUser(`user${round}-${i}`));
  const interactions = users.map((user, i) =>
    fake.slashCommand({ user, channel: fake.general, options: { question: `What is the maximum vector dimension in Milvus? (${i})` } }),
  );
  await fake.waitFor(() => interactions.every((i) => i.callbackAt !== undefined), { timeoutMs: 30_000, what: 'all deferrals' });
  const firstText = await fake.waitFor(
    () => {
      const times = interactions.map((i) => {
        const reply = i.originalMessageId ? fake.message(i.originalMessageId) : undefined;
        const at = reply?.revisions.find((r) => r.content !== '')?.at;
        return at === undefined ? undefined : at - i.dispatchedAt;
      });
      return times.every((t) => t !== undefined) ? (times as number[]) : undefined;
    },
    { timeoutMs: 120_000, what: 'first text in every reply' },
  );
  loop.disable();
  const defer = interactions.map((i) => (i.callbackAt as number) - i.dispatchedAt);
  process.stdout.write(
    `${JSON.stringify({
      engine: real ? 'real' : 'scripted',
      round,
      interactions: count,
      deferMs: percentiles(defer),
      firstVisibleTextMs: percentiles(firstText),
      callbackTypes: [...new Set(interactions.map((i) => i.callbackType))],
      eventLoopDelayMs: { p99: Math.round(loop.percentile(99) / 1e6), max: Math.round(loop.max / 1e6) },
    })}\n`,
  );
  // Let this round's answers finish (threads, sources) before the next one.
  await fake.waitFor(() => harness.bot.inFlight() === 0, { timeoutMs: 120_000, what: 'answers to finish' });
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  return { p50: at(50), p99: at(99), max: sorted.at(-1) };
}

function scriptedEngine(): Engine {
  return new ScriptedEngine((q) => ({
    text: `An answer to "${q.text}" that streams in a few pieces [1].`,
    chunkChars: 16,
    delayMs: 30,
    startDelayMs: 300,
    citations: [source(1)],
  }));
}

async function realEngine(): Promise<Engine> {
  const [milvus, llm] = await Promise.all([startTestMilvus(), startFakeLlm({ behaviour: { tokensPerSecond: 50 } })]);
  cleanups.push(
    () => milvus.stop(),
    () => llm.close(),
  );
  const env = {
    MILVUS_URI: `http://${milvus.address}`,
    MILVUS_COLLECTION: 'discord_latency',
    LLM_BASE_URL: llm.url,
    DEEPSEEK_API_KEY: 'sk-latency',
  };
  const config = testConfig(env);
  await ingestInto(milvus, env.MILVUS_COLLECTION, resolve(CORPUS_DIR, 'faq'));
  const runtime = await openRuntime(config, { logger: createLogger({ level: 'silent' }) });
  cleanups.push(() => runtime.close());
  return runtime.engine;
}
