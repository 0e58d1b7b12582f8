/**
 * What a bot remembers about its threads without asking the platform: which threads it
 * takes part in (so most follow-ups need no lookup), which it recently found it is not
 * part of, and the question and answer each of its answer threads started from.
 * Bounded and in memory: the platform (thread owner, members, history) is the durable
 * record; this only saves requests. Keys are the platform's thread ids
 * (Slack: `channel:thread_ts`, Discord: the thread's channel id).
 */
import { SeenKeys } from './dedupe.ts';

export interface ThreadStarter {
  question: string;
  answer: string;
}

const MAX_THREADS = 50_000;

export class ThreadMemory {
  readonly #joined = new SeenKeys({ ttlMs: 7 * 24 * 3600_000, maxKeys: MAX_THREADS });
  // Short-lived: a thread the bot is not in can only change by a mention, which marks it joined.
  readonly #notJoined = new SeenKeys({ ttlMs: 10 * 60_000, maxKeys: MAX_THREADS });
  readonly #starters = new Map<string, ThreadStarter>();

  markJoined(thread: string): void {
    this.#joined.add(thread);
    this.#notJoined.delete(thread);
  }

  markNotJoined(thread: string): void {
    this.#notJoined.add(thread);
  }

  /** true: joined; false: recently found not joined; undefined: unknown. */
  status(thread: string): boolean | undefined {
    if (this.#joined.has(thread)) return true;
    return this.#notJoined.has(thread) ? false : undefined;
  }

  isJoined(thread: string): boolean {
    return this.#joined.has(thread);
  }

  /** Remembers the question and answer a thread was opened on (and that the bot is in it). */
  rememberStarter(thread: string, starter: ThreadStarter): void {
    this.markJoined(thread);
    this.#starters.delete(thread);
    this.#starters.set(thread, starter);
    if (this.#starters.size > MAX_THREADS) this.#starters.delete(this.#starters.keys().next().value as string);
  }

  starter(thread: string): ThreadStarter | undefined {
    return this.#starters.get(thread);
  }
}
