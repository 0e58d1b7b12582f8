/**
 * Preloaded into each `askdocs slack` replica by the replicas bench
 * (`NODE_OPTIONS=--import <this file>`), so the real bot process reports how long its
 * Redis round trips take. It listens on ioredis' own diagnostics channel
 * (`ioredis:command`: `start` right after a command is written, `asyncEnd` once the
 * awaiting code sees the reply), so each time is what the bot really waits, event-loop
 * delay included. Nothing here changes what the bot does.
 *
 * Each command is filed under what it is for, from its key (the bot's prefix is
 * "askdocs:"): a won, lost or failed event claim (and the read-back after a failed one), a
 * concurrency slot, the per-minute rate, thread participation, the feedback save, or the
 * slot release (one MULTI…EXEC, timed by its EXEC). On SIGUSR2 and at exit the durations so far are written, as JSON, to
 * ASKDOCS_BENCH_REDIS_TIMINGS (bench/lib/redis-timings.ts reads them).
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';

const file = process.env.ASKDOCS_BENCH_REDIS_TIMINGS;
/** @type {Record<string, number[]>} purpose → durations in ms, in completion order */
const timings = {};
let snapshots = 0;

/** @param {{ command?: string; args?: string[]; result?: unknown; error?: unknown }} context */
function purposeOf(context) {
  const command = String(context.command ?? '').toLowerCase();
  const args = context.args ?? [];
  // EVAL/EVALSHA: script or sha, number of keys, then the keys.
  const key = String((command === 'eval' || command === 'evalsha' ? args[2] : args[0]) ?? '');
  // The slot release is one MULTI…EXEC round trip: timed by its EXEC, the queued parts are not counted.
  if (command === 'exec') return 'release';
  if (command === 'multi' || (command === 'zrem' && key.includes(':active:'))) return undefined;
  if (key.includes(':claim:')) {
    // A claim is a SET NX; after a failed one (a missed reply) the bot reads the key back.
    if (command === 'get') return 'claim-check';
    if ('error' in context) return 'claim-failed';
    return context.result === 'OK' ? 'claim-won' : 'claim-lost';
  }
  if (key.includes(':active:')) return 'slot';
  if (key.includes(':user-questions')) return 'rate';
  if (key.includes(':threads:')) return 'thread';
  if (key.includes(':feedback:')) return 'feedback';
  return 'other';
}

if (file) {
  const started = new WeakMap();
  tracingChannel('ioredis:command').subscribe({
    start(context) {
      started.set(context, performance.now());
    },
    end() {},
    asyncStart() {},
    asyncEnd(context) {
      const at = started.get(context);
      if (at === undefined) return;
      const purpose = purposeOf(context);
      if (!purpose) return;
      timings[purpose] ??= [];
      timings[purpose].push(performance.now() - at);
    },
    error() {},
  });
  const write = () => {
    snapshots += 1;
    writeFileSync(file, JSON.stringify({ snapshot: snapshots, pid: process.pid, timings }));
  };
  process.on('SIGUSR2', write);
  process.on('exit', write);
}
