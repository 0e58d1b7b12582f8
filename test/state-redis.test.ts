/**
 * The shared-state stores against a real redis-server: event claims, question limits and
 * feedback seen by two "replicas" (two connections), and what happens while Redis is
 * down and after it comes back.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ChatLimits } from '../src/chat/limits.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { AskdocsError } from '../src/errors.ts';
import { readFeedback } from '../src/feedback/reader.ts';
import { MAX_UNSAVED_ANSWERS, RedisFeedbackStore } from '../src/feedback/redis-store.ts';
import { UnknownAnswerError } from '../src/feedback/store.ts';
import { createLogger, type Logger } from '../src/logger.ts';
import { openChatState } from '../src/state/chat-state.ts';
import { redisClaims } from '../src/state/claims.ts';
import { connectSharedRedis, type SharedRedis } from '../src/state/redis.ts';
import { ThreadParticipation } from '../src/state/thread-participation.ts';
import { redisTtlStore } from '../src/state/ttl-store.ts';
import { NO_REDIS, startTestRedis, type TestRedis } from './support/redis.ts';
import { until } from './support/until.ts';

const LIMITS = { userMaxConcurrent: 1, userQuestionsPerMinute: 6, channelMaxConcurrent: 4 };

function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const logger = createLogger({ level: 'info', destination: stream });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Keeps this process busy, as a bot computing a burst of answers is: no timer or socket is served meanwhile. */
function blockEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

