/**
 * A Redis that stops answering while its connection stays up (SIGSTOP here; a hung server
 * or a black-holed port look the same to the bot): the replica must call it an outage, as
 * it does a killed Redis, instead of "connected" with every question waiting on timeouts,
 * and must notice when it answers again.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { freePort } from '../src/milvus/lite-server.ts';
import { type ChatState, openChatState } from '../src/state/chat-state.ts';
import { redisClaims } from '../src/state/claims.ts';
import { connectSharedRedis, NOT_ANSWERING_MESSAGE, type SharedRedis } from '../src/state/redis.ts';
import { capturedLogger } from './support/captured-logger.ts';
import { NO_REDIS, waitForPort } from './support/redis.ts';
import { until } from './support/until.ts';

const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((path) => existsSync(path));

/** Keeps this process busy, as a bot computing a burst of answers is: no timer or socket is served meanwhile. */
function blockEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

describe('a Redis that stops answering (SIGSTOP) while connected', { skip: NO_REDIS }, () => {
  let server: ChildProcess;
  let url: string;
  let dir: string;
  const opened: { close(): Promise<void> }[] = [];
  // Whatever happens in a test, never leave a stopped redis-server behind.
  const release = () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGCONT');
      server.kill('SIGKILL');
    }
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'askdocs-redis-hung-'));
    const port = await freePort();
    // Spawned here, not through startTestRedis: the test needs its pid to stop and continue it.
    server = spawn(
      REDIS_SERVER as string,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    process.once('exit', release);
    url = `redis://127.0.0.1:${port}`;
    // Listening before the replica connects: on a busy machine a connection made before that
    // is refused, logged as an outage of its own, and the test's count of outages is off by one.
    await waitForPort(port, 10_000);
  });
  after(async () => {
    server.kill('SIGCONT');
    await Promise.all(opened.map((state) => state.close()));
    const exited = new Promise((resolve) => server.once('exit', resolve));
    release();
    await exited;
    process.off('exit', release);
    await rm(dir, { recursive: true, force: true });
  });

  it('is reported as down (readiness degraded, redis_unavailable), skipped at once, and recovered (redis_recovered) when it answers', async () => {
    const { logger, lines } = capturedLogger();
    const state: ChatState = openChatState(loadConfig({ REDIS_URL: url }, { envFile: false }), logger);
    opened.push(state);
    const redis = state.redis as SharedRedis;
    assert.equal(await redis.whenReady(10_000), true);
    const other = connectSharedRedis({ url, logger: capturedLogger().logger });
    opened.push(other);
    assert.equal(await other.whenReady(5_000), true);
    assert.deepEqual(await state.readiness?.run(), {
      ok: true,
      detail: 'Redis connected: event claims, limits and feedback are shared by all replicas',
    });

    server.kill('SIGSTOP');
    try {
      // Questions keep coming: what each one asks Redis (claim, limits, thread memory) times out.
      let question = 0;
      await until(
        'the replica to call Redis down',
        async () => {
          question += 1;
          await state.claims.claim(`event:hung-${question}`);
          const admission = await state.limits.admit({ userId: `U${question}`, channelId: 'C1' });
          if (admission.ok) admission.release();
          await state.threads.markJoined(`C1:${question}`);
          return !redis.available;
        },
        { timeoutMs: 15_000, intervalMs: 10 },
      );
      const degraded = await state.readiness?.run();
      assert.equal(degraded?.ok, true, 'the replica stays in service');
      assert.equal(degraded?.degraded, true);
      assert.match(degraded?.detail ?? '', /^Redis unreachable: still answering, with per-replica state/);
      const outage = lines.filter((line) => line.event === 'redis_unavailable');
      assert.equal(outage.length, 1, JSON.stringify(outage));
      assert.equal(outage[0]?.level, 'warn');

      // While it is down, a question pays nothing for Redis: the offline fallbacks answer at once.
      const warningsBefore = lines.filter((line) => line.level === 'warn').length;
      assert.equal(await state.claims.claim('event:while-hung'), true, 'decided locally');
      assert.equal(await state.claims.claim('event:while-hung'), false, 'a local retry is a duplicate');
      const admission = await state.limits.admit({ userId: 'U-hung', channelId: 'C1' });
      assert.equal(admission.ok, true);
      if (admission.ok) admission.release();
      await state.threads.markJoined('C1:while-hung');
      assert.equal(await state.threads.status('C1:while-hung'), true);
      await assert.rejects(redis.client.get('askdocs:anything'), { message: NOT_ANSWERING_MESSAGE }, 'a command sent anyway fails at once');
      // Through the hung Redis each store would have waited out a command timeout and warned "Redis did not answer".
      assert.equal(lines.filter((line) => line.level === 'warn').length, warningsBefore, 'and no warning per question');
    } finally {
      // Also when an assertion fails: the next test needs a running Redis.
      server.kill('SIGCONT');
    }
    await until('the replica to see Redis answer again', () => redis.available, { timeoutMs: 15_000, intervalMs: 25 });
    assert.deepEqual(await state.readiness?.run(), {
      ok: true,
      detail: 'Redis connected: event claims, limits and feedback are shared by all replicas',
    });
    const recoveredLine = lines.find((line) => line.event === 'redis_recovered');
    assert.ok(recoveredLine, 'redis_recovered is logged');
    assert.equal(typeof recoveredLine.downForMs, 'number');
    // The same recovery path as after a reconnection: claims made meanwhile are shared.
    await until(
      'the outage claims to be shared',
      () => lines.some((line) => typeof line.msg === 'string' && line.msg.includes('claims made while Redis was down are now shared')),
      { timeoutMs: 5_000, intervalMs: 25 },
    );
    const otherReplica = redisClaims(other, { logger: capturedLogger().logger });
    assert.equal(await otherReplica.claim('event:while-hung'), false, 'a retry on another replica finds it claimed');
    assert.equal(await state.claims.claim('event:after-hung'), true);
  });

  it('does not call Redis down when a busy event loop here misses a few replies Redis did send', async () => {
    const { logger, lines } = capturedLogger();
    const redis = connectSharedRedis({ url, logger, keyPrefix: 'busy:', commandTimeoutMs: 250 });
    opened.push(redis);
    assert.equal(await redis.whenReady(5_000), true);
    const sent = Array.from({ length: 6 }, (_, i) => redis.client.get(`busy:key-${i}`).catch((error: Error) => error));
    blockEventLoop(600);
    const outcomes = await Promise.all(sent);
    assert.ok(
      outcomes.some((outcome) => outcome instanceof Error && outcome.message === 'Command timed out'),
      'the replies were missed',
    );
    // The PING that checks is answered: no outage.
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(redis.available, true);
    assert.equal(await redis.client.get('busy:key-0'), null);
    assert.ok(!lines.some((line) => line.event === 'redis_unavailable'), JSON.stringify(lines));
  });
});
