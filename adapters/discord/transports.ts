/**
 * Where an answer's messages go on Discord, for the delivery layer (src/chat/): a
 * channel, thread or DM, with the bot token; or a command's reply and follow-ups,
 * through the interaction's webhook.
 */
import { type APIMessage, type CommandInteraction, DiscordAPIError, RESTJSONErrorCodes } from 'discord.js';
import type { MessageTransport } from '../../src/chat/series.ts';
import type { Logger } from '../../src/logger.ts';
import type { DiscordApi, OutgoingMessage } from './api.ts';
import type { BotContext } from './context.ts';

export const INTERACTION_TOKEN_TTL_MS = 15 * 60_000;
/** Switch to the bot token this long before the interaction token expires. */
export const TOKEN_SAFETY_MARGIN_MS = 90_000;

export interface DiscordTransport extends MessageTransport<OutgoingMessage> {
  /** The channel the messages are in (a thread id, a DM id, ...). */
  readonly channelId: string;
}

/** Messages posted with the bot token in a channel, thread or DM; the first may reply to the question. */
export function channelTransport(api: DiscordApi, channelId: string, replyTo?: string): DiscordTransport {
  const reference = replyTo ? { message_id: replyTo, fail_if_not_exists: false } : undefined;
  return {
    channelId,
    post: async (message, index) =>
      (await api.postMessage(channelId, index === 0 && reference ? { ...message, message_reference: reference } : message)).id,
    edit: async (messageId, message) => void (await api.editMessage(channelId, messageId, message)),
    delete: (messageId) => api.deleteMessage(channelId, messageId),
  };
}

/**
 * A command's answer: message 0 is the deferred reply (@original), later ones follow-ups
 * (with `flags`: a private answer's follow-ups must say so too), through the interaction's
 * webhook while its token (15 minutes) is valid. Shortly before it expires, or at once if
 * Discord rejects it, the bot token takes over: the same messages are edited by id (the
 * deferral gave the reply's) and continuations posted in the channel.
 */
export function interactionTransport(
  ctx: BotContext,
  interaction: CommandInteraction,
  options: { originalId: string | null; flags?: number; logger: Logger },
): DiscordTransport {
  const { api } = ctx;
  const { channelId } = interaction;
  const hook = { applicationId: interaction.applicationId, token: interaction.token };
  const { interactionTokenTtlMs: ttl, tokenSafetyMarginMs: margin } = ctx.options;
  const switchAt = interaction.createdTimestamp + ttl - Math.min(margin, ttl / 2);
  let { originalId } = options;
  let tokenRejected = false;
  const viaTokenOr = async (withToken: () => Promise<APIMessage>, withBot: () => Promise<APIMessage>) => {
    if (!tokenRejected && Date.now() < switchAt) {
      try {
        return await withToken();
      } catch (error) {
        if (!isTokenRejection(error)) throw error;
        tokenRejected = true;
        options.logger.warn({ code: (error as DiscordAPIError).code }, 'interaction token rejected; continuing with the bot token');
      }
    }
    return withBot();
  };
  return {
    channelId,
    async post(message, index) {
      if (index > 0) {
        return (
          await viaTokenOr(
            () => api.postFollowUp(hook, { ...message, flags: options.flags }),
            () => api.postMessage(channelId, message),
          )
        ).id;
      }
      const sent = await viaTokenOr(
        () => api.editInteractionMessage(hook, '@original', message),
        // Should the deferred reply's id be unknown, the answer is posted instead.
        () => (originalId ? api.editMessage(channelId, originalId, message) : api.postMessage(channelId, message)),
      );
      originalId ??= sent.id;
      return sent.id;
    },
    edit: async (messageId, message) =>
      void (await viaTokenOr(
        () => api.editInteractionMessage(hook, messageId, message),
        () => api.editMessage(channelId, messageId, message),
      )),
    delete: (messageId) => api.deleteMessage(channelId, messageId),
  };
}

function isTokenRejection(error: unknown): boolean {
  if (!(error instanceof DiscordAPIError)) return false;
  const codes: unknown[] = [
    RESTJSONErrorCodes.InvalidWebhookToken,
    RESTJSONErrorCodes.UnknownWebhook,
    RESTJSONErrorCodes.UnknownInteraction,
  ];
  return codes.includes(error.code) || error.status === 401;
}
