/**
 * Issue 10, item 7: a bot whose embedded Milvus engine is killed (kill -9) restarts it
 * by itself and answers again; when the engine cannot be restarted, the bot shuts
 * down and exits 1, so its supervisor restarts the process. The bot is the ops
 * child process (real runtime, real engine, real model, real health server), answering
 * in extractive mode (no LLM key).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { engineOf } from './support/engine-process.ts';
import { baseEnv, type ChildRun, runTs } from './support/ops-process.ts';
import { until } from './support/until.ts';

describe('embedded engine killed under a running bot', { timeout: 180_000 }, () => {
  const scratch: string[] = [];
  const children: ChildRun[] = [];
  let docs: string;

  before(async () => {
    docs = await mkdtemp(join(tmpdir(), 'askdocs-restart-docs-'));
    scratch.push(docs);
    await writeFile(
      join(docs, 'milvus-lite.md'),
      '# Milvus Lite\n\nMilvus Lite keeps its data in a local folder. It starts with the bot and stops with it.\n',
    );
  });
  after(async () => {
    for (const child of children) child.kill();
    await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function startBot() {
    const dataDir = await mkdtemp(join(tmpdir(), 'askdocs-restart-milvus-'));
    scratch.push(dataDir);
    const run = runTs(
      'test/support/ops-bot.ts',
      [],
      baseEnv({ OPS_BOT_MILVUS_DIR: dataDir, HEALTH_PORT: '0', LOG_LEVEL: 'info', OPS_BOT_DOCS: docs }),
    );
    children.push(run);
    const ports = await run.firstLine<{ askPort: number; healthPort: number }>();
    const engine = engineOf(run.child.pid!);
    assert.ok(engine, 'the bot runs an engine');
    return { run, engine, dataDir, ask: `http://127.0.0.1:${ports.askPort}/ask`, health: `http://127.0.0.1:${ports.healthPort}` };
  }

  test('the engine is restarted with a log line, and the bot answers again', async () => {
    const bot = await startBot();
    assert.equal((await fetch(`${bot.health}/readyz`)).status, 200);
    process.kill(bot.engine.pid, 'SIGKILL');

    const restarted = await bot.run.waitForLog('milvus engine restarted');
    assert.equal(restarted.level, 'info');
    assert.ok(bot.run.logs().some((line) => line.msg === 'milvus engine exited unexpectedly; restarting it'));
    assert.equal((await fetch(`${bot.health}/healthz`)).status, 200);
    await until('readiness to come back', async () => (await fetch(`${bot.health}/readyz`)).status === 200, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    const answer = await (await fetch(bot.ask, { method: 'POST', body: 'Where does Milvus Lite keep its data?' })).text();
    assert.match(answer, /local folder/);
    assert.doesNotMatch(answer, /\[error\]/);
    const next = engineOf(bot.run.child.pid!);
    assert.ok(next && next.pid !== bot.engine.pid && next.port === bot.engine.port, 'a new engine on the same port');
  });

  test('an engine that cannot come back: the bot logs why, shuts down and exits 1 for its supervisor to restart it', async () => {
    const bot = await startBot();
    // The data folder disappears under the running engine (a lost volume, say), so no
    // restart can open it again; then the engine dies.
    await rm(bot.dataDir, { recursive: true, force: true });
    await writeFile(bot.dataDir, 'not a folder');
    process.kill(bot.engine.pid, 'SIGKILL');
    const failed = await bot.run.waitForLog('milvus engine could not be restarted');
    assert.equal(failed.level, 'error');
    assert.match(String(failed.reason), /could not be restarted after 5 attempts/);
    assert.deepEqual(await bot.run.exited, { code: 1, signal: null });
    const ending = bot.run.logs().find((line) => line.msg === 'cannot go on: shutting down so the process is restarted');
    assert.match(String(ending?.reason), /^embedded Milvus engine failed: .*could not be restarted/);
    assert.equal(bot.run.logs().find((line) => line.msg === 'shutdown complete')?.code, 1);
  });
});
