/**
 * Test support: the askdocs Discord bot (real discord.js Client) connected to the local
 * fake Discord, with a temporary feedback store and captured JSON logs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createDiscordBot, type DiscordBot, type DiscordBotOptions } from '../../adapters/discord/index.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import type { Engine } from '../../src/engine/types.ts';
import { FeedbackStore } from '../../src/feedback/store.ts';
import { createLogger } from '../../src/logger.ts';
import { type FakeDiscord, type FakeDiscordOptions, startFakeDiscord } from '../fakes/discord/index.ts';

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export interface BotHarness {
  fake: FakeDiscord;
  bot: DiscordBot;
  config: Config;
  feedback: FeedbackStore;
  logs: LogLine[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  engine: Engine;
  fake?: FakeDiscordOptions;
  /** Extra env settings (e.g. DISCORD_ALLOWED_CHANNELS, USER_MAX_CONCURRENT). */
  env?: Record<string, string>;
  bot?: DiscordBotOptions;
  /** Prepare the fake (channels, users, commands) before the bot connects. */
  before?: (fake: FakeDiscord) => void;
  start?: boolean;
  /** Level of the captured logs (default debug). */
  logLevel?: string;
}

/** Settings a test bot needs, pointing at the fake. */
export function discordEnv(fake: FakeDiscord, feedbackDb: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LOG_LEVEL: 'debug',
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_API_URL: fake.apiUrl,
    FEEDBACK_DB: feedbackDb,
    USER_QUESTIONS_PER_MINUTE: '1000',
    USER_MAX_CONCURRENT: '5',
    CHANNEL_MAX_CONCURRENT: '100',
    ...extra,
  };
}

export async function startBotHarness(options: HarnessOptions): Promise<BotHarness> {
  const fake = await startFakeDiscord(options.fake);
  options.before?.(fake);
  const dir = await mkdtemp(join(tmpdir(), 'askdocs-discord-'));
  const config = loadConfig(discordEnv(fake, join(dir, 'feedback.sqlite'), options.env) as NodeJS.ProcessEnv, { envFile: false });
  const logs: LogLine[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = createLogger({ level: options.logLevel ?? 'debug', destination });
  const feedback = FeedbackStore.open(config.feedbackDb);
  const bot = createDiscordBot({
    engine: options.engine,
    config,
    logger,
    feedback,
    options: { textIntervalMs: 150, ...options.bot },
  });
  if (options.start !== false) await bot.start();
  return {
    fake,
    bot,
    config,
    feedback,
    logs,
    async close() {
      await bot.stop().catch(() => undefined);
      await fake.close();
      feedback.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