describe('shared state in Redis', { skip: NO_REDIS }, () => {
  let server: TestRedis;
  const connections: SharedRedis[] = [];
  const silent = createLogger({ level: 'silent' });

  async function replica(keyPrefix: string, logger: Logger = silent): Promise<SharedRedis> {
    const redis = connectSharedRedis({ url: server.url, logger, keyPrefix });
    connections.push(redis);
    assert.equal(await redis.whenReady(5_000), true);
    return redis;
  }

  before(async () => {
    server = await startTestRedis();
  });
  after(async () => {
    await Promise.all(connections.map((redis) => redis.close()));
    await server?.close();
  });

  it('lets exactly one of two replicas claim an event, however many copies arrive at once', async () => {
    const a = redisClaims(await replica('t1:'), { logger: silent });
    const b = redisClaims(await replica('t1:'), { logger: silent });
    const copies = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim('event:Ev1')));
    assert.equal(copies.filter(Boolean).length, 1);
    assert.equal(await a.claim('event:Ev2'), true);
    assert.equal(await b.claim('event:Ev2'), false, 'a retry on the other replica is not answered again');
  });

  it("tells its own claim from another replica's when a busy event loop misses the reply", async () => {
    // A 250 ms command timeout, and this process's event loop blocked for 600 ms right after
    // each claim is sent: Redis answers at once, but the timeout fires before the reply is read.
    const quick = async () => {
      const redis = connectSharedRedis({ url: server.url, logger: silent, keyPrefix: 't7:', commandTimeoutMs: 250 });
      connections.push(redis);
      assert.equal(await redis.whenReady(5_000), true);
      return redisClaims(redis, { logger: silent });
    };
    const a = await quick();
    const b = await quick();
    const first = a.claim('event:EvStalled');
    blockEventLoop(600);
    const second = b.claim('event:EvStalled');
    blockEventLoop(600);
    assert.deepEqual(await Promise.all([first, second]), [true, false], 'A holds it; B, whose reply was missed too, does not answer');
  });

  it('frees the slot a replica took when the reply was missed, since it counts that question locally', async () => {
    const slow = connectSharedRedis({ url: server.url, logger: silent, keyPrefix: 't9:', commandTimeoutMs: 250 });
    connections.push(slow);
    assert.equal(await slow.whenReady(5_000), true);
    const a = new ChatLimits(LIMITS, { redis: slow, logger: silent });
    const b = new ChatLimits(LIMITS, { redis: await replica('t9:'), logger: silent });
    const admitting = a.admit({ userId: 'U1', channelId: 'C1' });
    blockEventLoop(600);
    const first = await admitting;
    assert.equal(first.ok, true, 'admitted on this replica');
    if (first.ok) first.release();
    // The user's next question, on another replica (left alone, the slot would hold for 35 minutes).
    let next = await b.admit({ userId: 'U1', channelId: 'C1' });
    for (let i = 0; i < 160 && !next.ok; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      next = await b.admit({ userId: 'U1', channelId: 'C1' });
    }
    assert.equal(next.ok, true, `admitted on the other replica (${next.ok ? '' : next.reason})`);
  });

  it("refuses a user's 7th question in a minute whichever replica gets it, and shares the in-flight limit", async () => {
    const a = new ChatLimits(LIMITS, { redis: await replica('t2:'), logger: silent });
    const b = new ChatLimits(LIMITS, { redis: await replica('t2:'), logger: silent });
    for (let i = 0; i < 6; i++) {
      const admission = await (i % 2 ? a : b).admit({ userId: 'U1', channelId: 'C1' });
      assert.equal(admission.ok, true, `question ${i + 1}`);
      if (admission.ok) admission.release();
    }
    for (const limits of [a, b]) {
      const seventh = await limits.admit({ userId: 'U1', channelId: 'C1' });
      assert.equal(seventh.ok, false);
      if (!seventh.ok) {
        assert.equal(seventh.reason, 'user_rate');
        assert.match(seventh.message, /You've asked 6 questions in the last minute\. Please wait \d+ s/);
      }
    }

    const first = await a.admit({ userId: 'U2', channelId: 'C2' });
    assert.equal(first.ok, true);
    const second = await b.admit({ userId: 'U2', channelId: 'C2' });
    assert.equal(second.ok, false, 'one question in flight per user, across replicas');
    if (!second.ok) assert.equal(second.reason, 'user_busy');
    if (first.ok) first.release();
    let third = await b.admit({ userId: 'U2', channelId: 'C2' });
    for (let i = 0; i < 20 && !third.ok; i++) {
      // release() tells Redis without waiting; give it a moment.
      await new Promise((resolve) => setTimeout(resolve, 25));
      third = await b.admit({ userId: 'U2', channelId: 'C2' });
    }
    assert.equal(third.ok, true, 'released on A, free on B');
  });

  it('lets a slot held by a replica that died expire on its own', async () => {
    const redis = await replica('t3:');
    const { redisSlots } = await import('../src/state/concurrency.ts');
    const dying = redisSlots(redis, LIMITS, { logger: silent, slotTtlMs: 200 });
    assert.equal((await dying.acquire({ userId: 'U1', channelId: 'C1' })).ok, true);
    assert.equal((await dying.acquire({ userId: 'U1', channelId: 'C1' })).ok, false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await dying.acquire({ userId: 'U1', channelId: 'C1' })).ok, true);
  });

  it('shares which threads the bot takes part in; a stale "not joined" never hides a joined thread', async () => {
    const a = new ThreadParticipation(redisTtlStore(await replica('t6:'), { logger: silent, namespace: 'threads' }));
    const b = new ThreadParticipation(redisTtlStore(await replica('t6:'), { logger: silent, namespace: 'threads' }));
    assert.equal(await a.status('C1:1.1'), undefined);
    await b.markJoined('C1:1.1');
    assert.equal(await a.status('C1:1.1'), true, 'joined on B, known on A');
    await a.markNotJoined('C1:1.1');
    assert.equal(await b.status('C1:1.1'), true, 'A looked before B joined: its "not joined" is dropped');
    await a.markNotJoined('C1:2.2');
    assert.equal(await b.status('C1:2.2'), false);
    await b.markJoined('C1:2.2');
    assert.equal(await a.status('C1:2.2'), true, 'a mention makes it joined everywhere');
  });

  it('keeps feedback in one place: answer saved by A, vote on B, listed by the CLI reader', async () => {
    const a = new RedisFeedbackStore(await replica('t4:'));
    const b = new RedisFeedbackStore(await replica('t4:'));
    await a.saveAnswer({
      platform: 'slack',
      messageRef: 'C1:111.222',
      channelId: 'C1',
      userId: 'U1',
      question: 'How do I create a collection?',
      answer: 'Use create_collection [1].',
      sources: [{ n: 1, title: 'Manage collections', path: 'manage-collections.md' }],
      requestId: 'req1',
    });
    const first = await b.recordVote({
      platform: 'slack',
      messageRef: 'C1:111.222',
      userId: 'U9',
      vote: 'up',
      at: new Date('2026-01-01T00:00:00Z'),
    });
    assert.equal(first.question, 'How do I create a collection?');
    const changed = await b.recordVote({
      platform: 'slack',
      messageRef: 'C1:111.222',
      userId: 'U9',
      vote: 'down',
      at: new Date('2026-01-01T00:05:00Z'),
    });
    assert.equal(changed.vote, 'down');
    assert.equal(changed.createdAt, '2026-01-01T00:00:00.000Z', 'the first click time survives');
    await assert.rejects(
      b.recordVote({ platform: 'discord', messageRef: '999', userId: 'U8', vote: 'up', at: new Date('2026-01-01T00:10:00Z') }),
      UnknownAnswerError,
      'a vote on an answer never saved is refused',
    );

    const listed = await a.list();
    assert.deepEqual(
      listed.map((r) => [r.platform, r.userId, r.vote, r.requestId]),
      [['slack', 'U9', 'down', 'req1']],
    );
    assert.deepEqual(listed[0]?.sources, [{ n: 1, title: 'Manage collections', path: 'manage-collections.md' }]);
    assert.equal((await a.list({ limit: 1 })).length, 1);
  });

  it('is what `askdocs feedback` reads when REDIS_URL is set', async () => {
    const config = loadConfig({ REDIS_URL: server.url }, { envFile: false });
    assert.equal(config.feedbackStore, 'redis');
    const state = openChatState(config, silent);
    try {
      assert.equal(await state.redis?.whenReady(5_000), true);
      await state.feedback.saveAnswer({ platform: 'slack', messageRef: 'C5:1.2', question: 'q?', answer: 'a.', sources: [] });
      await state.feedback.recordVote({ platform: 'slack', messageRef: 'C5:1.2', userId: 'U5', vote: 'up' });
    } finally {
      await state.close();
    }
    const records = await readFeedback(config, { limit: 10 });
    assert.deepEqual(
      records.map((r) => [r.messageRef, r.userId, r.vote, r.question]),
      [['C5:1.2', 'U5', 'up', 'q?']],
    );
  });

  it('keeps answering while Redis is down, says so, and does not answer a claimed event again once it is back', async () => {
    const { logger, lines } = capturingLogger();
    const config = loadConfig({ REDIS_URL: server.url }, { envFile: false });
    const replicaA = openChatState(config, logger);
    const redisA = replicaA.redis as SharedRedis;
    connections.push(redisA);
    assert.equal(await redisA.whenReady(5_000), true);
    const redisB = await replica('askdocs:');
    const a = replicaA.claims;
    const b = redisClaims(redisB, { logger: silent });
    const limits = replicaA.limits;
    const readiness = async () => replicaA.readiness?.run();
    assert.deepEqual(await readiness(), {
      ok: true,
      detail: 'Redis connected: event claims, limits and feedback are shared by all replicas',
    });

    await server.stop();
    await until('both replicas to see Redis down', () => !redisA.available && !redisB.available, { intervalMs: 25 });
    assert.equal(await a.claim('event:during-outage'), true, 'decided locally: answered');
    assert.equal(await a.claim('event:during-outage'), false, 'a local retry is still a duplicate');
    const admission = await limits.admit({ userId: 'U7', channelId: 'C7' });
    assert.equal(admission.ok, true, 'limits fall back to this replica');
    if (admission.ok) admission.release();
    const degraded = await readiness();
    assert.equal(degraded?.ok, true, 'the replica stays in service');
    assert.equal(degraded?.degraded, true);
    assert.match(degraded?.detail ?? '', /Redis unreachable: still answering/);
    assert.ok(
      lines().some((line) => line.level === 'warn' && line.event === 'redis_unavailable'),
      'a structured warning names the outage',
    );

    await server.start();
    await until('both replicas to see Redis back', () => redisA.available && redisB.available, { intervalMs: 25 });
    await until(
      'the outage claims to be shared',
      () => lines().some((line) => typeof line.msg === 'string' && line.msg.includes('claims made while Redis was down are now shared')),
      { intervalMs: 25 },
    );
    assert.equal(await b.claim('event:during-outage'), false, 'the retry on the other replica finds it claimed');
    assert.equal(await b.claim('event:after-outage'), true);
    assert.ok(lines().some((line) => line.event === 'redis_recovered'));
  });

  it('keeps the answers it could not save while Redis was down (the newest, up to a bound) and saves them once it is back', async () => {
    const redisA = await replica('t10:');
    const redisB = await replica('t10:');
    const a = new RedisFeedbackStore(redisA);
    const b = new RedisFeedbackStore(redisB);
    const answer = (i: number) => ({
      platform: 'slack',
      messageRef: `C10:${i}`,
      question: `question ${i}`,
      answer: 'a.',
      sources: [],
      requestId: `r${i}`,
    });
    const vote = (i: number) => b.recordVote({ platform: 'slack', messageRef: `C10:${i}`, userId: 'U1', vote: 'down' });

    await server.stop();
    await until('replica A to see Redis down', () => !redisA.available, { intervalMs: 25 });
    // One more answer than are kept: the oldest is the one let go.
    for (let i = 0; i <= MAX_UNSAVED_ANSWERS; i++) await assert.rejects(a.saveAnswer(answer(i)), /kept in this process/);
    await server.start();
    await until('both replicas to see Redis back', () => redisA.available && redisB.available, { intervalMs: 25 });

    // Replica A writes them back as it reconnects; a vote on B finds the newest once that is done.
    const newest = await until('the kept answers saved', () => vote(MAX_UNSAVED_ANSWERS).catch(() => undefined), { intervalMs: 25 });
    assert.deepEqual([newest.question, newest.requestId], [`question ${MAX_UNSAVED_ANSWERS}`, `r${MAX_UNSAVED_ANSWERS}`]);
    assert.equal((await vote(1)).question, 'question 1', 'the oldest kept answer is saved too');
    await assert.rejects(vote(0), UnknownAnswerError, 'the one let go is unknown: its voter gets an apology');
  });
});

