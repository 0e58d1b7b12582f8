/**
 * Tracks the answers a chat adapter is working on, so shutdown can wait for them
 * (bounded) instead of cutting users off mid-answer.
 *
 * API:
 *   const tasks = new InFlightTasks();
 *   tasks.run((signal) => answer(signal));   // starts on the next loop turn; errors are the task's own business
 *   tasks.size;                              // answers in progress
 *   tasks.accepting;                         // false once drain() began
 *   await tasks.drain(timeoutMs);            // stop accepting, wait; then abort the rest
 *     → { finished: number, aborted: number }
 */
import { setMaxListeners } from 'node:events';

export class InFlightTasks {
  private readonly running = new Set<Promise<void>>();
  private readonly controller = new AbortController();
  private draining = false;

  constructor() {
    // One signal is shared by every answer in flight: many listeners are expected.
    setMaxListeners(0, this.controller.signal);
  }

  get size(): number {
    return this.running.size;
  }

  get accepting(): boolean {
    return !this.draining;
  }

  /** The signal aborted when shutdown gives up waiting. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Starts `task` on a later turn of the event loop (setImmediate), not right away: a
   * platform ack written just before must not wait behind answer work, and requests
   * already waiting to be read get their acks first under a burst.
   */
  run(task: (signal: AbortSignal) => Promise<void>): void {
    const promise = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => task(this.controller.signal))
      .catch(() => undefined)
      .finally(() => this.running.delete(promise));
    this.running.add(promise);
  }

  async drain(timeoutMs: number): Promise<{ finished: number; aborted: number }> {
    this.draining = true;
    const started = this.running.size;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([Promise.allSettled([...this.running]).then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'done') return { finished: started, aborted: 0 };
    const aborted = this.running.size;
    this.controller.abort(new Error('shutting down'));
    // Aborted answers post their "try again" message; give them a moment to do so.
    await Promise.race([Promise.allSettled([...this.running]), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    return { finished: started - aborted, aborted };
  }
}
