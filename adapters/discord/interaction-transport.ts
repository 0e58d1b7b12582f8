/**
 * Messages of a slash-command answer. Message 0 is the deferred reply (@original), later
 * ones are follow-ups, all through the interaction's webhook while its token is valid.
 *
 * Interaction tokens live 15 minutes. Shortly before that (and at once if Discord
 * already rejects the token) the transport switches to the bot token and the channel
 * routes: it edits the same messages by id and posts continuations in the channel, so
 * a slow answer still lands. The deferred reply's id is fetched in time for that switch
 * if no edit has revealed it yet.
 */
import { type APIMessage, DiscordAPIError, RESTJSONErrorCodes } from 'discord.js';
import type { Logger } from '../../src/logger.ts';
import type { DiscordApi, InteractionWebhook, OutgoingMessage } from './api.ts';
import type { MessageTransport } from './series.ts';

export const INTERACTION_TOKEN_TTL_MS = 15 * 60_000;
/** Switch to the bot token this long before the interaction token expires. */
export const TOKEN_SAFETY_MARGIN_MS = 90_000;

export interface InteractionTransportOptions {
  api: DiscordApi;
  hook: InteractionWebhook;
  interactionId: string;
  channelId: string;
  /** When Discord created the interaction (token lifetime starts there). */
  createdAt: number;
  tokenTtlMs?: number;
  safetyMarginMs?: number;
  logger: Logger;
}

export class InteractionTransport implements MessageTransport {
  readonly channelId: string;
  #api: DiscordApi;
  #hook: InteractionWebhook;
  #interactionId: string;
  #switchAt: number;
  #tokenRejected = false;
  #originalId: string | undefined;
  #logger: Logger;
  #prefetch: NodeJS.Timeout | undefined;

  constructor(options: InteractionTransportOptions) {
    this.#api = options.api;
    this.#hook = options.hook;
    this.#interactionId = options.interactionId;
    this.channelId = options.channelId;
    this.#logger = options.logger;
    const ttl = options.tokenTtlMs ?? INTERACTION_TOKEN_TTL_MS;
    const margin = Math.min(options.safetyMarginMs ?? TOKEN_SAFETY_MARGIN_MS, ttl / 2);
    this.#switchAt = options.createdAt + ttl - margin;
    // Learn the deferred reply's id while the token still works, in case no edit did.
    const prefetchIn = Math.max(0, this.#switchAt - Date.now() - Math.min(10_000, margin / 2));
    this.#prefetch = setTimeout(() => void this.#learnOriginalId(), prefetchIn);
    this.#prefetch.unref();
  }

  /** True while the interaction token may still be used. */
  get tokenUsable(): boolean {
    return !this.#tokenRejected && Date.now() < this.#switchAt;
  }

  get originalId(): string | undefined {
    return this.#originalId;
  }

  create(message: OutgoingMessage, index: number): Promise<APIMessage> {
    if (index === 0) return this.#editOriginal(message);
    return this.#viaTokenOr(
      () => this.#api.postFollowUp(this.#hook, message),
      () => this.#api.postMessage(this.channelId, message),
    );
  }

  edit(messageId: string, message: OutgoingMessage): Promise<APIMessage> {
    return this.#viaTokenOr(
      () => this.#api.editInteractionMessage(this.#hook, messageId, message),
      () => this.#api.editMessage(this.channelId, messageId, message),
    );
  }

  remove(messageId: string): Promise<void> {
    return this.#api.deleteMessage(this.channelId, messageId);
  }

  /** Stops the background id prefetch (the answer is done). */
  close(): void {
    clearTimeout(this.#prefetch);
  }

  async #editOriginal(message: OutgoingMessage): Promise<APIMessage> {
    const sent = await this.#viaTokenOr(
      () => this.#api.editInteractionMessage(this.#hook, '@original', message),
      async () => {
        const originalId = this.#originalId ?? (await this.#findOriginalInChannel());
        // If even that fails the deferred reply cannot be reached: post the answer instead.
        return originalId ? this.#api.editMessage(this.channelId, originalId, message) : this.#api.postMessage(this.channelId, message);
      },
    );
    this.#originalId ??= sent.id;
    return sent;
  }

  /** The deferred reply among the channel's recent messages (it names its interaction). */
  async #findOriginalInChannel(): Promise<string | undefined> {
    try {
      const recent = await this.#api.fetchMessages(this.channelId, { limit: 50 });
      const found = recent.find((m) => m.interaction_metadata?.id === this.#interactionId || m.interaction?.id === this.#interactionId);
      return found?.id;
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not find the deferred reply in the channel');
      return undefined;
    }
  }

  async #viaTokenOr(withToken: () => Promise<APIMessage>, withBot: () => Promise<APIMessage>): Promise<APIMessage> {
    if (this.tokenUsable) {
      try {
        return await withToken();
      } catch (error) {
        if (!isTokenRejection(error)) throw error;
        this.#tokenRejected = true;
        this.#logger.warn({ code: (error as DiscordAPIError).code }, 'interaction token rejected; continuing with the bot token');
      }
    }
    return withBot();
  }

  async #learnOriginalId(): Promise<void> {
    if (this.#originalId || !this.tokenUsable) return;
    try {
      this.#originalId = (await this.#api.fetchInteractionMessage(this.#hook, '@original')).id;
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not fetch the deferred reply before the interaction token expires');
    }
  }
}

function isTokenRejection(error: unknown): boolean {
  if (!(error instanceof DiscordAPIError)) return false;
  return (
    error.code === RESTJSONErrorCodes.InvalidWebhookToken ||
    error.code === RESTJSONErrorCodes.UnknownWebhook ||
    error.code === RESTJSONErrorCodes.UnknownInteraction ||
    error.status === 401
  );
}
