/**
 * The embedded engine's manager against the real native Milvus Lite binary: the
 * data-folder lock, the engine ending with askdocs (even after kill -9), restarts
 * after a crash, the failure that liveness reports, data left by the 3.x engine, and
 * requests the engine does not answer.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { AskdocsError } from '../src/errors.ts';
import { collectionExists, connectMilvus } from '../src/milvus/client.ts';
import { DEFAULT_ENGINE_DIR, freePort, startMilvusLite } from '../src/milvus/lite-server.ts';
import { ChunkStore } from '../src/milvus/store.ts';
import { startHealthServer } from '../src/observability/health-server.ts';
import { PACKAGE_ROOT } from '../src/paths.ts';
import { alive } from './support/engine-process.ts';
import { until } from './support/until.ts';

const scratch: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A plain TCP server on 127.0.0.1 (port 0: any free one), standing for another program. */
function listenOnLoopback(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    );
  });
}

const SIGNATURE = { model: 'test-model', dimension: 4 };
const row = (i: number) => ({
  id: `row${i}`,
  path: `doc${i}.md`,
  docHash: 'hash',
  chunkIndex: 0,
  title: `Doc ${i}`,
  headingPath: ['Doc'],
  text: `segment ${i} holds vectors and the word engine`,
  vector: [1, i, 0.5, 0.25].map((x) => x / 4),
});

