/**
 * Where an answer's messages go on Discord, for the delivery layer (src/chat/): a
 * channel, thread or DM with the bot token. Slash-command answers use the interaction's
 * webhook instead (interaction-transport.ts).
 */
import type { MessageTransport } from '../../src/chat/series.ts';
import type { DiscordApi, OutgoingMessage } from './api.ts';

export interface DiscordTransport extends MessageTransport<OutgoingMessage> {
  /** The channel the messages are in (a thread id, a DM id, ...). */
  readonly channelId: string;
}

/** Messages posted with the bot token in a channel, thread or DM; the first may reply to the question. */
export function channelTransport(api: DiscordApi, channelId: string, options: { replyTo?: string } = {}): DiscordTransport {
  return {
    channelId,
    post: async (message, index) =>
      (await api.postMessage(channelId, index === 0 && options.replyTo ? { ...message, replyTo: options.replyTo } : message)).id,
    edit: async (messageId, message) => {
      await api.editMessage(channelId, messageId, message);
    },
    delete: (messageId) => api.deleteMessage(channelId, messageId),
  };
}
