/**
 * A platform feature that some apps, workspaces or channels lack (Slack's chat streaming,
 * its assistant status line). Once the platform says "not here" (the platform's own
 * `unsupported` test), the feature is left alone for `retryMs`, then tried again; other
 * failures leave it on.
 *
 *   const streaming = new OptionalFeature({ retryMs: 600_000, unsupported: isNotAllowed });
 *   if (streaming.available()) try { … } catch (error) { streaming.failed(error); }
 *   await feedback.attempt(() => withButtons(), () => plain());   // the same, falling back
 */
export class OptionalFeature {
  readonly #retryMs: number;
  readonly #unsupported: (error: unknown) => boolean;
  #offUntil: number;

  constructor(options: { enabled?: boolean; retryMs: number; unsupported: (error: unknown) => boolean }) {
    this.#retryMs = options.retryMs;
    this.#unsupported = options.unsupported;
    this.#offUntil = options.enabled === false ? Number.POSITIVE_INFINITY : 0;
  }

  available(): boolean {
    return Date.now() >= this.#offUntil;
  }

  /** `use` while available; `without` when it is off, or when `use` finds it unsupported (other failures are thrown). */
  async attempt<T>(use: () => Promise<T>, without: () => Promise<T>): Promise<T> {
    if (this.available()) {
      try {
        return await use();
      } catch (error) {
        if (!this.failed(error)) throw error;
      }
    }
    return without();
  }

  /** Notes a failure; true when it meant "unsupported" (the feature is then off for a while). */
  failed(error: unknown): boolean {
    if (!this.#unsupported(error)) return false;
    this.#offUntil = Math.max(this.#offUntil, Date.now() + this.#retryMs);
    return true;
  }
}
