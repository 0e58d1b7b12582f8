/**
 * Acknowledgements before answers. Slack and Discord drop a command that is not
 * acknowledged within 3 s, while answering (embedding the question, hybrid search,
 * streaming the LLM) keeps the event loop busy. In a burst of commands, answering
 * the first ones would delay the acknowledgements of the rest; so new answers wait
 * (briefly, bounded) while acknowledgements are in flight or have just been sent:
 * over HTTP (Slack) the next request of a burst is often still on the wire when
 * the previous ack is done, so "none in flight" alone would open the gate too early.
 *
 *   const done = acks.begin();  try { await interaction.deferReply(); } finally { done(); }
 *   await acks.around(() => ack());  // the same, in one call
 *   await acks.settled(maxWaitMs);   // before starting engine work
 */
export class AcknowledgementsFirst {
  #pending = 0;
  #waiters = new Set<() => void>();
  #quietTimer: NodeJS.Timeout | undefined;
  readonly #quietMs: number;

  /** @param quietMs how long after the last acknowledgement answers still wait (0: not at all). */
  constructor(options: { quietMs?: number } = {}) {
    this.#quietMs = options.quietMs ?? 0;
  }

  /** Marks one acknowledgement in flight; call the returned function when it is done. */
  begin(): () => void {
    this.#pending += 1;
    clearTimeout(this.#quietTimer);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#pending -= 1;
      if (this.#pending > 0) return;
      if (this.#quietMs === 0) this.#wakeAll();
      else this.#quietTimer = setTimeout(() => this.#pending === 0 && this.#wakeAll(), this.#quietMs);
    };
  }

  /** Runs one acknowledgement, counted as in flight while it runs. */
  async around<T>(ack: () => Promise<T>): Promise<T> {
    const done = this.begin();
    try {
      return await ack();
    } finally {
      done();
    }
  }

  #wakeAll(): void {
    this.#quietTimer = undefined;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  get pending(): number {
    return this.#pending;
  }

  /** Resolves when no acknowledgement is in flight, or after `maxWaitMs` at the latest. */
  settled(maxWaitMs: number): Promise<void> {
    if (this.#pending === 0 && this.#quietTimer === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, maxWaitMs);
      this.#waiters.add(wake);
    });
  }
}
