/**
 * The gaps digest posted by several bot replicas that share one real redis-server: each
 * scheduled run is posted once, even when one replica's timer fires late (a GC pause,
 * CPU throttling, a container stopped across the scheduled time).
 *
 * The schedule runs on node:test's mocked clock (setTimeout and Date), so "5 s late" is
 * exact and the test does not wait for a wall-clock second; Redis is real.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { GapsDigestConfig } from '../src/config.ts';
import { type DigestJob, startDigestJob } from '../src/gaps/digest-schedule.ts';
import type { GapsReport } from '../src/gaps/report.ts';
import { createLogger, type Logger } from '../src/logger.ts';
import { redisClaims } from '../src/state/claims.ts';
import { connectSharedRedis, type SharedRedis } from '../src/state/redis.ts';
import { NO_REDIS, startTestRedis, type TestRedis } from './support/redis.ts';

/** Mondays 09:00 UTC; 2026-12-07 is a Monday. */
const DIGEST: GapsDigestConfig = { channel: 'C0DOCS', platform: 'slack', cron: '0 9 * * 1', timezone: 'UTC', windowDays: 7 };
const BEFORE_RUN = Date.parse('2026-12-07T08:59:59.000Z');

const EMPTY_REPORT: GapsReport = {
  generatedAt: '2026-12-07T09:00:00.000Z',
  since: '2026-11-30T09:00:00.000Z',
  minSize: 2,
  totals: { questions: 3, gaps: 0, clustered: 0, unclustered: 0 },
  volume: [],
  clusters: [],
};

/** A logger whose lines are kept, and a promise for the first line with a given message. */
function capture(): { logger: Logger; lines: Record<string, unknown>[]; line(msg: string): Promise<Record<string, unknown>> } {
  const lines: Record<string, unknown>[] = [];
  const waiting: { msg: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const text of String(chunk).split('\n')) {
        if (!text.trim()) continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const w of waiting) if (w.msg === line.msg) w.resolve(line);
      }
      done();
    },
  });
  return {
    logger: createLogger({ level: 'info', destination }),
    lines,
    line: (msg) => new Promise((resolve) => waiting.push({ msg, resolve })),
  };
}

describe('gaps digest with replicas sharing one Redis', { skip: NO_REDIS }, () => {
  let server: TestRedis;
  const connections: SharedRedis[] = [];
  const silent = createLogger({ level: 'silent' });

  before(async () => {
    server = await startTestRedis();
  });
  after(async () => {
    await Promise.all(connections.map((redis) => redis.close()));
    await server?.close();
  });

  it('a replica whose timer fires 5 s late does not post the run another replica posted on time', async (t) => {
    const posts: { replica: string; at: string }[] = [];
    let postedByA!: () => void;
    const aPosted = new Promise<void>((resolve) => {
      postedByA = resolve;
    });
    // Connected before the clock is mocked: connecting waits on real timers.
    const replica = async (name: string) => {
      const redis = connectSharedRedis({ url: server.url, logger: silent, keyPrefix: 'digest1:' });
      connections.push(redis);
      assert.equal(await redis.whenReady(5_000), true);
      const claims = redisClaims(redis, { logger: silent });
      return (logger: Logger): DigestJob =>
        startDigestJob({
          digest: DIGEST,
          channel: {
            platform: 'slack',
            post: async () => {
              posts.push({ replica: name, at: new Date().toISOString() });
              if (name === 'A') postedByA();
            },
          },
          logger,
          report: async () => EMPTY_REPORT,
          claim: (key) => claims.claim(key),
        });
    };
    const startA = await replica('A');
    const startB = await replica('B');
    const jobs: DigestJob[] = [];
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: BEFORE_RUN });
    try {
      // Replica A's timer fires on time, at 09:00:00, and posts the run.
      jobs.push(startA(silent));
      t.mock.timers.tick(1_000);
      await aPosted;

      // Replica B set its timer for the same 09:00:00 run, but was paused across it and is
      // served at 09:00:05. One mocked clock serves both replicas, so B's timer is set from
      // before the run (the clock put back to 08:59:59), then the clock runs 6 s at once.
      const b = capture();
      const bDecided = Promise.race([b.line('gaps digest: another replica posts this run'), b.line('gaps digest posted')]);
      t.mock.timers.setTime(BEFORE_RUN);
      jobs.push(startB(b.logger));
      t.mock.timers.tick(6_000);
      const decided = await bDecided;

      assert.deepEqual(posts, [{ replica: 'A', at: '2026-12-07T09:00:00.000Z' }], 'the run is posted once, by A');
      assert.equal(decided.msg, 'gaps digest: another replica posts this run');
      assert.equal(decided.run, '2026-12-07T09:00:00.000Z', 'B names the run by its scheduled time, not the time it woke');
      assert.equal(jobs[1]?.nextRun()?.toISOString(), '2026-12-14T09:00:00.000Z', "and waits for next week's run");
    } finally {
      for (const job of jobs) job.stop();
    }
  });
});
