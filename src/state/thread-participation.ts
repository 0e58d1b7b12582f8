/**
 * Which threads the bot takes part in, as far as it remembers without asking the
 * platform: joined (it answered there), recently found not joined, or unknown. Shared
 * through Redis when replicas run, so a follow-up to a thread replica B joined is
 * recognised on replica A too. The delivery layer's thread memory (src/chat/threads.ts)
 * is backed by it.
 *
 * API (a thread is the platform's thread key: Slack `channel:thread_ts`, Discord the
 * thread's channel id):
 *   const threads = new ThreadParticipation(store);   // a TtlStore (src/state/ttl-store.ts)
 *   await threads.markJoined(thread);
 *   await threads.markNotJoined(thread);              // never overrides "joined"
 *   await threads.status(thread);                     // true | false | undefined (unknown)
 */
import { localTtlStore, type TtlStore } from './ttl-store.ts';

const JOINED_TTL_MS = 7 * 24 * 3600_000;
// Short-lived: a thread the bot is not in can only change by a mention, which marks it joined.
const NOT_JOINED_TTL_MS = 10 * 60_000;

export class ThreadParticipation {
  constructor(private readonly store: TtlStore = localTtlStore()) {}

  async markJoined(thread: string): Promise<void> {
    await this.store.set(thread, 'joined', JOINED_TTL_MS);
  }

  async markNotJoined(thread: string): Promise<void> {
    // ifAbsent: another replica may have joined the thread since this one looked.
    await this.store.set(thread, 'not_joined', NOT_JOINED_TTL_MS, { ifAbsent: true });
  }

  async status(thread: string): Promise<boolean | undefined> {
    const value = await this.store.get(thread);
    return value === 'joined' ? true : value === 'not_joined' ? false : undefined;
  }
}
