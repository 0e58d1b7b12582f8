/**
 * The Discord REST calls the bot makes, as raw routes on the Client's `@discordjs/rest`
 * (its per-bucket queues, 429 waits and 5xx retries; a long 429 rejects instead, with a
 * `RateLimitError`: rate-limits.ts): they work whether or not a channel
 * is cached, and every body carries `allowed_mentions: { parse: [] }`, so text from the
 * docs or from users never pings anyone, whatever the Client default. Interaction webhook
 * calls use a second REST instance: Discord exempts them from the bot's global limit
 * (50/s), which one shared instance would apply, holding first edits behind other posts.
 */
import {
  type APIAllowedMentions,
  type APIMessage,
  type APIThreadChannel,
  type REST,
  type RESTPostAPIChannelMessageJSONBody,
  Routes,
  ThreadAutoArchiveDuration,
} from 'discord.js';

/** Sent with every message: no @everyone/@here, no roles, no users, no replied-user ping. */
export const NO_MENTIONS: APIAllowedMentions = Object.freeze({ parse: [] }) as APIAllowedMentions;

/** A message as Discord's API takes it; `allowed_mentions` is added to every one. */
export type OutgoingMessage = Pick<RESTPostAPIChannelMessageJSONBody, 'content' | 'embeds' | 'components' | 'message_reference' | 'flags'>;

export interface InteractionWebhook {
  applicationId: string;
  token: string;
}

const body = (message: OutgoingMessage) => ({ ...message, allowed_mentions: NO_MENTIONS });

export class DiscordApi {
  /** `rest`: the Client's (bot token). `webhookRest`: for interaction webhooks (no token needed). */
  constructor(
    readonly rest: REST,
    readonly webhookRest: REST = rest,
  ) {}

  async postMessage(channelId: string, message: OutgoingMessage): Promise<APIMessage> {
    return (await this.rest.post(Routes.channelMessages(channelId), { body: body(message) })) as APIMessage;
  }

  async editMessage(channelId: string, messageId: string, message: OutgoingMessage): Promise<APIMessage> {
    return (await this.rest.patch(Routes.channelMessage(channelId, messageId), { body: body(message) })) as APIMessage;
  }

  async deleteMessage(channelId: string, messageId: string): Promise<void> {
    await this.rest.delete(Routes.channelMessage(channelId, messageId));
  }

  /** Starts a public thread on a message; its id is the message's id. */
  async startThread(channelId: string, messageId: string, name: string): Promise<APIThreadChannel> {
    const options = { body: { name, auto_archive_duration: ThreadAutoArchiveDuration.OneDay } };
    return (await this.rest.post(Routes.threads(channelId, messageId), options)) as APIThreadChannel;
  }

  /** Up to `limit` messages before `before`, newest first (Discord's order). */
  async fetchMessages(channelId: string, options: { before: string; limit: number }): Promise<APIMessage[]> {
    const query = new URLSearchParams({ before: options.before, limit: String(options.limit) });
    return (await this.rest.get(Routes.channelMessages(channelId), { query })) as APIMessage[];
  }

  async fetchMessage(channelId: string, messageId: string): Promise<APIMessage> {
    return (await this.rest.get(Routes.channelMessage(channelId, messageId))) as APIMessage;
  }

  async sendTyping(channelId: string): Promise<void> {
    await this.rest.post(Routes.channelTyping(channelId));
  }

  // Interaction webhooks authenticate with the interaction token, not the bot token.

  async editInteractionMessage(hook: InteractionWebhook, messageId: string, message: OutgoingMessage): Promise<APIMessage> {
    const route = Routes.webhookMessage(hook.applicationId, hook.token, messageId);
    return (await this.webhookRest.patch(route, { body: body(message), auth: false })) as APIMessage;
  }

  async postFollowUp(hook: InteractionWebhook, message: OutgoingMessage): Promise<APIMessage> {
    const query = new URLSearchParams({ wait: 'true' });
    return (await this.webhookRest.post(Routes.webhook(hook.applicationId, hook.token), {
      body: body(message),
      query,
      auth: false,
    })) as APIMessage;
  }
}
