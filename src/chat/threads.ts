/**
 * What a bot remembers about its threads without asking the platform: which threads it
 * takes part in (so most follow-ups need no lookup), which it recently found it is not
 * part of, and the question and answer each of its answer threads started from.
 * Keys are the platform's thread ids (Slack: `channel:thread_ts`, Discord: the thread's
 * channel id).
 *
 * Joined / not joined lives in a ThreadParticipation (src/state/thread-participation.ts):
 * in this process by default, shared by every replica through Redis when injected so.
 * The platform (thread owner, members, history) stays the durable record; this only
 * saves requests. Bounded: starters and the in-process "joined here" copy drop their
 * oldest entries first.
 */
import { ThreadParticipation } from '../state/thread-participation.ts';
import { SeenKeys } from './dedupe.ts';

export interface ThreadStarter {
  question: string;
  answer: string;
}

const MAX_THREADS = 50_000;
const JOINED_TTL_MS = 7 * 24 * 3600_000;

export class ThreadMemory {
  readonly #participation: ThreadParticipation;
  /** Threads this process joined: answers `isJoined` without a round trip. */
  readonly #joinedHere = new SeenKeys({ ttlMs: JOINED_TTL_MS, maxKeys: MAX_THREADS });
  readonly #starters = new Map<string, ThreadStarter>();

  constructor(participation: ThreadParticipation = new ThreadParticipation()) {
    this.#participation = participation;
  }

  async markJoined(thread: string): Promise<void> {
    this.#joinedHere.add(thread);
    await this.#participation.markJoined(thread);
  }

  /** Never overrides "joined" (another replica may have joined meanwhile). */
  async markNotJoined(thread: string): Promise<void> {
    await this.#participation.markNotJoined(thread);
  }

  /** true: joined; false: recently found not joined; undefined: unknown (across replicas when shared). */
  async status(thread: string): Promise<boolean | undefined> {
    if (this.#joinedHere.has(thread)) return true;
    return this.#participation.status(thread);
  }

  /** Joined as far as this process knows, synchronously (e.g. while a gateway packet is handled). */
  isJoined(thread: string): boolean {
    return this.#joinedHere.has(thread);
  }

  /** Remembers the question and answer a thread was opened on (and that the bot is in it). */
  async rememberStarter(thread: string, starter: ThreadStarter): Promise<void> {
    this.#starters.delete(thread);
    this.#starters.set(thread, starter);
    if (this.#starters.size > MAX_THREADS) this.#starters.delete(this.#starters.keys().next().value as string);
    await this.markJoined(thread);
  }

  starter(thread: string): ThreadStarter | undefined {
    return this.#starters.get(thread);
  }
}
