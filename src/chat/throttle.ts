/**
 * Pushes only the latest value to a slow sink (a message edit), at most once per
 * interval, never with two sink calls in flight. Used to stream answer text into a
 * chat message without exceeding the platform's edit rate limits.
 *
 * API:
 *   const updates = new LatestValueThrottle(async (text) => edit(text), { intervalMs: 1000 });
 *   updates.push(text);      // first push is sent at once; later ones coalesce
 *   await updates.drain();   // waits until the latest pushed value was sent (or failed)
 *   updates.stop();          // drops anything pending; later pushes are ignored
 *   await updates.close();   // stop(), then wait for a sink call already in flight
 *   updates.failure          // the first error the sink threw, if any (sending stops)
 *
 *   `pace` (optional) is asked before each send how long a shared rate budget says to wait
 *   (0: send now; the call is counted): values pushed meanwhile coalesce, so a burst of
 *   answers makes fewer, larger updates instead of rate-limit errors.
 */

export interface LatestValueThrottleOptions {
  intervalMs: number;
  pace?: () => number;
}

export class LatestValueThrottle<T> {
  private readonly sink: (value: T) => Promise<void>;
  private readonly intervalMs: number;
  private readonly pace: (() => number) | undefined;
  private pending: { value: T } | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;
  failure: unknown;

  constructor(sink: (value: T) => Promise<void>, options: LatestValueThrottleOptions) {
    this.sink = sink;
    this.intervalMs = options.intervalMs;
    this.pace = options.pace;
  }

  push(value: T): void {
    if (this.stopped || this.failure !== undefined) return;
    this.pending = { value };
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once everything pushed so far has been sent, skipping the interval wait. */
  async drain(): Promise<void> {
    while (this.running) {
      this.hurry();
      await this.running;
    }
  }

  stop(): void {
    this.stopped = true;
    this.pending = undefined;
    this.hurry();
  }

  async close(): Promise<void> {
    this.stop();
    await this.running;
  }

  private hurry(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    while (this.pending && !this.stopped) {
      const wait = this.lastSentAt + this.intervalMs - Date.now();
      if (wait > 0) await this.sleep(wait);
      // The shared budget may hold the send back longer; text pushed meanwhile goes with it.
      for (let held = this.held(); held > 0; held = this.held()) await this.sleep(held);
      const next = this.pending;
      if (!next || this.stopped) break;
      this.pending = undefined;
      this.lastSentAt = Date.now();
      try {
        await this.sink(next.value);
      } catch (error) {
        this.failure = error;
        this.pending = undefined;
        return;
      }
    }
  }

  private held(): number {
    return this.pace && !this.stopped ? this.pace() : 0;
  }

  /** Waits `ms`; `hurry()` ends the wait early. */
  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
    this.wake = undefined;
    this.timer = undefined;
  }
}
