/**
 * /healthz and /readyz against real parts: Milvus Lite, the ChunkStore, the local
 * embedding model, and a real Bolt app serving the same routes in HTTP mode.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createEmbedder, type Embedder } from '../src/embeddings/index.ts';
import { AskdocsError } from '../src/errors.ts';
import { createLifecycle } from '../src/lifecycle.ts';
import { createLogger } from '../src/logger.ts';
import { ChunkStore } from '../src/milvus/store.ts';
import {
  HEALTH_PATHS,
  type HealthServer,
  healthRoutes,
  type ReadinessReport,
  startHealthServer,
} from '../src/observability/health-server.ts';
import { Registry } from '../src/observability/metrics.ts';
import { runtimeReadinessChecks } from '../src/observability/readiness.ts';
import { operationsEndpoints, serveOperations } from '../src/observability/serve.ts';
import { testConfig } from './fakes/config.ts';
import { startTestMilvus, type TestMilvus } from './support/milvus.ts';

const silent = createLogger({ level: 'silent' });

async function get(url: string): Promise<{ status: number; body: ReadinessReport & { status: string } }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as ReadinessReport };
}

describe('health and readiness', () => {
  let milvus: TestMilvus;
  let embedder: Embedder;
  const stores: ChunkStore[] = [];
  const servers: HealthServer[] = [];

  before(async () => {
    [milvus, embedder] = await Promise.all([startTestMilvus(), createEmbedder(testConfig().embedding)]);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(stores.map((s) => s.close().catch(() => {})));
    await milvus?.stop().catch(() => {});
  });

  async function subject(collection: string, env: Record<string, string> = {}) {
    const config = testConfig({ MILVUS_URI: `http://${milvus.address}`, MILVUS_COLLECTION: collection, ...env });
    const store = await ChunkStore.connect({ address: milvus.address, collection });
    stores.push(store);
    return { config, store, embedder, logger: silent };
  }

  /** A subject whose collection exists and matches the embedder: everything ready. */
  async function readySubject(env: Record<string, string> = {}) {
    const s = await subject('ops_ready_ok', env);
    await s.store.ensureCollection({ model: embedder.model, dimension: embedder.dimension });
    return s;
  }

  async function serve(s: Awaited<ReturnType<typeof subject>>, extra: { isDraining?: () => boolean } = {}) {
    const server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      checks: runtimeReadinessChecks(s),
      registry: new Registry(),
      ...extra,
    });
    servers.push(server);
    return server;
  }

  test('not ready until the collection exists, then ready; liveness is up throughout', async () => {
    const s = await subject('ops_created_later');
    const server = await serve(s);

    const before = await get(`${server.url}/readyz`);
    assert.equal(before.status, 503);
    assert.equal(before.body.status, 'not_ready');
    assert.equal(before.body.checks.collection?.ok, false);
    assert.match(before.body.checks.collection?.detail ?? '', /askdocs ingest/);
    assert.equal(before.body.checks.embedder?.ok, true);
    assert.equal((await get(`${server.url}/healthz`)).status, 200);

    await s.store.ensureCollection({ model: embedder.model, dimension: embedder.dimension });
    const ready = await get(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
    assert.deepEqual(Object.keys(ready.body.checks).sort(), ['collection', 'embedder', 'llm', 'milvus']);
    assert.match(ready.body.checks.collection?.detail ?? '', /holds 0 chunks/);
    assert.match(ready.body.checks.embedder?.detail ?? '', /all-MiniLM-L6-v2-int8 \(384-d\)/);
  });

  test('a missing LLM key keeps the bot ready in extractive mode and says so', async () => {
    const withoutKey = await readySubject();
    const noKey = await get(`${(await serve(withoutKey)).url}/readyz`);
    assert.equal(noKey.status, 200);
    assert.equal(noKey.body.checks.llm?.ok, true);
    assert.match(noKey.body.checks.llm?.detail ?? '', /extractive mode/);

    const withKey = await readySubject({ DEEPSEEK_API_KEY: 'sk-ops-health-secret' });
    const keyed = await get(`${(await serve(withKey)).url}/readyz`);
    assert.equal(keyed.status, 200);
    assert.match(keyed.body.checks.llm?.detail ?? '', /generating with deepseek-chat/);
    assert.doesNotMatch(JSON.stringify(keyed.body), /sk-ops-health-secret/);
  });

  test('a collection built with another embedding model is not ready', async () => {
    const s = await subject('ops_mismatch');
    await s.store.ensureCollection({ model: 'some-other-model', dimension: 768 });
    const report = await get(`${(await serve(s)).url}/readyz`);
    assert.equal(report.status, 503);
    assert.equal(report.body.checks.milvus?.ok, true);
    assert.equal(report.body.checks.collection?.ok, false);
    assert.match(report.body.checks.collection?.detail ?? '', /some-other-model \(768-d\)/);
  });

  test('draining for shutdown turns readiness off while liveness stays up', async () => {
    const lifecycle = createLifecycle({ logger: silent, timeoutMs: 1_000, exit: () => {} });
    const s = await readySubject();
    const server = await serveOperations({ ...s, config: { ...s.config, healthPort: 0 } }, lifecycle);
    servers.push(server);
    assert.equal((await get(`${server.url}/readyz`)).status, 200);

    let release!: () => void;
    lifecycle.track(new Promise<void>((resolve) => (release = resolve)));
    const shutdown = lifecycle.shutdown('test');
    const draining = await get(`${server.url}/readyz`);
    assert.equal(draining.status, 503);
    assert.equal(draining.body.status, 'draining');
    assert.equal((await get(`${server.url}/healthz`)).status, 200);

    release();
    assert.equal(await shutdown, 0);
    // serveOperations registered the server's close on the lifecycle.
    await assert.rejects(fetch(`${server.url}/healthz`));
  });

  test("a front end's own check (e.g. the chat connection) joins the runtime's", async () => {
    const s = await readySubject();
    let connected = false;
    const server = await serveOperations({ ...s, config: { ...s.config, healthPort: 0 } }, undefined, [
      { name: 'discord', run: () => ({ ok: connected, detail: connected ? 'connected' : 'gateway not connected' }) },
    ]);
    servers.push(server);
    const down = await get(`${server.url}/readyz`);
    assert.equal(down.status, 503);
    assert.deepEqual(down.body.checks.discord, { ok: false, detail: 'gateway not connected' });
    assert.equal(down.body.checks.milvus?.ok, true);
    connected = true;
    assert.equal((await get(`${server.url}/readyz`)).status, 200);
  });

  test('a hung check fails readiness within its time limit instead of hanging the probe', async () => {
    const server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      registry: new Registry(),
      checkTimeoutMs: 200,
      checks: [
        { name: 'fine', run: () => ({ ok: true }) },
        { name: 'stuck', run: () => new Promise(() => {}) },
        {
          name: 'throws',
          run: () => {
            throw new Error('boom with xoxb-1234567890-secret inside');
          },
        },
      ],
    });
    servers.push(server);
    const report = await get(`${server.url}/readyz`);
    assert.equal(report.status, 503);
    assert.deepEqual(report.body.checks.fine, { ok: true });
    assert.match(report.body.checks.stuck?.detail ?? '', /no answer within 200 ms/);
    // Internal error text stays in the logs: /readyz is often reachable from outside.
    assert.deepEqual(report.body.checks.throws, { ok: false, detail: 'check failed (details in the logs)' });
    assert.doesNotMatch(JSON.stringify(report.body), /boom|xoxb-/);

    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
    assert.equal((await fetch(`${server.url}/healthz`, { method: 'POST' })).status, 405);
    const head = await fetch(`${server.url}/readyz`, { method: 'HEAD' });
    assert.equal(head.status, 503);
  });

  test('a busy HEALTH_PORT fails with a message that names the setting', async () => {
    const first = await startHealthServer({ port: 0, host: '127.0.0.1', checks: [], registry: new Registry() });
    servers.push(first);
    await assert.rejects(
      startHealthServer({ port: first.port, host: '127.0.0.1', checks: [], registry: new Registry() }),
      (error: unknown) => error instanceof AskdocsError && /HEALTH_PORT/.test(error.userMessage),
    );
  });

  test('HTTP-mode Slack serves the same endpoints through Bolt customRoutes', async () => {
    // Imported here so the other tests still run if Bolt cannot load.
    const { App, LogLevel } = await import('@slack/bolt');
    const s = await readySubject();
    const app = new App({
      token: 'xoxb-ops-test-token',
      signingSecret: 'ops-test-signing-secret',
      customRoutes: healthRoutes(operationsEndpoints(s)),
      tokenVerificationEnabled: false,
      logLevel: LogLevel.ERROR,
    });
    const server = (await app.start(0)) as import('node:http').Server;
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      assert.equal((await get(`${base}${HEALTH_PATHS.liveness}`)).status, 200);
      const ready = await get(`${base}${HEALTH_PATHS.readiness}`);
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      assert.equal(ready.body.status, 'ready');
      const scraped = await fetch(`${base}${HEALTH_PATHS.metrics}`);
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /# TYPE askdocs_questions_total counter/);
    } finally {
      await app.stop();
    }
  });

  test('Milvus going away makes the bot not ready while liveness stays up', async () => {
    const s = await readySubject();
    const server = await serve(s);
    assert.equal((await get(`${server.url}/readyz`)).status, 200);
    await milvus.stop();
    const down = await get(`${server.url}/readyz`);
    assert.equal(down.status, 503);
    assert.equal(down.body.checks.milvus?.ok, false);
    assert.match(down.body.checks.milvus?.detail ?? '', /unreachable|no answer within/i);
    assert.doesNotMatch(JSON.stringify(down.body), /ECONNREFUSED|UNAVAILABLE|127\.0\.0\.1|:\d{4,5}\b/, 'no internal error text');
    assert.equal((await get(`${server.url}/healthz`)).status, 200);
  });
});
