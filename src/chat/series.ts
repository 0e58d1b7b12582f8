/**
 * One answer shown as a series of messages that grows while the answer streams:
 * `show(parts)` makes message i show part i, posting messages for new parts, editing
 * those whose text changed and deleting extras, so a long answer spills into the next
 * message at a paragraph or code-block boundary instead of being cut at the platform's
 * limit. Where the messages live is the platform's `MessageTransport`; what a message
 * looks like is its renderer's (`render(text, index)`).
 */

/** Where one answer's messages live: a channel, a thread, an interaction's webhook. */
export interface MessageTransport<M> {
  /** Posts message number `index` of the series (0 = the first); resolves with its id. */
  post(message: M, index: number): Promise<string>;
  edit(id: string, message: M, index: number): Promise<void>;
  delete(id: string): Promise<void>;
  /** The platform's shared budget for live edits (pace.ts): 0 to edit now, else ms to wait. */
  pace?(): number;
  /** For a call the platform rate-limited: the Retry-After in ms (rate-limit.ts); undefined for other failures. */
  retryAfterMs?(error: unknown): number | undefined;
}

export class MessageSeries<M> {
  readonly #transport: MessageTransport<M>;
  readonly #render: (text: string, index: number) => M;
  readonly #shown: { id: string; text: string }[] = [];

  constructor(transport: MessageTransport<M>, render: (text: string, index: number) => M) {
    this.#transport = transport;
    this.#render = render;
  }

  /** Ids of the messages shown, in order (the first is the one threads and votes refer to). */
  get ids(): string[] {
    return this.#shown.map((message) => message.id);
  }

  /** Makes the series show exactly `parts`, one per message, in order (at least one message stays). */
  async show(parts: string[]): Promise<void> {
    for (const [index, text] of parts.entries()) {
      const shown = this.#shown[index];
      if (!shown) {
        this.#shown.push({ id: await this.#transport.post(this.#render(text, index), index), text });
      } else if (shown.text !== text) {
        await this.#transport.edit(shown.id, this.#render(text, index), index);
        shown.text = text;
      }
    }
    // A re-split can (rarely) need fewer messages than were streamed: remove the extra ones.
    while (this.#shown.length > Math.max(1, parts.length)) {
      await this.#transport.delete((this.#shown.pop() as { id: string }).id);
    }
  }

  /** Adds a message after the ones shown (a failure note, for instance). */
  append(text: string): Promise<void> {
    return this.show([...this.#shown.map((message) => message.text), text]);
  }

  /** Shows `text` in the first message instead of what it showed. */
  replaceFirst(text: string): Promise<void> {
    return this.show([text, ...this.#shown.slice(1).map((message) => message.text)]);
  }
}

/** A transport whose destination is known only once `ready` resolves (a thread being opened): messages wait for it. */
export function deferredTransport<M>(ready: Promise<MessageTransport<M>>): MessageTransport<M> {
  return {
    post: async (message, index) => (await ready).post(message, index),
    edit: async (id, message, index) => (await ready).edit(id, message, index),
    delete: async (id) => (await ready).delete(id),
  };
}
