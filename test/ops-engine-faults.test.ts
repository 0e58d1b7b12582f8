/**
 * The embedded engine failing under questions (found by an outside probe): killed
 * (kill -9) while questions wait on its searches, and hung (SIGSTOP: the process and its
 * port stay, nothing answers). Real runtime, real engine process, real embedding model,
 * answering in extractive mode (no LLM key); faults are real signals to the engine's pid.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AskdocsError, userMessageOf } from '../src/errors.ts';
import { ingestFolder } from '../src/ingest/ingest.ts';
import { startMilvusLite } from '../src/milvus/lite-server.ts';
import { startHealthServer } from '../src/observability/health-server.ts';
import { operationsEndpoints } from '../src/observability/serve.ts';
import { QuestionStore } from '../src/questions/store.ts';
import { type OpenRuntimeOptions, openRuntime, type Runtime } from '../src/runtime.ts';
import { testConfig } from './fakes/config.ts';
import { type CapturedLog, capturedLogger } from './support/captured-logger.ts';
import { alive } from './support/engine-process.ts';
import { until } from './support/until.ts';

const QUESTION = 'Where does Milvus Lite keep its data?';

describe('embedded engine faults under questions', { timeout: 240_000 }, () => {
  const scratch: string[] = [];
  // Engines this file stopped: continued in clean-up, whatever happened.
  const stoppedPids = new Set<number>();
  let docs: string;

  before(async () => {
    docs = await mkdtemp(join(tmpdir(), 'askdocs-faults-docs-'));
    scratch.push(docs);
    await writeFile(
      join(docs, 'milvus-lite.md'),
      '# Milvus Lite\n\nMilvus Lite keeps its data in a local folder. It starts with the bot and stops with it.\n',
    );
  });
  after(async () => {
    for (const pid of stoppedPids) resume(pid);
    await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  function stop(pid: number): void {
    stoppedPids.add(pid);
    process.kill(pid, 'SIGSTOP');
  }

  function resume(pid: number): void {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // Already gone (killed by the watchdog or the test).
    }
  }

  async function openBot(engine: OpenRuntimeOptions['engine']): Promise<{ runtime: Runtime; log: CapturedLog }> {
    const dataDir = await mkdtemp(join(tmpdir(), 'askdocs-faults-milvus-'));
    scratch.push(dataDir);
    const log = capturedLogger('info');
    const config = testConfig({ MILVUS_URI: dataDir });
    const runtime = await openRuntime(config, { logger: log.logger, engine });
    await ingestFolder({
      dir: docs,
      store: runtime.store,
      embedder: runtime.embedder,
      maxChars: config.ingest.chunkMaxChars,
      overlapChars: config.ingest.chunkOverlapChars,
      batchSize: config.embedding.batchSize,
    });
    // Warm: the collection is loaded and the model has run once.
    assert.match(await ask(runtime), /local folder/);
    return { runtime, log };
  }

  /** What a chat user would see: the answer's text, or the error's user message. */
  async function ask(runtime: Runtime): Promise<string> {
    let text = '';
    try {
      for await (const event of runtime.engine.answer({ text: QUESTION, requestId: 'test', scope: { platform: 'cli' } })) {
        if (event.type === 'delta') text += event.text;
      }
      return text;
    } catch (error) {
      return `[error] ${userMessageOf(error)}`;
    }
  }

  test('questions waiting on a search when the engine is killed are answered once it is back', async () => {
    const { runtime, log } = await openBot({ watchdog: false });
    try {
      const pid = runtime.lite!.pid!;
      // Stopped first, so that all 8 questions are surely waiting on the engine when it dies.
      stop(pid);
      let settled = 0;
      const answers = Array.from({ length: 8 }, () => ask(runtime).finally(() => settled++));
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(settled, 0, 'the questions wait on the stopped engine');
      process.kill(pid, 'SIGKILL');
      const seen = await Promise.all(answers);
      for (const text of seen) {
        assert.doesNotMatch(text, /\[error\]/);
        assert.match(text, /local folder/);
      }
      assert.ok(log.lines.some((line) => line.msg === 'milvus engine restarted'));
      const retried = log.lines.filter(
        (line) => line.msg === 'milvus engine was lost during a read; trying it again on the restarted engine',
      );
      assert.ok(retried.length >= 1, 'the retries are logged');
      assert.match(String((retried[0]?.err as { message?: string } | undefined)?.message), /request: /, 'the request name is in the log');
    } finally {
      await runtime.close();
    }
  });

  test('a question logged while the engine is being restarted is written once it is back, once', async () => {
    const { runtime, log } = await openBot({ watchdog: false });
    try {
      const questionLog = runtime.questionLog!;
      await questionLog.flush();
      const before = questionLog.stats();
      process.kill(runtime.lite!.pid!, 'SIGKILL');
      // As the engine reports an answer: its record is written in the background, now
      // while the engine is down.
      questionLog.answered({
        requestId: 'logged-in-restart',
        platform: 'slack',
        question: 'Is the question log kept across an engine restart?',
        standalone: 'Is the question log kept across an engine restart?',
        mode: 'extractive',
        abstained: false,
        relevance: 0.7,
        citedPaths: ['milvus-lite.md'],
        askedAt: new Date(),
      });
      await questionLog.flush(30_000);
      assert.deepEqual(questionLog.stats(), { ...before, written: before.written + 1 }, 'written, not failed');
      assert.ok(log.lines.some((line) => line.msg === 'milvus engine restarted'));
      const store = await QuestionStore.connect({ address: runtime.lite!.address, collection: runtime.config.questionLog.collection });
      try {
        const rows = await store.list(new Date(0));
        assert.equal(rows.filter((row) => row.requestId === 'logged-in-restart').length, 1, 'recorded once');
      } finally {
        await store.close();
      }
    } finally {
      await runtime.close();
    }
  });

  test('an engine not back within a few seconds: the user is told in plain words, the request name goes to the log', async () => {
    // The first restart attempt comes only after 8 s, past the read's wait for it.
    const { runtime } = await openBot({ watchdog: false, restartDelayMs: 8_000 });
    try {
      process.kill(runtime.lite!.pid!, 'SIGKILL');
      await until('the engine to be restarting', () => runtime.lite!.state() === 'restarting', { timeoutMs: 10_000, intervalMs: 20 });
      let failure: unknown;
      try {
        for await (const _ of runtime.engine.answer({ text: QUESTION, requestId: 'test', scope: { platform: 'cli' } })) {
          // Nothing to collect: the answer is expected to fail.
        }
      } catch (error) {
        failure = error;
      }
      assert.ok(failure instanceof AskdocsError, 'the question fails');
      assert.equal(failure.userMessage, 'The search engine is restarting. Please try again in a moment.');
      assert.match(failure.message, /^Lost the connection to Milvus \(request: \w+\)\.$/, 'the request name, for the log');
    } finally {
      await runtime.close();
    }
  });

  test('a hung engine is killed by its watchdog and restarted; liveness fails until it is back', async () => {
    // Pings every 100 ms, 300 ms each, 3 in a row: a hang is acted on within about 1.5 s.
    // The restart waits 1.5 s, so that liveness can be seen failing in between.
    const { runtime, log } = await openBot({ watchdog: { intervalMs: 100, timeoutMs: 300, failures: 3 }, restartDelayMs: 1_500 });
    const health = await startHealthServer({ port: 0, host: '127.0.0.1', ...operationsEndpoints(runtime) });
    try {
      assert.equal((await fetch(`${health.url}/healthz`)).status, 200);
      const pid = runtime.lite!.pid!;
      stop(pid);
      const started = Date.now();
      const answer = ask(runtime);
      await until('liveness to fail', () => !runtime.alive().ok, { timeoutMs: 15_000, intervalMs: 20 });
      assert.equal((await fetch(`${health.url}/healthz`)).status, 503, '/healthz reports the hung engine');
      assert.match(String(runtime.alive().detail), /did not answer 3 health pings in a row/);
      const hung = log.lines.find((line) => line.msg === 'milvus engine stopped answering; killing it so that it is restarted');
      assert.equal(hung?.level, 'error');
      assert.equal(hung?.event, 'milvus_engine_hung');
      assert.equal(hung?.pid, pid);
      await until('the hung engine to be gone', () => !alive(pid), { timeoutMs: 5_000, intervalMs: 20 });

      await until('the engine to be restarted', () => runtime.lite!.state() === 'running' && runtime.lite!.pid !== pid, {
        timeoutMs: 15_000,
        intervalMs: 20,
      });
      assert.deepEqual(runtime.alive(), { ok: true });
      assert.equal((await fetch(`${health.url}/healthz`)).status, 200);
      // The question that waited on the hung engine is answered by the new one, long before its 30 s deadline.
      const text = await answer;
      assert.match(text, /local folder/);
      assert.ok(Date.now() - started < 20_000, 'not held for the request deadline');

      // Closing stops the watchdog: no ping (and no kill) once the runtime closed.
      await runtime.close();
      const linesAtClose = log.lines.length;
      await new Promise((r) => setTimeout(r, 1_000));
      assert.deepEqual(
        log.lines.slice(linesAtClose).filter((line) => String(line.event ?? '').startsWith('milvus_engine_')),
        [],
      );
    } finally {
      await health.close();
      await runtime.close();
    }
  });

  test('a Milvus server (MILVUS_URI http://…) has no watchdog: a stalled server is not killed', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'askdocs-faults-server-'));
    scratch.push(dataDir);
    // A Milvus on its own (no watchdog of its own either), as a server would be.
    const server = await startMilvusLite({ dataDir, watchdog: false });
    const log = capturedLogger('info');
    const runtime = await openRuntime(testConfig({ MILVUS_URI: `http://${server.address}` }), {
      logger: log.logger,
      engine: { watchdog: { intervalMs: 100, timeoutMs: 300, failures: 3 } },
    });
    const pid = server.pid!;
    try {
      assert.equal(runtime.lite, undefined);
      stop(pid);
      await new Promise((r) => setTimeout(r, 2_000));
      assert.ok(alive(pid), 'the server is left alone');
      assert.deepEqual(runtime.alive(), { ok: true });
      assert.deepEqual(
        log.lines.filter((line) => String(line.event ?? '').startsWith('milvus_engine_')),
        [],
      );
    } finally {
      resume(pid);
      await runtime.close();
      await server.stop();
    }
  });
});
