/**
 * Graceful shutdown: the lifecycle API in-process, then a real bot process (Milvus
 * Lite, embedding model, engine, a slow fake LLM) receiving SIGTERM mid-answer.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createLifecycle, SHUTTING_DOWN_MESSAGE } from '../src/lifecycle.ts';
import { createLogger } from '../src/logger.ts';
import { startMilvusLite } from '../src/milvus/lite-server.ts';
import { type FakeLlm, startFakeLlm } from './fakes/llm-server.ts';
import { baseEnv, type ChildRun, runTs } from './support/ops-process.ts';

const silent = createLogger({ level: 'silent' });

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('lifecycle API', () => {
  test('shutdown waits for tracked work, then runs drain hooks first and close hooks last-registered-first', async () => {
    const order: string[] = [];
    const lifecycle = createLifecycle({ logger: silent, timeoutMs: 5_000, exit: () => order.push('exit') });
    lifecycle.onShutdown(() => {
      order.push('close runtime');
    });
    lifecycle.onShutdown(async () => {
      order.push('close front end');
    });
    lifecycle.onDrain(() => {
      order.push('stop listening');
    });
    const work = deferred();
    const tracked = lifecycle.track(work.promise.then(() => 'answer'));
    assert.equal(lifecycle.inFlight(), 1);
    assert.equal(lifecycle.isDraining(), false);

    const done = lifecycle.shutdown('test');
    assert.equal(lifecycle.isDraining(), true);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(order, ['stop listening'], 'nothing closes while an answer is in flight');

    work.resolve();
    assert.equal(await tracked, 'answer', 'track hands back the same result');
    assert.equal(await done, 0);
    assert.deepEqual(order, ['stop listening', 'close front end', 'close runtime']);
    assert.equal(lifecycle.inFlight(), 0);
    assert.equal(lifecycle.signal.aborted, false, 'work that finished in time is never aborted');
    assert.equal(lifecycle.shutdown('again'), lifecycle.shutdown('and again'), 'shutdown runs once');
  });

  test('a failed question does not block shutdown, and its rejection stays with the caller', async () => {
    const lifecycle = createLifecycle({ logger: silent, timeoutMs: 5_000, exit: () => {} });
    const failing = lifecycle.track(Promise.reject(new Error('LLM down')));
    await assert.rejects(failing, /LLM down/);
    assert.equal(await lifecycle.shutdown(), 0);
  });

  test('work that outlives the timeout is abandoned: close hooks still run and the exit code is 1', async () => {
    const closed: string[] = [];
    const lifecycle = createLifecycle({ logger: silent, timeoutMs: 50, abortGraceMs: 50, exit: () => {} });
    lifecycle.onShutdown(() => {
      closed.push('runtime');
    });
    const abandoned = new Promise<string>((resolve) => lifecycle.signal.addEventListener('abort', () => resolve('told')));
    lifecycle.track(new Promise(() => {}));
    assert.equal(await lifecycle.shutdown(), 1);
    assert.deepEqual(closed, ['runtime']);
    assert.equal(lifecycle.inFlight(), 1);
    assert.equal(await abandoned, 'told', 'work still running at the deadline is aborted');
  });

  test('a failing or hanging close hook does not stop the others and yields exit code 1', async () => {
    const closed: string[] = [];
    const failing = createLifecycle({ logger: silent, timeoutMs: 1_000, exit: () => {} });
    failing.onShutdown(() => {
      closed.push('runtime');
    });
    failing.onShutdown(() => {
      throw new Error('socket already closed');
    });
    assert.equal(await failing.shutdown(), 1);
    assert.deepEqual(closed, ['runtime']);

    const hanging = createLifecycle({ logger: silent, timeoutMs: 1_000, hooksTimeoutMs: 50, exit: () => {} });
    hanging.onShutdown(() => new Promise(() => {}));
    assert.equal(await hanging.shutdown(), 1);
  });

  test('fail(): shuts down with code 1; a lifecycle that does not own the process (not installed) does not exit it', async () => {
    const exits: number[] = [];
    const lifecycle = createLifecycle({ logger: silent, timeoutMs: 1_000, exit: (code) => exits.push(code) });
    let closed = false;
    lifecycle.onShutdown(() => {
      closed = true;
    });
    lifecycle.fail('engine gone');
    assert.equal(lifecycle.isDraining(), true);
    assert.equal(await lifecycle.shutdown(), 1, 'the shutdown fail() started, with its code');
    assert.ok(closed);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(exits, []);
  });

  test("fail() while a shutdown already runs (a SIGTERM's) still ends it with code 1", async () => {
    const lifecycle = createLifecycle({ logger: silent, timeoutMs: 1_000, exit: () => {} });
    const release = deferred();
    void lifecycle.track(release.promise);
    const shutdown = lifecycle.shutdown('SIGTERM');
    lifecycle.fail('engine gone');
    release.resolve();
    assert.equal(await shutdown, 1);
  });

  test('a shutdown because something failed (a bot that could not start) logs and yields exit code 1, its hooks still run', async () => {
    const lines: { msg?: string; code?: number }[] = [];
    const sink = new PassThrough();
    sink.on('data', (data: Buffer) =>
      lines.push(
        ...data
          .toString()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line)),
      ),
    );
    const logger = createLogger({ level: 'info', destination: sink });
    const lifecycle = createLifecycle({ logger, timeoutMs: 1_000, exit: () => {} });
    let closed = false;
    lifecycle.onShutdown(() => {
      closed = true;
    });
    assert.equal(await lifecycle.shutdown('startup failed', { failed: true }), 1);
    assert.ok(closed);
    assert.equal(lines.find((line) => line.msg === 'shutdown complete')?.code, 1);
  });
});

describe('SIGTERM with an answer in flight (real bot process)', () => {
  const REPLY =
    'Milvus Lite keeps its data in a local folder [1]. It starts with the bot and stops with it, so there is no ' +
    'server to run [1]. Point MILVUS_URI at a path to use it [1].';
  let llm: FakeLlm;
  let docs: string;
  const scratch: string[] = [];
  const children: ChildRun[] = [];

  before(async () => {
    llm = await startFakeLlm({ behaviour: { respond: () => REPLY, tokensPerSecond: 20 } });
    docs = await mkdtemp(join(tmpdir(), 'askdocs-ops-docs-'));
    scratch.push(docs);
    await writeFile(
      join(docs, 'milvus-lite.md'),
      '# Milvus Lite\n\nMilvus Lite is a lightweight Milvus that keeps its data in a local folder. ' +
        'It starts with the application and stops with it, so there is no separate server to run. ' +
        'Set MILVUS_URI to a local path to use Milvus Lite.\n',
    );
    await writeFile(
      join(docs, 'cluster.md'),
      '# Milvus cluster\n\nA Milvus cluster runs on Kubernetes with separate query nodes, data nodes and coordinators.\n',
    );
  });
  after(async () => {
    for (const child of children) child.kill();
    await llm?.close();
    await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function startBot(env: Record<string, string>) {
    const dataDir = await mkdtemp(join(tmpdir(), 'askdocs-ops-milvus-'));
    scratch.push(dataDir);
    const run = runTs(
      'test/support/ops-bot.ts',
      [],
      baseEnv({
        OPS_BOT_MILVUS_DIR: dataDir,
        LLM_BASE_URL: llm.url,
        DEEPSEEK_API_KEY: 'sk-ops-lifecycle-key',
        HEALTH_PORT: '0',
        LOG_LEVEL: 'info',
        OPS_BOT_DOCS: docs,
        ...env,
      }),
    );
    children.push(run);
    const ports = await run.firstLine<{ askPort: number; healthPort: number }>();
    return { run, dataDir, ask: `http://127.0.0.1:${ports.askPort}/ask`, health: `http://127.0.0.1:${ports.healthPort}` };
  }

  /** Starts a question and resolves once its first answer text has arrived. */
  async function askAndWaitForFirstText(url: string) {
    const response = await fetch(url, { method: 'POST', body: 'Where does Milvus Lite keep its data?' });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    while (received.length === 0) {
      const { value, done } = await reader.read();
      assert.equal(done, false, 'the answer ended before any text arrived');
      received += decoder.decode(value, { stream: true });
    }
    /** The whole answer text; `complete` is false when the connection was cut. */
    const rest = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return { text: received, complete: true };
          received += decoder.decode(value, { stream: true });
        }
      } catch {
        return { text: received, complete: false };
      }
    })();
    return { first: received, rest };
  }

  test('the answer completes, new questions are refused, Milvus Lite stops and the process exits 0', async () => {
    const bot = await startBot({ SHUTDOWN_TIMEOUT_MS: '20000' });
    assert.equal((await fetch(`${bot.health}/readyz`)).status, 200);

    const inFlight = await askAndWaitForFirstText(bot.ask);
    assert.ok(REPLY.startsWith(inFlight.first), 'the answer is streaming when SIGTERM arrives');
    bot.run.child.kill('SIGTERM');

    // While draining: readiness is off and a new question gets a plain refusal.
    let readyz = await fetch(`${bot.health}/readyz`);
    while (readyz.status === 200) readyz = await fetch(`${bot.health}/readyz`);
    assert.equal(readyz.status, 503);
    assert.equal(((await readyz.json()) as { status: string }).status, 'draining');
    const refused = await fetch(bot.ask, { method: 'POST', body: 'Another question?' });
    assert.equal(refused.status, 503);
    assert.equal(await refused.text(), SHUTTING_DOWN_MESSAGE);

    assert.deepEqual(
      await inFlight.rest,
      { text: `${REPLY}\n[final mode=generated]`, complete: true },
      'the in-flight answer is delivered in full',
    );
    assert.deepEqual(await bot.run.exited, { code: 0, signal: null });

    const messages = bot.run.logs().map((line) => line.msg);
    const order = ['shutting down: draining', 'in-flight questions finished', 'runtime closed', 'shutdown complete'];
    assert.deepEqual(
      messages.filter((m) => order.includes(m as string)),
      order,
      bot.run.stderr().slice(-2000),
    );
    // Milvus Lite was stopped before exit: its data directory is free for the next start right away.
    const next = await startMilvusLite({ dataDir: bot.dataDir, timeoutMs: 30_000 });
    await next.stop();
  });
});

