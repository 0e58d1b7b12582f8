/**
 * The parent side of bench/lib/redis-timing-preload.mjs: starts a bot process with the
 * preload, asks it for its Redis round-trip times (SIGUSR2), and takes the difference
 * of two readings, so a burst's figures leave out connecting and the warm-up.
 *
 *   const env = redisTimingEnv(file);                 // add to the bot's environment
 *   const before = await readRedisTimings(pid, file); // after the warm-up
 *   const after = await readRedisTimings(pid, file);  // after the burst
 *   const burst = timingsSince(before, after);        // purpose → ms of each round trip
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** What a round trip was for, as the preload files it. */
export type RedisPurpose =
  | 'claim-won'
  | 'claim-lost'
  | 'claim-failed'
  | 'claim-check'
  | 'slot'
  | 'rate'
  | 'thread'
  | 'feedback'
  | 'release'
  | 'other';

export type RedisTimings = Partial<Record<RedisPurpose, number[]>>;

interface Snapshot {
  snapshot: number;
  pid: number;
  timings: RedisTimings;
}

const PRELOAD = fileURLToPath(new URL('./redis-timing-preload.mjs', import.meta.url));

/** Environment that makes a bot process time its Redis commands into `file`. */
export function redisTimingEnv(file: string): Record<string, string> {
  return { NODE_OPTIONS: `--import=${PRELOAD}`, ASKDOCS_BENCH_REDIS_TIMINGS: file };
}

/** Asks the bot for its timings so far and waits for the file to show them. */
export async function readRedisTimings(pid: number, file: string, timeoutMs = 10_000): Promise<RedisTimings> {
  const previous = (await readSnapshot(file))?.snapshot ?? 0;
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await readSnapshot(file);
    if (current && current.pid === pid && current.snapshot > previous) return current.timings;
    if (Date.now() > deadline) throw new Error(`bot ${pid} did not report its Redis timings within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function readSnapshot(file: string): Promise<Snapshot | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Snapshot;
  } catch {
    // Not written yet, or caught mid-write: read again.
    return undefined;
  }
}

/** The round trips made between two readings (each purpose's list only grows). */
export function timingsSince(before: RedisTimings, after: RedisTimings): RedisTimings {
  const out: RedisTimings = {};
  for (const [purpose, list] of Object.entries(after) as [RedisPurpose, number[]][]) {
    out[purpose] = list.slice(before[purpose]?.length ?? 0);
  }
  return out;
}

/** Several replicas' round trips, purpose by purpose. */
export function mergeTimings(all: RedisTimings[]): RedisTimings {
  const out: RedisTimings = {};
  for (const timings of all) {
    for (const [purpose, list] of Object.entries(timings) as [RedisPurpose, number[]][]) {
      out[purpose] = [...(out[purpose] ?? []), ...list];
    }
  }
  return out;
}
