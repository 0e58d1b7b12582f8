/**
 * One answer shown as a series of Discord messages that grows while the answer streams:
 * `show(parts)` makes message i show part i, editing messages whose text changed and
 * posting new ones for new parts, so a long answer spills into the next message at a
 * paragraph or code-block boundary instead of being cut at 2000 characters.
 *
 * Where the messages live (a channel, a thread, an interaction's webhook) is a
 * `MessageTransport`, so the same series drives every kind of reply.
 */
import type { APIMessage } from 'discord.js';
import type { DiscordApi, OutgoingMessage } from './api.ts';

export interface MessageTransport {
  /** Posts message number `index` of the series (0 = the first). */
  create(message: OutgoingMessage, index: number): Promise<APIMessage>;
  edit(messageId: string, message: OutgoingMessage): Promise<APIMessage>;
  remove(messageId: string): Promise<void>;
  /** The channel the series' messages are in (a thread id, a DM id, ...). */
  readonly channelId: string;
}

interface Shown {
  id: string;
  content: string;
}

export class MessageSeries {
  readonly transport: MessageTransport;
  #shown: Shown[] = [];

  constructor(transport: MessageTransport) {
    this.transport = transport;
  }

  /** Id of the first message (the one threads start on and feedback refers to). */
  get firstId(): string | undefined {
    return this.#shown[0]?.id;
  }

  get messageIds(): string[] {
    return this.#shown.map((m) => m.id);
  }

  /** Makes the series show exactly `parts`, one per message, in order. */
  async show(parts: string[]): Promise<void> {
    for (const [index, content] of parts.entries()) {
      const shown = this.#shown[index];
      if (!shown) {
        const message = await this.transport.create({ content }, index);
        this.#shown.push({ id: message.id, content });
      } else if (shown.content !== content) {
        await this.transport.edit(shown.id, { content });
        shown.content = content;
      }
    }
    // A re-split can (rarely) need fewer messages than were streamed: remove the extra ones.
    while (this.#shown.length > Math.max(1, parts.length)) {
      const extra = this.#shown.pop() as Shown;
      await this.transport.remove(extra.id);
    }
  }

  /** Adds a message after the answer (an error note, for instance), or shows it as the first one. */
  async append(content: string): Promise<void> {
    await this.show([...this.#shown.map((m) => m.content), content]);
  }
}

/** Messages posted with the bot token in a channel, thread or DM; the first may reply to the question. */
export function channelTransport(api: DiscordApi, channelId: string, options: { replyTo?: string } = {}): MessageTransport {
  return {
    channelId,
    create: (message, index) =>
      api.postMessage(channelId, index === 0 && options.replyTo ? { ...message, replyTo: options.replyTo } : message),
    edit: (messageId, message) => api.editMessage(channelId, messageId, message),
    remove: (messageId) => api.deleteMessage(channelId, messageId),
  };
}