describe('shared state across a Redis restart that keeps its data (appendonly, as deployed)', { skip: NO_REDIS }, () => {
  let server: TestRedis;
  const connections: SharedRedis[] = [];
  const silent = createLogger({ level: 'silent' });

  before(async () => {
    server = await startTestRedis({ persistent: true });
  });
  after(async () => {
    await Promise.all(connections.map((redis) => redis.close()));
    await server?.close();
  });

  it('frees a slot whose answer finished while Redis was down, once Redis is back', async () => {
    const connect = async () => {
      const redis = connectSharedRedis({ url: server.url, logger: silent, keyPrefix: 'p1:' });
      connections.push(redis);
      assert.equal(await redis.whenReady(5_000), true);
      return redis;
    };
    const redisA = await connect();
    const redisB = await connect();
    const a = new ChatLimits(LIMITS, { redis: redisA, logger: silent });
    const b = new ChatLimits(LIMITS, { redis: redisB, logger: silent });
    const answering = await a.admit({ userId: 'U1', channelId: 'C1' });
    assert.equal(answering.ok, true);

    await server.stop();
    await until('replica A to see Redis down', () => !redisA.available, { intervalMs: 25 });
    // The answer finishes during the outage: its release cannot reach Redis.
    if (answering.ok) answering.release();
    await server.start();
    await until('both replicas to see Redis back', () => redisA.available && redisB.available, { intervalMs: 25 });

    // The same user's next question, on the other replica: the slot must be free again
    // (left alone, Redis would hold it for SLOT_TTL_MS, 35 minutes).
    let next = await b.admit({ userId: 'U1', channelId: 'C1' });
    for (let i = 0; i < 40 && !next.ok; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      next = await b.admit({ userId: 'U1', channelId: 'C1' });
    }
    assert.equal(next.ok, true, `admitted after the outage (${next.ok ? '' : next.reason})`);
  });
});

