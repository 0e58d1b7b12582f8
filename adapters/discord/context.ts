/**
 * What every Discord handler shares: the REST calls, settings, the delivery layer
 * (limits, acks, answers in flight, thread memory, event claims, feedback).
 */
import type { ChatDelivery } from '../../src/chat/delivery.ts';
import type { Config } from '../../src/config.ts';
import type { Logger } from '../../src/logger.ts';
import type { DiscordApi } from './api.ts';

export interface DiscordBotOptions {
  /** Minimum time between edits of a streaming answer (Discord allows ~5 edits / 5 s per channel). */
  textIntervalMs?: number;
  /** Interaction token lifetime (Discord: 15 min); tests shorten it. */
  interactionTokenTtlMs?: number;
  /** Switch from the interaction token to the bot token this long before it expires. */
  tokenSafetyMarginMs?: number;
  /** Messages read back from a thread or DM for follow-up context. */
  historyLimit?: number;
  /** Upper bound for `stop()` to wait for answers in flight when the bot has its own lifecycle (default SHUTDOWN_TIMEOUT_MS). */
  stopTimeoutMs?: number;
}

export interface BotContext {
  api: DiscordApi;
  config: Config;
  logger: Logger;
  delivery: ChatDelivery;
  options: Required<Omit<DiscordBotOptions, 'stopTimeoutMs'>>;
  botUserId(): string;
  /** False when Discord refused the MessageContent intent: only mentions, DMs, forum post titles and commands are answered. */
  hasMessageContent(): boolean;
  /** Aborted when the bot stops: what waits past the answers in flight (a note held back by a rate limit) is dropped. */
  closing: AbortSignal;
}
