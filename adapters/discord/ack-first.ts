/**
 * Acknowledgements before answers. Discord drops a slash command that is not
 * acknowledged within 3 s, while answering (embedding the question, hybrid search,
 * streaming the LLM) keeps the event loop busy. In a burst of commands, answering
 * the first ones would delay the acknowledgements of the rest; so new answers wait
 * (briefly, bounded) while acknowledgements are still in flight.
 *
 *   const done = acks.begin();  try { await interaction.deferReply(); } finally { done(); }
 *   await acks.settled(maxWaitMs);   // before starting engine work
 */
export class AcknowledgementsFirst {
  #pending = 0;
  #waiters = new Set<() => void>();

  /** Marks one acknowledgement in flight; call the returned function when it is done. */
  begin(): () => void {
    this.#pending += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#pending -= 1;
      if (this.#pending === 0) {
        for (const wake of this.#waiters) wake();
        this.#waiters.clear();
      }
    };
  }

  get pending(): number {
    return this.#pending;
  }

  /** Resolves when no acknowledgement is in flight, or after `maxWaitMs` at the latest. */
  settled(maxWaitMs: number): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
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
