/**
 * Where an answer's messages go on Discord, for the delivery layer (src/chat/): a
 * channel, thread or DM, with the bot token; or a command's reply and follow-ups,
 * through the interaction's webhook. A call Discord rate-limits for long is refused at once
 * (rate-limits.ts): the transport says how long it asked to wait, and its `reach` whether
 * the asker has seen anything yet.
 */
import { type APIMessage, type CommandInteraction, DiscordAPIError, RESTJSONErrorCodes } from 'discord.js';
import type { MessageTransport } from '../../src/chat/series.ts';
import type { Logger } from '../../src/logger.ts';
import type { DiscordApi, OutgoingMessage } from './api.ts';
import type { BotContext } from './context.ts';
import { type AnswerReach, discordRetryAfterMs } from './rate-limits.ts';

export const INTERACTION_TOKEN_TTL_MS = 15 * 60_000;
/** Switch to the bot token this long before the interaction token expires. */
export const TOKEN_SAFETY_MARGIN_MS = 90_000;

export interface DiscordTransport extends MessageTransport<OutgoingMessage> {
  /** The channel the messages are in (a thread id, a DM id, ...). */
  readonly channelId: string;
  /** What the answer's calls met: whether the asker saw anything, and for how long Discord refused calls. */
  readonly reach: AnswerReach;
  retryAfterMs(error: unknown): number | undefined;
}

/** Messages posted with the bot token in a channel, thread or DM; the first may reply to the question. */
export function channelTransport(api: DiscordApi, channelId: string, reach: AnswerReach, replyTo?: string): DiscordTransport {
  const reference = replyTo ? { message_id: replyTo, fail_if_not_exists: false } : undefined;
  const withReference = (message: OutgoingMessage, index: number) =>
    index === 0 && reference ? { ...message, message_reference: reference } : message;
  return {
    channelId,
    reach,
    retryAfterMs: discordRetryAfterMs,
    post: async (message, index) => (await reach.track(() => api.postMessage(channelId, withReference(message, index)), true)).id,
    // An edit changes a message already shown: it never decides whether the answer was.
    edit: (messageId, message) => reach.track(async () => void (await api.editMessage(channelId, messageId, message)), false),
    delete: (messageId) => reach.track(() => api.deleteMessage(channelId, messageId), false),
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
  options: { originalId: string | null; flags?: number; logger: Logger; reach: AnswerReach },
): DiscordTransport {
  const { reach } = options;
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
    reach,
    retryAfterMs: discordRetryAfterMs,
    async post(message, index) {
      if (index > 0) {
        // A follow-up is seen, but the reply above it would still say "thinking…": not what `seen` means here.
        const followUp = () =>
          viaTokenOr(
            () => api.postFollowUp(hook, { ...message, flags: options.flags }),
            () => api.postMessage(channelId, message),
          );
        return (await reach.track(followUp, false)).id;
      }
      const editReply = () =>
        viaTokenOr(
          () => api.editInteractionMessage(hook, '@original', message),
          // Should the deferred reply's id be unknown, the answer is posted instead.
          () => (originalId ? api.editMessage(channelId, originalId, message) : api.postMessage(channelId, message)),
        );
      const sent = await reach.track(editReply, true);
      originalId ??= sent.id;
      return sent.id;
    },
    edit: (messageId, message) =>
      reach.track(
        async () =>
          void (await viaTokenOr(
            () => api.editInteractionMessage(hook, messageId, message),
            () => api.editMessage(channelId, messageId, message),
          )),
        false,
      ),
    delete: (messageId) => reach.track(() => api.deleteMessage(channelId, messageId), false),
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