describe('a REDIS_URL that Redis refuses (a wrong password, no password, a database it does not have)', { skip: NO_REDIS }, () => {
  let server: TestRedis;
  let admin: Redis;
  const connections: SharedRedis[] = [];
  const url = (userinfo: string, db = '') => `redis://${userinfo}127.0.0.1:${server.port}${db}`;
  const connect = (redisUrl: string, logger: Logger = createLogger({ level: 'silent' })) => {
    const redis = connectSharedRedis({ url: redisUrl, logger });
    connections.push(redis);
    return redis;
  };

  before(async () => {
    server = await startTestRedis();
    admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', 'askdocs', 'on', '>rightPassw0rd11', '~*', '&*', '+@all');
  });
  after(async () => {
    await Promise.all(connections.map((redis) => redis.close()));
    admin?.disconnect();
    await server?.close();
  });

  it('a wrong password: whenReady fails at once with one line naming REDIS_URL, logged once as an error, not as an outage', async () => {
    const { logger, lines } = capturingLogger();
    const redis = connect(url('askdocs:wrongPassw0rd99@'), logger);
    const started = Date.now();
    await assert.rejects(redis.whenReady(5_000), (error: unknown) => {
      assert.ok(error instanceof AskdocsError);
      assert.equal(
        error.userMessage,
        'Redis refused the credentials in REDIS_URL (WRONGPASS: wrong password, or no such user): correct the user name or password in REDIS_URL.',
      );
      return true;
    });
    assert.ok(Date.now() - started < 2_000, 'not after the start-up wait');
    // ioredis keeps retrying (a running bot's Redis may be fixed); the log says it once.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const logged = lines();
    assert.deepEqual(
      logged.map((line) => [line.level, line.event]),
      [['error', 'redis_refused']],
    );
    assert.ok(!JSON.stringify(logged).includes('wrongPassw0rd99'));
    assert.match(redis.readinessDetail(), /^Redis refused the credentials in REDIS_URL/);
    await assert.rejects(redis.whenReady(5_000), /Redis refused the credentials in REDIS_URL/, 'asked again: the same answer');
  });

  it('no database 16 on a default Redis: refused, and never used as database 0', async () => {
    const redis = connect(url('askdocs:rightPassw0rd11@', '/16'));
    await assert.rejects(
      redis.whenReady(5_000),
      (error: unknown) =>
        error instanceof AskdocsError &&
        error.userMessage ===
          'Redis has no database 16 (the number at the end of REDIS_URL): use one from 0 to its number of databases minus 1 (0 to 15 on a default Redis, set by `databases` in redis.conf).',
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(redis.available, false);
    await assert.rejects(redis.client.set('askdocs:probe', '1'));
    assert.equal(await admin.exists('askdocs:probe'), 0);
  });

  it('a running replica whose password stops working: says so (once) and in /readyz, and reconnects once it works again', async () => {
    const { logger, lines } = capturingLogger();
    const redis = connect(url('askdocs:rightPassw0rd11@'), logger);
    assert.equal(await redis.whenReady(5_000), true);
    await admin.call('ACL', 'SETUSER', 'askdocs', 'resetpass', '>rotatedPassw0rd22');
    await admin.call('CLIENT', 'KILL', 'USER', 'askdocs');
    await until('the refusal', () => redis.refusal, { intervalMs: 25 });
    assert.match(redis.readinessDetail(), /^Redis refused the credentials in REDIS_URL .* Still answering, with per-replica state\.$/);
    await admin.call('ACL', 'SETUSER', 'askdocs', 'resetpass', '>rightPassw0rd11');
    await until('the reconnection', () => redis.available, { intervalMs: 25 });
    assert.equal(redis.refusal, undefined);
    assert.deepEqual(
      lines().map((line) => line.event),
      // Dropped (an outage, as far as it knows), then refused on reconnecting, then back.
      ['redis_connected', 'redis_unavailable', 'redis_refused', 'redis_recovered'],
    );
  });

  it('no password where Redis requires one: refused with one line that says where it goes', async () => {
    await admin.config('SET', 'requirepass', 'defaultPassw0rd33');
    const redis = connect(url(''));
    await assert.rejects(
      redis.whenReady(5_000),
      (error: unknown) =>
        error instanceof AskdocsError &&
        error.userMessage ===
          'Redis requires a password and REDIS_URL has none (NOAUTH): add it before the host, as ":PASSWORD@" (or "USER:PASSWORD@").',
    );
  });
});

describe('REDIS_URL and FEEDBACK_DB settings', () => {
  it('keeps everything in the process without REDIS_URL', () => {
    const config = loadConfig({}, { envFile: false });
    assert.equal(config.redis, undefined);
    assert.equal(config.feedbackStore, 'sqlite');
    assert.match(config.feedbackDb, /data\/feedback\.sqlite$/);
  });

  it('reports a bad REDIS_URL and FEEDBACK_DB=redis without REDIS_URL by name, never echoing a password', () => {
    assert.throws(
      () => loadConfig({ REDIS_URL: 'http://user:hunter2secret@redis:6379' }, { envFile: false }),
      (error: Error) =>
        /REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/.test(error.message) && !error.message.includes('hunter2secret'),
    );
    assert.throws(() => loadConfig({ FEEDBACK_DB: 'redis' }, { envFile: false }), /FEEDBACK_DB: "redis" needs REDIS_URL/);
  });

  it('refuses a REDIS_URL the Redis client would fail on later or read as database 0, saying how to write it', () => {
    const problems = (url: string) => {
      try {
        loadConfig({ REDIS_URL: url }, { envFile: false });
        return [];
      } catch (error) {
        return error instanceof ConfigError ? error.problems : [String(error)];
      }
    };
    // A raw % in the password: ioredis threw "URI malformed" only once it connected.
    const percent = problems('redis://:Secr3t%PassD@127.0.0.1:6379');
    assert.deepEqual(percent, [
      'REDIS_URL: has a "%" in its user name or password that starts no percent-escape: write it as %25 (and @ : / ? # as %40 %3A %2F %3F %23)',
    ]);
    assert.deepEqual(problems('redis://:pa#ss@127.0.0.1:6379'), ['REDIS_URL: has a "#", which ends a URL: in a password, write it as %23']);
    for (const [url, got] of [
      ['redis://127.0.0.1:6379/abc', '"/abc"'],
      ['redis://127.0.0.1:6379/1/2', '"/1/2"'],
      ['redis://127.0.0.1:6379/-1', '"/-1"'],
      ['redis://127.0.0.1:6379/99999999999', '"/99999999999"'],
      ['redis://127.0.0.1:6379?db=abc', '"db=abc"'],
    ]) {
      assert.deepEqual(
        problems(url as string),
        [
          `REDIS_URL: must end in a database number after the host, such as redis://redis:6379/0 (0 to 15 on a default Redis), or in none (database 0); got ${got}`,
        ],
        url,
      );
    }
    // Encoded, and databases the server may have (it says at connect whether it does).
    for (const url of ['redis://:Secr3t%25PassD@127.0.0.1:6379', 'redis://127.0.0.1:6379/', 'rediss://redis:6380/15', 'redis://redis/16']) {
      assert.deepEqual(problems(url), [], url);
    }
  });

  it('refuses a URL in FEEDBACK_DB (it would become a file named after it, password and all), listed with the rest', () => {
    assert.throws(
      () => loadConfig({ FEEDBACK_DB: 'redis://:hunter2secret@127.0.0.1:6379', PORT: 'abc' }, { envFile: false }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.length === 2 &&
        error.problems.includes('FEEDBACK_DB: set it to redis (with REDIS_URL) or to a file path, not a URL') &&
        !error.message.includes('hunter2secret'),
    );
    assert.throws(() => loadConfig({ FEEDBACK_DB: 'file:///tmp/f.sqlite' }, { envFile: false }), /FEEDBACK_DB: set it to redis/);
  });

  it('sends feedback to Redis by default when REDIS_URL is set, unless FEEDBACK_DB names a file', () => {
    assert.equal(loadConfig({ REDIS_URL: 'rediss://:pw@redis:6380/1' }, { envFile: false }).feedbackStore, 'redis');
    const file = loadConfig({ REDIS_URL: 'redis://redis:6379', FEEDBACK_DB: '/tmp/f.sqlite' }, { envFile: false });
    assert.equal(file.feedbackStore, 'sqlite');
    assert.equal(file.feedbackDb, '/tmp/f.sqlite');
  });
});
