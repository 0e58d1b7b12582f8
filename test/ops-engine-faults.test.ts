/**
 * The embedded engine failing under questions (found by an outside probe): killed
 * (kill -9) while questions wait on its searches. Real runtime, real engine process, real embedding model,
 * answering in extractive mode (no LLM key); faults are real signals to the engine's pid.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AskdocsError, userMessageOf } from '../src/errors.ts';
import { ingestFolder } from '../src/ingest/ingest.ts';
import { type OpenRuntimeOptions, openRuntime, type Runtime } from '../src/runtime.ts';
import { testConfig } from './fakes/config.ts';
import { type CapturedLog, capturedLogger } from './support/captured-logger.ts';
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
    const { runtime, log } = await openBot({});
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

  test('an engine not back within a few seconds: the user is told in plain words, the request name goes to the log', async () => {
    // The first restart attempt comes only after 8 s, past the read's wait for it.
    const { runtime } = await openBot({ restartDelayMs: 8_000 });
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
});
