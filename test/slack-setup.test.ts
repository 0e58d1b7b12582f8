/**
 * Starting the Slack bot: required settings named, Socket Mode vs HTTP chosen by
 * SLACK_APP_TOKEN, a rejected bot token reported in one line, and the health endpoints
 * served next to /slack/events in HTTP mode.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createSlackApp } from '../adapters/slack/index.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { AskdocsError } from '../src/errors.ts';
import { createLogger } from '../src/logger.ts';
import { healthRoutes } from '../src/observability/health-server.ts';
import { Registry } from '../src/observability/metrics.ts';
import { serveOperations } from '../src/observability/serve.ts';
import { ScriptedEngine } from './fakes/engine.ts';
import { FAKE_BOT, FakeSlackApi } from './fakes/slack-api.ts';
import { SIGNING_SECRET } from './fakes/slack-requests.ts';

const logger = createLogger({ level: 'silent' });
const engine = new ScriptedEngine(() => ({ text: 'unused' }));

describe('askdocs slack startup', () => {
  let api: FakeSlackApi;
  before(async () => {
    api = await new FakeSlackApi().start();
  });
  after(async () => {
    await api.stop();
  });

  const config = (env: Record<string, string>) => loadConfig({ FEEDBACK_DB: '/tmp/askdocs-unused.sqlite', ...env }, { envFile: false });

  it('names every missing required setting', () => {
    assert.throws(
      () => createSlackApp({ engine, logger, config: config({}) }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.startsWith('SLACK_BOT_TOKEN:')) &&
        error.problems.some((p) => p.startsWith('SLACK_SIGNING_SECRET:')),
    );
  });

  it('SLACK_SUGGESTED_PROMPTS: up to 4, separated by |, or off; more, or an empty one, is reported with the rest', () => {
    assert.deepEqual(config({ SLACK_SUGGESTED_PROMPTS: ' How do I install? |What is an index? ' }).slack.suggestedPrompts, [
      'How do I install?',
      'What is an index?',
    ]);
    assert.deepEqual(config({ SLACK_SUGGESTED_PROMPTS: 'OFF' }).slack.suggestedPrompts, []);
    assert.equal(config({}).slack.suggestedPrompts, undefined, 'unset: drawn from the docs');
    for (const [value, problem] of [
      ['a|b|c|d|e', /at most 4/],
      ['a||b', /1 to 500 characters/],
      [`${'x'.repeat(501)}`, /1 to 500 characters/],
    ] as const) {
      assert.throws(
        () => config({ SLACK_SUGGESTED_PROMPTS: value, PORT: 'not a port' }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.problems.some((p) => p.startsWith('SLACK_SUGGESTED_PROMPTS:') && problem.test(p)) &&
          error.problems.some((p) => p.startsWith('PORT:')),
      );
    }
  });

  it('uses Socket Mode when SLACK_APP_TOKEN is set, HTTP otherwise', () => {
    const base = { SLACK_BOT_TOKEN: FAKE_BOT.token, SLACK_SIGNING_SECRET: SIGNING_SECRET };
    assert.equal(
      createSlackApp({ engine, logger, config: config({ ...base, SLACK_APP_TOKEN: 'xapp-1-A0TEST-1234-abcdef' }) }).mode,
      'socket',
    );
    assert.equal(createSlackApp({ engine, logger, config: config(base) }).mode, 'http');
  });

  it('reports a rejected bot token in one clear line', async () => {
    const bot = createSlackApp({
      engine,
      logger,
      config: config({
        SLACK_BOT_TOKEN: 'xoxb-wrong-token-1111',
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: api.apiUrl,
        PORT: '0',
      }),
      retryConfig: { retries: 0 },
    });
    await assert.rejects(
      bot.start(),
      (error: unknown) => error instanceof AskdocsError && /Slack rejected SLACK_BOT_TOKEN \(invalid_auth\)/.test(error.userMessage),
    );
  });

  it('a PORT already in use is one line that names the setting', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    const bot = createSlackApp({
      engine,
      logger,
      config: config({
        SLACK_BOT_TOKEN: FAKE_BOT.token,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: api.apiUrl,
        PORT: String(port),
        BIND_ADDRESS: '127.0.0.1',
      }),
    });
    try {
      await assert.rejects(bot.start(), (error: unknown) => {
        assert.ok(error instanceof AskdocsError);
        assert.equal(error.userMessage, `PORT ${port} is already in use: stop what is listening there, or set PORT to a free port.`);
        return true;
      });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('BIND_ADDRESS: PORT and HEALTH_PORT listen on that interface only', async () => {
    // 127.0.0.2 is loopback too, but a different address from 127.0.0.1.
    const bound = config({
      SLACK_BOT_TOKEN: FAKE_BOT.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: api.apiUrl,
      PORT: '0',
      HEALTH_PORT: '0',
      BIND_ADDRESS: '127.0.0.2',
    });
    const bot = createSlackApp({ engine, logger, config: bound });
    const { port } = await bot.start();
    const health = await serveOperations({ config: bound, logger } as unknown as Parameters<typeof serveOperations>[0]);
    try {
      const reachable = async (url: string) =>
        fetch(url).then(
          (r) => r.status,
          () => 'refused',
        );
      assert.deepEqual(
        [
          await reachable(`http://127.0.0.2:${port}/slack/events`),
          await reachable(`http://127.0.0.1:${port}/slack/events`),
          await reachable(`http://127.0.0.2:${health.port}/healthz`),
          await reachable(`http://127.0.0.1:${health.port}/healthz`),
        ],
        [404, 'refused', 200, 'refused'],
      );
    } finally {
      await health.close();
      await bot.stop();
    }
    assert.throws(
      () => config({ BIND_ADDRESS: 'everywhere' }),
      (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith('BIND_ADDRESS:')),
    );
  });

  it('serves the health endpoints on the same port as /slack/events in HTTP mode', async () => {
    const bot = createSlackApp({
      engine,
      logger,
      config: config({ SLACK_BOT_TOKEN: FAKE_BOT.token, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: api.apiUrl, PORT: '0' }),
      customRoutes: healthRoutes({ checks: [{ name: 'slack', run: () => ({ ok: bot.isReady() }) }], registry: new Registry() }),
    });
    const { port } = await bot.start();
    try {
      const live = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(live.status, 200);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 200);
      // Unsigned POSTs to the events endpoint are refused.
      const unsigned = await fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(unsigned.status, 401);
    } finally {
      await bot.stop();
    }
    assert.equal(bot.isReady(), false);
  });
});
