/**
 * A bounded set of recently seen keys with a time-to-live, used to make sure one
 * platform event produces at most one answer (event ids, channel+ts, interaction ids).
 *
 * API:
 *   const seen = new SeenKeys({ ttlMs: 10 * 60_000, maxKeys: 10_000 });
 *   if (!seen.firstSeen(key)) return;   // true only the first time a live key is offered
 *   seen.has(key); seen.add(key); seen.delete(key); seen.size;
 *
 *   - Keys expire `ttlMs` after they were added.
 *   - When more than `maxKeys` are live, the oldest are dropped first, so memory stays
 *     bounded under any event volume.
 *   - In memory, per process. Event dedupe goes through src/state/claims.ts, which uses
 *     this for one process and in front of Redis when replicas share state.
 */

export interface SeenKeysOptions {
  ttlMs: number;
  maxKeys: number;
  /** Injectable clock for tests. */
  now?: () => number;
}

export class SeenKeys {
  // Map keeps insertion order, which is also expiry order (fixed TTL from insertion).
  private readonly expiresAt = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: SeenKeysOptions) {
    this.ttlMs = options.ttlMs;
    this.maxKeys = options.maxKeys;
    this.now = options.now ?? Date.now;
  }

  /** Records `key`; returns true when it was not already seen (and not expired). */
  firstSeen(key: string): boolean {
    if (this.has(key)) return false;
    this.add(key);
    return true;
  }

  has(key: string): boolean {
    this.evictExpired();
    return this.expiresAt.has(key);
  }

  add(key: string): void {
    this.expiresAt.delete(key);
    this.expiresAt.set(key, this.now() + this.ttlMs);
    while (this.expiresAt.size > this.maxKeys) {
      const oldest = this.expiresAt.keys().next();
      if (oldest.done) break;
      this.expiresAt.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.expiresAt.delete(key);
  }

  get size(): number {
    this.evictExpired();
    return this.expiresAt.size;
  }

  private evictExpired(): void {
    const now = this.now();
    for (const [key, expiry] of this.expiresAt) {
      if (expiry > now) break;
      this.expiresAt.delete(key);
    }
  }
}