describe('embedded Milvus engine (native Milvus Lite)', { timeout: 180_000 }, () => {
  test('a second askdocs on the same data folder is refused in one line, and can start once the first stops', async () => {
    const dataDir = await tempDir('askdocs-engine-lock-');
    const first = await startMilvusLite({ dataDir });
    try {
      await assert.rejects(startMilvusLite({ dataDir, timeoutMs: 10_000 }), (error: unknown) => {
        assert.ok(error instanceof AskdocsError);
        assert.equal(error.code, 'milvus_data_dir_locked');
        assert.match(error.message, /is in use by another askdocs process/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    } finally {
      await first.stop();
    }
    const again = await startMilvusLite({ dataDir });
    await again.stop();
  });

  test('the engine ends with askdocs, even when askdocs is killed with SIGKILL', async () => {
    const dataDir = await tempDir('askdocs-engine-orphan-');
    const script =
      "import { startMilvusLite } from './src/milvus/lite-server.ts';" +
      `const s = await startMilvusLite({ dataDir: ${JSON.stringify(dataDir)} });` +
      'console.log(s.pid); setInterval(() => {}, 1000);';
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: PACKAGE_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const enginePid = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
      child.once('exit', (code) => reject(new Error(`the child exited early (${code})`)));
    });
    assert.ok(enginePid > 0 && alive(enginePid), 'the engine runs');
    child.kill('SIGKILL');
    await until('the engine to exit after askdocs was killed', () => !alive(enginePid), { timeoutMs: 20_000 });
    // The lock went with the process: the folder opens again at once.
    const next = await startMilvusLite({ dataDir });
    await next.stop();
  });

  test('an engine killed under askdocs is restarted on the same address; data and searches come back', async () => {
    const dataDir = await tempDir('askdocs-engine-restart-');
    const lines: string[] = [];
    const logger = {
      warn: (_: unknown, msg: string) => lines.push(msg),
      info: (_: unknown, msg: string) => lines.push(msg),
      error: (_: unknown, msg: string) => lines.push(msg),
      debug: () => undefined,
    };
    const lite = await startMilvusLite({ dataDir, logger: logger as never, restartDelayMs: 100 });
    let restarts = 0;
    const store = await ChunkStore.connect({ address: lite.address, collection: 'restart_test' });
    lite.onRestart(() => {
      restarts++;
      store.forgetLoaded();
    });
    try {
      await store.ensureCollection(SIGNATURE);
      await store.upsert([row(1), row(2), row(3)]);
      const before = lite.pid!;
      process.kill(before, 'SIGKILL');
      await until('the engine to be restarted', () => lite.state() === 'running' && lite.pid !== before, { timeoutMs: 20_000 });
      assert.equal(restarts, 1);
      assert.ok(lines.includes('milvus engine exited unexpectedly; restarting it'), lines.join(' | '));
      assert.ok(lines.includes('milvus engine restarted'), lines.join(' | '));
      assert.equal(await store.count(), 3);
      const hits = await store.hybridSearch({ vector: row(2).vector, text: 'engine vectors', limit: 3 });
      assert.equal(hits.length, 3);
    } finally {
      await store.close();
      await lite.stop();
    }
    assert.equal(lite.state(), 'stopped');
  });

  test('an engine that cannot be restarted is reported as failed, and liveness fails with it', async () => {
    const dataDir = await tempDir('askdocs-engine-fail-');
    // An engine folder whose lib/ can be taken away once the engine runs.
    const engineDir = await tempDir('askdocs-engine-dir-');
    await symlink(join(DEFAULT_ENGINE_DIR, 'lib'), join(engineDir, 'lib'));
    const lite = await startMilvusLite({ dataDir, engineDir, restartAttempts: 2, restartDelayMs: 50 });
    const failed = new Promise<string>((resolve) => lite.onFailed(resolve));
    let reason: string | undefined;
    const health = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      checks: [],
      registry: new Registry(),
      isAlive: () => (reason ? { ok: false, detail: reason } : { ok: true }),
    });
    try {
      assert.equal((await fetch(`${health.url}/healthz`)).status, 200);
      await unlink(join(engineDir, 'lib'));
      await mkdir(join(engineDir, 'lib'));
      process.kill(lite.pid!, 'SIGKILL');
      reason = await failed;
      assert.equal(lite.state(), 'failed');
      assert.match(reason, /could not be restarted after 2 attempts/);
      const response = await fetch(`${health.url}/healthz`);
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), { status: 'failed' });
    } finally {
      await health.close();
      await lite.stop();
    }
  });

  test('a port another process takes before the engine listens is never mistaken for the engine: it starts on another port', async () => {
    const dataDir = await tempDir('askdocs-engine-port-');
    const squatter = await listenOnLoopback();
    const picked: number[] = [];
    const lines: string[] = [];
    const logger = {
      warn: (_: unknown, msg: string) => lines.push(msg),
      info: () => undefined,
      error: () => undefined,
      debug: () => undefined,
    };
    // The first port handed out is already taken, as if another process won the race for it.
    const pickPort = async () => {
      const port = picked.length === 0 ? squatter.port : await freePort();
      picked.push(port);
      return port;
    };
    const lite = await startMilvusLite({ dataDir, pickPort, logger: logger as never });
    const store = await ChunkStore.connect({ address: lite.address, collection: 'port_test' });
    try {
      assert.equal(picked.length, 2);
      assert.equal(lite.port, picked[1]);
      assert.ok(lines.includes('another process took the port picked for the milvus engine; trying another'), lines.join(' | '));
      await store.ensureCollection(SIGNATURE);
      await store.upsert([row(1), row(2)]);
      assert.equal(await store.count(), 2);
    } finally {
      await store.close();
      await lite.stop();
      await squatter.close();
    }
  });

  test('when another process takes the port while the engine restarts, it is reported as failed, naming the port', {
    timeout: 30_000,
  }, async () => {
    const dataDir = await tempDir('askdocs-engine-port-restart-');
    const lite = await startMilvusLite({ dataDir, restartAttempts: 1, restartDelayMs: 1_000 });
    const failed = new Promise<string>((resolve) => lite.onFailed(resolve));
    let squatter: Awaited<ReturnType<typeof listenOnLoopback>> | undefined;
    try {
      const pid = lite.pid!;
      process.kill(pid, 'SIGKILL');
      squatter = await until('the dead engine to let go of its port', () => listenOnLoopback(lite.port).catch(() => undefined));
      const reason = await failed;
      assert.equal(lite.state(), 'failed');
      assert.match(reason, new RegExp(`Port ${lite.port} on 127\\.0\\.0\\.1 was taken by another process`));
    } finally {
      await lite.stop();
      await squatter?.close();
    }
  });

  test('a data folder that cannot be made is refused in one line at once: under /proc, behind a broken symlink, inside a file', async () => {
    const scratch = await tempDir('askdocs-engine-datadir-');
    await symlink(join(scratch, 'unmounted'), join(scratch, 'volume'));
    await writeFile(join(scratch, 'file'), 'x');
    const cases: [string, RegExp][] = [
      ['/proc/askdocs-test/milvus', /cannot be created: a folder on its path cannot be made/],
      [join(scratch, 'volume'), /cannot be created: a folder on its path cannot be made \(a broken symlink/],
      [join(scratch, 'volume', 'milvus'), /cannot be created: a folder on its path cannot be made/],
      [join(scratch, 'file', 'milvus'), /is a file, or inside one, not a folder/],
      [join(scratch, 'file'), /is a file, or inside one, not a folder/],
    ];
    for (const [dataDir, problem] of cases) {
      await assert.rejects(startMilvusLite({ dataDir }), (error: unknown) => {
        assert.ok(error instanceof AskdocsError, String(error));
        assert.equal(error.code, 'config');
        assert.match(error.message, problem, dataDir);
        return true;
      });
    }
    // For a command that only reads, a missing folder or data file is "nothing ingested", naming it; nothing is made.
    const unmade = join(scratch, 'a', 'b', 'milvus');
    await assert.rejects(startMilvusLite({ dataDir: unmade, createIfMissing: false }), (error: unknown) => {
      assert.ok(error instanceof AskdocsError, String(error));
      assert.equal(error.message, `Nothing is ingested yet in ${unmade} (MILVUS_URI): run \`askdocs ingest <docs folder>\` first.`);
      return true;
    });
    assert.ok(!existsSync(join(scratch, 'a')), 'a start that only reads made no folder');
    // A folder that can be made is made, parents included.
    const nested = join(scratch, 'a', 'b', 'milvus');
    const server = await startMilvusLite({ dataDir: nested });
    await server.stop();
    assert.ok(existsSync(nested));
  });

  test('a missing engine is named with what to do', async () => {
    const dataDir = await tempDir('askdocs-engine-missing-');
    await assert.rejects(startMilvusLite({ dataDir, engineDir: join(dataDir, 'nowhere') }), (error: unknown) => {
      assert.ok(error instanceof AskdocsError);
      assert.equal(error.code, 'milvus_lite_missing');
      assert.match(error.message, /npm run setup.*MILVUS_URI/);
      return true;
    });
  });

  test('a request the engine does not answer, or answers no more, fails in plain words for the user, naming the request for the log', {
    timeout: 60_000,
  }, async () => {
    const dataDir = await tempDir('askdocs-engine-stalled-');
    const lite = await startMilvusLite({ dataDir });
    const client = await connectMilvus({ address: lite.address, timeoutMs: 1_500 });
    const pid = lite.pid!;
    try {
      // A frozen engine (overloaded, swapping, stopped in a debugger) takes the request and never answers.
      process.kill(pid, 'SIGSTOP');
      await until('the engine to be stopped', () => /^State:\s+T/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')), {
        timeoutMs: 20_000,
      });
      try {
        await assert.rejects(collectionExists(client, 'askdocs'), (error: unknown) => {
          assert.ok(error instanceof AskdocsError);
          assert.equal(error.code, 'milvus');
          // Plain words for the user; which request failed is for the log (the error's message).
          assert.equal(error.userMessage, 'The search engine did not answer in time; it may be overloaded. Please try again in a moment.');
          assert.equal(error.message, 'Milvus did not answer in time (request: listCollections); it may be overloaded.');
          assert.match(String((error.cause as Error).message), /DEADLINE_EXCEEDED/, 'the gRPC error stays in the cause, for logs');
          return true;
        });
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      assert.equal(await collectionExists(client, 'askdocs'), false, 'answers again once it runs');
      await lite.stop();
      await assert.rejects(collectionExists(client, 'askdocs'), (error: unknown) => {
        assert.ok(error instanceof AskdocsError);
        assert.match(error.message, /^(Lost the connection to Milvus|Milvus did not answer in time) \(request: listCollections\)/);
        assert.doesNotMatch(error.userMessage, /request:|listCollections/, 'the request name is for the log only');
        assert.doesNotMatch(error.userMessage, /127\.0\.0\.1|ECONNREFUSED|UNAVAILABLE/, 'no internal addresses or gRPC codes');
        return true;
      });
    } finally {
      await client.closeConnection();
      await lite.stop();
    }
  });

  test('a data folder left by the Milvus Lite 3.x engine is detected, kept, and explained in one line', async () => {
    const dataDir = await tempDir('askdocs-engine-legacy-');
    // What the 3.x engine leaves (as Milvus Lite 3.2.2 writes it): LOCK, databases/, collections/<name>/…, no milvus.db.
    await writeFile(join(dataDir, 'LOCK'), '');
    await mkdir(join(dataDir, 'databases'));
    await mkdir(join(dataDir, 'collections', 'askdocs'), { recursive: true });
    await writeFile(join(dataDir, 'collections', 'askdocs', 'schema.json'), '{}');
    // A command that only reads is told so at once, and adds no milvus.db.
    await assert.rejects(startMilvusLite({ dataDir, createIfMissing: false }), /older Milvus Lite 3\.x engine.*re-run `askdocs ingest/);
    assert.ok(!existsSync(join(dataDir, 'milvus.db')));
    const lite = await startMilvusLite({ dataDir });
    const hint = lite.legacyData ? `${lite.legacyData} holds data from the older Milvus Lite 3.x engine` : undefined;
    const store = await ChunkStore.connect({ address: lite.address, collection: 'askdocs', missingHint: hint });
    try {
      assert.equal(lite.legacyData, dataDir);
      await assert.rejects(store.assertReady(SIGNATURE), /older Milvus Lite 3\.x engine/);
      assert.ok(existsSync(join(dataDir, 'collections', 'askdocs', 'schema.json')), 'the old data is left untouched');
    } finally {
      await store.close();
      await lite.stop();
    }
    // Once re-ingested (milvus.db exists), the folder is no longer reported.
    const next = await startMilvusLite({ dataDir });
    await next.stop();
    assert.equal(next.legacyData, undefined);
  });
});
