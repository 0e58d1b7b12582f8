/**
 * Starts the real Bolt app (HTTP receiver on a free port) against the fake Slack Web
 * API, with a temporary feedback database. Tests send it signed requests and read what
 * users would see from the fake.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSlackApp, type SlackAppOptions, type SlackBot } from '../../adapters/slack/index.ts';
import { loadConfig } from '../../src/config.ts';
import type { Engine } from '../../src/engine/types.ts';
import { FeedbackStore } from '../../src/feedback/store.ts';
import { createLogger } from '../../src/logger.ts';
import { FAKE_BOT, FakeSlackApi } from '../fakes/slack-api.ts';
import { SIGNING_SECRET } from '../fakes/slack-requests.ts';

export interface SlackHarness {
  api: FakeSlackApi;
  bot: SlackBot;
  feedback: FeedbackStore;
  feedbackPath: string;
  /** The Events/commands/interactivity endpoint. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startSlackHarness(options: {
  engine: Engine;
  env?: Record<string, string>;
  api?: FakeSlackApi;
  /** More app options (e.g. `docTitles`). */
  app?: Partial<SlackAppOptions>;
}): Promise<SlackHarness> {
  const api = options.api ?? (await new FakeSlackApi().start());
  const dir = mkdtempSync(join(tmpdir(), 'askdocs-slack-'));
  const feedbackPath = join(dir, 'feedback.sqlite');
  const feedback = FeedbackStore.open(feedbackPath);
  const config = loadConfig(
    {
      SLACK_BOT_TOKEN: FAKE_BOT.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: api.apiUrl,
      PORT: '0',
      FEEDBACK_DB: feedbackPath,
      USER_MAX_CONCURRENT: '2',
      USER_QUESTIONS_PER_MINUTE: '100',
      CHANNEL_MAX_CONCURRENT: '10',
      ...options.env,
    },
    { envFile: false },
  );
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const bot = createSlackApp({
    engine: options.engine,
    config,
    logger,
    feedback,
    retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 20 },
    ...options.app,
  });
  const { port } = await bot.start();
  if (!port) throw new Error('slack harness: no port');
  return {
    api,
    bot,
    feedback,
    feedbackPath,
    port,
    url: `http://127.0.0.1:${port}/slack/events`,
    async close() {
      await bot.stop();
      feedback.close();
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
