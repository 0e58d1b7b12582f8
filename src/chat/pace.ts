/**
 * A platform's published rate limit for one method, per workspace, shared by every
 * answer this process updates there (Slack: `chat.appendStream` is Tier 4, 100+ calls a
 * minute; `chat.update` Tier 3, 50+). Live updates ask before each call (the throttle's
 * `pace`); when the budget is spent they wait, and the text written meanwhile goes out
 * in the next, larger call. Final messages do not ask: they are never held back.
 *
 *   const appends = new CallBudget(100);
 *   const wait = appends.take(teamId);   // 0: go (counted); else ms until a call is free
 *
 * Synchronous on purpose: a live update that may go at once starts in the same turn as
 * the text that triggered it (rate-limiter-flexible's limiters answer with a promise).
 */

/** Calls are counted over the last minute, as the platform counts them. */
const WINDOW_MS = 60_000;

export class CallBudget {
  readonly #calls = new Map<string, number[]>();

  constructor(private readonly perMinute: number) {}

  /** 0 when a call under `key` may go now (it is counted), else the milliseconds until one may. */
  take(key: string): number {
    const now = Date.now();
    const recent = (this.#calls.get(key) ?? []).filter((at) => now - at < WINDOW_MS);
    this.#calls.set(key, recent);
    if (recent.length >= this.perMinute) return Math.max(1, (recent[0] as number) + WINDOW_MS - now);
    recent.push(now);
    return 0;
  }
}
