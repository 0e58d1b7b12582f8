/**
 * Starts the real `askdocs slack` command (bin/askdocs.js, HTTP mode) as a child process
 * against the fake Slack Web API and a test Milvus, and waits until it listens: for the
 * tests that need the whole command rather than the Slack app in-process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { FAKE_BOT, FakeSlackApi } from '../fakes/slack-api.ts';
import { SIGNING_SECRET } from '../fakes/slack-requests.ts';
import { startTestMilvus, type TestMilvus } from './milvus.ts';
import { baseEnv, type ChildRun, runTs } from './ops-process.ts';
import { sleep } from './slack-view.ts';

/** The line src/cli/commands/slack-bot.ts prints once the HTTP receiver is up. */
const LISTENING = /listening on :(\d+)/;

export interface SlackProcessOptions {
  api: FakeSlackApi;
  milvus: { address: string };
  collection: string;
  /** The child's working directory: a scratch directory, so no developer's .env is read. */
  cwd: string;
  /** Settings on top of the common ones (or replacing them). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface SlackProcess {
  run: ChildRun;
  port: number;
  /** Where signed Slack requests go. */
  eventsUrl: string;
}

export async function startSlackProcess(options: SlackProcessOptions): Promise<SlackProcess> {
  const { api, milvus, collection, cwd, env = {}, timeoutMs = 60_000 } = options;
  const run = runTs(
    'bin/askdocs.js',
    ['slack'],
    baseEnv({
      SLACK_BOT_TOKEN: FAKE_BOT.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: api.apiUrl,
      MILVUS_URI: `http://${milvus.address}`,
      MILVUS_COLLECTION: collection,
      PORT: '0',
      HEALTH_PORT: '0',
      ...env,
    }),
    { cwd },
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const port = LISTENING.exec(run.stderr())?.[1];
    if (port) return { run, port: Number(port), eventsUrl: `http://127.0.0.1:${port}/slack/events` };
    const exited = run.child.exitCode !== null || run.child.signalCode !== null;
    if (exited || Date.now() > deadline) {
      // Not left running behind a failed test.
      run.kill();
      const why = exited ? `exited (code ${run.child.exitCode}, signal ${run.child.signalCode})` : `not listening after ${timeoutMs} ms`;
      throw new Error(`askdocs slack ${why}; its stderr:\n${run.stderr().slice(-2000)}`);
    }
    await sleep(100);
  }
}

/**
 * For a suite of `askdocs slack` processes: a test Milvus, the fake Slack Web API and a scratch
 * working folder, started before the suite's tests and closed after them, with any process
 * `start` began. Call inside a `describe`.
 */
export function slackProcessSuite(name: string): {
  readonly api: FakeSlackApi;
  readonly workDir: string;
  start(options: Pick<SlackProcessOptions, 'collection' | 'env'>): Promise<SlackProcess>;
} {
  let milvus: TestMilvus | undefined;
  let api: FakeSlackApi | undefined;
  let workDir: string | undefined;
  const bots: SlackProcess[] = [];
  before(async () => {
    [milvus, api] = await Promise.all([startTestMilvus(), new FakeSlackApi().start()]);
    workDir = await mkdtemp(join(tmpdir(), `askdocs-${name}-`));
  });
  after(async () => {
    for (const bot of bots) bot.run.kill();
    await Promise.all([milvus?.stop(), api?.stop()]);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });
  return {
    get api() {
      return api!;
    },
    get workDir() {
      return workDir!;
    },
    async start(options) {
      const bot = await startSlackProcess({ ...options, api: api!, milvus: milvus!, cwd: workDir! });
      bots.push(bot);
      return bot;
    },
  };
}
