/**
 * Shutdown against real processes: a signal arriving while the CLI hands signal handling to
 * the bot's lifecycle, an embedded engine that hangs (SIGSTOP) when the bot is told to stop,
 * the data-folder lock and the engine's end, and a second signal during the drain.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { AskdocsError } from '../src/errors.ts';
import { startMilvusLite } from '../src/milvus/lite-server.ts';
import { PACKAGE_ROOT } from '../src/paths.ts';
import { type FakeLlm, startFakeLlm } from './fakes/llm-server.ts';
import { FAKE_BOT, FakeSlackApi } from './fakes/slack-api.ts';
import { SIGNING_SECRET } from './fakes/slack-requests.ts';
import { alive, engineOf } from './support/engine-process.ts';
import { baseEnv, type ChildRun, runTs } from './support/ops-process.ts';
import { until } from './support/until.ts';

const scratch: string[] = [];
const children: ChildRun[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}
after(async () => {
  for (const child of children) child.kill();
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Engine processes (any parent) running on the data folder's milvus.db. */
function enginesOn(dataDir: string): number[] {
  const db = join(dataDir, 'milvus.db');
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(db) && alive(Number(entry))) pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}

/** Whether the child exits within `ms`; the timer is cleared either way (a pending one kept this file's process alive for up to a minute after its last test). */
async function exitedWithin(run: ChildRun, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([run.exited.then(() => true), new Promise<false>((done) => (timer = setTimeout(() => done(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the embedded engine stops before its data folder is released', { timeout: 120_000 }, () => {
  test('stop() of a hung (SIGSTOPped) engine: ends it within seconds, and the folder stays locked until it has exited', async () => {
    const dataDir = await tempDir('askdocs-shutdown-lock-');
    const lite = await startMilvusLite({ dataDir });
    const pid = lite.pid!;
    process.kill(pid, 'SIGSTOP');
    const started = Date.now();
    const stopping = lite.stop();
    // The engine still exists (its exit not yet seen): a second askdocs must not get the folder.
    await assert.rejects(startMilvusLite({ dataDir, timeoutMs: 10_000 }), (error: unknown) => {
      assert.ok(error instanceof AskdocsError);
      assert.equal(error.code, 'milvus_data_dir_locked');
      return true;
    });
    await stopping;
    assert.ok(Date.now() - started < 4_000, `stopped within the stop budget (took ${Date.now() - started} ms)`);
    assert.equal(alive(pid), false, 'the engine is gone once stop() resolves');
    const next = await startMilvusLite({ dataDir });
    await next.stop();
  });

  test('an engine that hangs is killed when askdocs exits without stopping it (no orphan on the data folder)', async () => {
    const dataDir = await tempDir('askdocs-shutdown-exit-');
    const script =
      "import { startMilvusLite } from './src/milvus/lite-server.ts';" +
      `const s = await startMilvusLite({ dataDir: ${JSON.stringify(dataDir)} });` +
      "process.kill(s.pid, 'SIGSTOP'); console.log(s.pid); setTimeout(() => process.exit(0), 200);";
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: PACKAGE_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const enginePid = await new Promise<number>((done, fail) => {
      child.stdout.once('data', (data: Buffer) => done(Number(data.toString().trim())));
      child.once('exit', (code) => fail(new Error(`the child exited early (${code})`)));
    });
    try {
      await new Promise((done) => child.once('exit', done));
      await until('the hung engine to be gone after askdocs exited', () => !alive(enginePid), { timeoutMs: 5_000 });
    } finally {
      if (alive(enginePid)) process.kill(enginePid, 'SIGKILL');
    }
  });
});

describe('a bot told to stop while its engine hangs (real runtime, ops bot)', { timeout: 120_000 }, () => {
  let llm: FakeLlm;
  let docs: string;
  before(async () => {
    llm = await startFakeLlm({ behaviour: { respond: () => 'Milvus Lite keeps its data in a local folder [1].', tokensPerSecond: 50 } });
    docs = await tempDir('askdocs-shutdown-docs-');
    await writeFile(join(docs, 'milvus-lite.md'), '# Milvus Lite\n\nMilvus Lite keeps its data in a local folder.\n');
  });
  after(async () => {
    await llm?.close();
  });

  test('exits well within the grace period, with the engine gone and its folder free, the question told "restarting"', async () => {
    const dataDir = await tempDir('askdocs-shutdown-hung-');
    const run = runTs(
      'test/support/ops-bot.ts',
      [],
      baseEnv({
        OPS_BOT_MILVUS_DIR: dataDir,
        OPS_BOT_DOCS: docs,
        LLM_BASE_URL: llm.url,
        DEEPSEEK_API_KEY: 'sk-ops-shutdown-key',
        HEALTH_PORT: '0',
        LOG_LEVEL: 'info',
        SHUTDOWN_TIMEOUT_MS: '1000',
      }),
    );
    children.push(run);
    const { askPort } = await run.firstLine<{ askPort: number }>();
    const engine = engineOf(run.child.pid!);
    assert.ok(engine, 'the bot runs an engine');
    process.kill(engine.pid, 'SIGSTOP');
    try {
      const answer = fetch(`http://127.0.0.1:${askPort}/ask`, { method: 'POST', body: 'Where does Milvus Lite keep its data?' }).then(
        (response) => response.text(),
        () => '',
      );
      await new Promise((done) => setTimeout(done, 1_000));
      const signalled = Date.now();
      run.child.kill('SIGTERM');
      // SHUTDOWN_TIMEOUT_MS 1 s + 2 s abort grace + the engine's stop: far below the 10 s one close step had.
      assert.ok(await exitedWithin(run, 9_000), `exited within 9 s of SIGTERM:\n${run.stderr().slice(-2500)}`);
      const tookMs = Date.now() - signalled;
      assert.equal(alive(engine.pid), false, 'no engine left running');
      assert.deepEqual(enginesOn(dataDir), []);
      const messages = run.logs().map((line) => line.msg);
      assert.ok(messages.includes('runtime closed'), `the runtime closed in its step (took ${tookMs} ms):\n${run.stderr().slice(-2500)}`);
      void answer;
    } finally {
      if (alive(engine.pid)) process.kill(engine.pid, 'SIGKILL');
    }
    const next = await startMilvusLite({ dataDir });
    await next.stop();
  });
});

describe('a signal while the CLI hands signal handling to the bot (real `askdocs slack`)', { timeout: 120_000 }, () => {
  let api: FakeSlackApi;
  before(async () => {
    api = await new FakeSlackApi().start();
  });
  after(async () => {
    await api?.stop();
  });

  test('a SIGTERM pending at the hand-over shuts the bot down instead of being lost', async () => {
    const dataDir = await tempDir('askdocs-shutdown-handover-');
    const cwd = await tempDir('askdocs-shutdown-cwd-');
    const preload = pathToFileURL(resolve(PACKAGE_ROOT, 'test/support/signal-at-handover.mjs')).href;
    const run = runTs(
      'bin/askdocs.js',
      ['slack'],
      baseEnv({
        NODE_OPTIONS: `--import=${preload}`,
        SLACK_BOT_TOKEN: FAKE_BOT.token,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: api.apiUrl,
        MILVUS_URI: dataDir,
        DEEPSEEK_API_KEY: 'sk-ops-shutdown-key',
        PORT: '0',
        HEALTH_PORT: '0',
        LOG_LEVEL: 'info',
      }),
      { cwd },
    );
    children.push(run);
    assert.ok(await exitedWithin(run, 60_000), `still running after the SIGTERM:\n${run.stderr().slice(-2500)}`);
    const draining = run.logs().find((line) => line.msg === 'shutting down: draining');
    assert.equal(draining?.reason, 'SIGTERM', run.stderr().slice(-2500));
    assert.doesNotMatch(run.stderr(), /Slack bot listening/);
    assert.deepEqual(enginesOn(dataDir), [], 'no engine left on the data folder');
  });
});

describe('a second signal during the drain (lifecycle-only child process)', { timeout: 60_000 }, () => {
  test('aborts the work in flight and lets it say goodbye (briefly) before exiting', async () => {
    const run = runTs(
      'test/support/ops-signal-worker.ts',
      [],
      baseEnv({ SHUTDOWN_TIMEOUT_MS: '60000', OPS_WORK_MS: '60000', OPS_WORK_ABORTABLE: '1' }),
    );
    children.push(run);
    await run.firstLine();
    run.child.kill('SIGTERM');
    await run.waitForLog('shutting down: draining');
    const signalled = Date.now();
    run.child.kill('SIGINT');
    assert.deepEqual(await run.exited, { code: 1, signal: null });
    assert.ok(Date.now() - signalled < 2_500, 'within the forced-exit grace');
    const messages = run.logs().map((line) => line.msg);
    assert.ok(messages.includes('second signal during shutdown: exiting now'));
    assert.ok(messages.includes('said goodbye'), run.stderr().slice(-1500));
  });
});