describe('signal edge cases (lifecycle-only child process)', () => {
  const children: ChildRun[] = [];
  after(() => {
    for (const child of children) child.kill();
  });

  async function startWorker(env: Record<string, string>) {
    const run = runTs('test/support/ops-signal-worker.ts', [], baseEnv(env));
    children.push(run);
    await run.firstLine();
    return run;
  }

  test('work that outlives SHUTDOWN_TIMEOUT_MS is abandoned: close hooks run, exit code 1', async () => {
    const run = await startWorker({ SHUTDOWN_TIMEOUT_MS: '300', OPS_WORK_MS: '60000' });
    run.child.kill('SIGTERM');
    assert.deepEqual(await run.exited, { code: 1, signal: null });
    const messages = run.logs().map((line) => line.msg);
    assert.equal(run.logs().find((line) => line.msg === 'shutdown timeout: abandoning questions')?.abandoned, 1);
    assert.ok(messages.includes('runtime closed'));
    assert.ok(!messages.includes('work finished'));
  });

  test('a stray unhandled rejection is logged and counted, and the process keeps running', async () => {
    const run = await startWorker({ SHUTDOWN_TIMEOUT_MS: '300', OPS_WORK_MS: '60000', OPS_STRAY_REJECTION: '1' });
    const logged = await run.waitForLog('unhandled promise rejection: logged, still serving');
    assert.equal((logged.err as { message?: string } | undefined)?.message, 'stray failure in some library');
    assert.equal(logged.unhandledRejections, 1);
    assert.equal(run.child.exitCode, null, 'still running');
    // It still shuts down the ordinary way.
    run.child.kill('SIGTERM');
    await run.exited;
    assert.ok(run.logs().some((line) => line.msg === 'shutdown complete'));
  });

  test('a second signal during the drain exits at once', async () => {
    const run = await startWorker({ SHUTDOWN_TIMEOUT_MS: '60000', OPS_WORK_MS: '60000' });
    run.child.kill('SIGTERM');
    await run.waitForLog('shutting down: draining');
    run.child.kill('SIGINT');
    assert.deepEqual(await run.exited, { code: 1, signal: null });
    const messages = run.logs().map((line) => line.msg);
    assert.ok(messages.includes('second signal during shutdown: exiting now'));
    assert.ok(!messages.includes('runtime closed'));
  });

  test('SIGINT drains like SIGTERM and exits 0 once the work is done', async () => {
    const run = await startWorker({ SHUTDOWN_TIMEOUT_MS: '20000', OPS_WORK_MS: '300' });
    run.child.kill('SIGINT');
    assert.deepEqual(await run.exited, { code: 0, signal: null });
    const messages = run.logs().map((line) => line.msg);
    assert.deepEqual(
      messages.filter((m) => m !== 'in-flight questions finished'),
      ['shutting down: draining', 'work finished', 'runtime closed', 'shutdown complete'],
    );
  });
});
