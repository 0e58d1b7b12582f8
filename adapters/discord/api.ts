/**
 * The Discord REST calls the bot makes for channels, threads and interaction webhooks,
 * through the Client's own `@discordjs/rest` instance (so every call shares its
 * per-bucket queues, 429 waits and 5xx retries).
 *
 * Raw routes rather than discord.js structures: they work whether or not a channel is in
 * the cache (DMs, threads the client has not seen yet), and every body carries
 * `allowed_mentions: { parse: [] }` explicitly, so text from the docs or from users can
 * never ping @everyone, roles or users, whatever the Client default.
 *
 * Interaction webhook calls (editing a /askdocs reply, follow-ups) go through a second
 * REST instance: Discord does not count them against the bot's global rate limit
 * (50 requests/s), but one shared @discordjs/rest instance would, so 50 concurrent
 * answers would wait on each other's thread and message posts before their first edit.
 * Per-route buckets and 429 handling still apply to both.
 */
import {
  type APIActionRowComponent,
  type APIAllowedMentions,
  type APIComponentInMessageActionRow,
  type APIEmbed,
  type APIMessage,
  type APIThreadChannel,
  type REST,
  Routes,
  ThreadAutoArchiveDuration,
} from 'discord.js';

/** Sent with every message: no @everyone/@here, no roles, no users, no replied-user ping. */
export const NO_MENTIONS: APIAllowedMentions = Object.freeze({ parse: [] }) as APIAllowedMentions;

export interface OutgoingMessage {
  content?: string;
  embeds?: APIEmbed[];
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
  /** Makes the message a reply to this message id (in the same channel). */
  replyTo?: string;
}

export interface InteractionWebhook {
  applicationId: string;
  token: string;
}

export class DiscordApi {
  readonly rest: REST;
  readonly webhookRest: REST;

  /** `rest`: the Client's (bot token). `webhookRest`: for interaction webhooks (no token needed). */
  constructor(rest: REST, webhookRest: REST = rest) {
    this.rest = rest;
    this.webhookRest = webhookRest;
  }

  postMessage(channelId: string, message: OutgoingMessage): Promise<APIMessage> {
    return this.rest.post(Routes.channelMessages(channelId), { body: messageBody(message) }) as Promise<APIMessage>;
  }

  editMessage(channelId: string, messageId: string, message: OutgoingMessage): Promise<APIMessage> {
    return this.rest.patch(Routes.channelMessage(channelId, messageId), {
      body: messageBody(message),
    }) as Promise<APIMessage>;
  }

  async deleteMessage(channelId: string, messageId: string): Promise<void> {
    await this.rest.delete(Routes.channelMessage(channelId, messageId));
  }

  /** Starts a public thread on a message; its id is the message's id. */
  startThread(channelId: string, messageId: string, name: string): Promise<APIThreadChannel> {
    return this.rest.post(Routes.threads(channelId, messageId), {
      body: { name, auto_archive_duration: ThreadAutoArchiveDuration.OneDay },
    }) as Promise<APIThreadChannel>;
  }

  /** Up to `limit` messages before `before`, newest first (Discord's order). */
  fetchMessages(channelId: string, options: { before?: string; limit: number }): Promise<APIMessage[]> {
    const query = new URLSearchParams({ limit: String(options.limit) });
    if (options.before) query.set('before', options.before);
    return this.rest.get(Routes.channelMessages(channelId), { query }) as Promise<APIMessage[]>;
  }

  fetchMessage(channelId: string, messageId: string): Promise<APIMessage> {
    return this.rest.get(Routes.channelMessage(channelId, messageId)) as Promise<APIMessage>;
  }

  async sendTyping(channelId: string): Promise<void> {
    await this.rest.post(Routes.channelTyping(channelId));
  }

  // Interaction webhooks authenticate with the interaction token, not the bot token.

  editInteractionMessage(hook: InteractionWebhook, messageId: string, message: OutgoingMessage): Promise<APIMessage> {
    return this.webhookRest.patch(Routes.webhookMessage(hook.applicationId, hook.token, messageId), {
      body: messageBody(message),
      auth: false,
    }) as Promise<APIMessage>;
  }

  fetchInteractionMessage(hook: InteractionWebhook, messageId: string): Promise<APIMessage> {
    return this.webhookRest.get(Routes.webhookMessage(hook.applicationId, hook.token, messageId), {
      auth: false,
    }) as Promise<APIMessage>;
  }

  postFollowUp(hook: InteractionWebhook, message: OutgoingMessage): Promise<APIMessage> {
    return this.webhookRest.post(Routes.webhook(hook.applicationId, hook.token), {
      body: messageBody(message),
      query: new URLSearchParams({ wait: 'true' }),
      auth: false,
    }) as Promise<APIMessage>;
  }
}

function messageBody(message: OutgoingMessage) {
  return {
    ...(message.content !== undefined ? { content: message.content } : {}),
    ...(message.embeds !== undefined ? { embeds: message.embeds } : {}),
    ...(message.components !== undefined ? { components: message.components } : {}),
    ...(message.replyTo ? { message_reference: { message_id: message.replyTo, fail_if_not_exists: false } } : {}),
    allowed_mentions: NO_MENTIONS,
  };
}
