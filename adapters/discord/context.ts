/**
 * What every Discord handler shares: the REST calls, the engine, settings, limits,
 * dedupe, feedback store, and what the bot remembers about its threads.
 */

import type { AcknowledgementsFirst } from '../../src/chat/ack-first.ts';
import type { ChatLimits } from '../../src/chat/limits.ts';
import type { Config } from '../../src/config.ts';
import type { Engine } from '../../src/engine/types.ts';
import type { FeedbackRecorder } from '../../src/feedback/store.ts';
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
  /** Upper bound for `stop()` to wait for answers in flight (default SHUTDOWN_TIMEOUT_MS). */
  stopTimeoutMs?: number;
}

export interface BotContext {
  api: DiscordApi;
  engine: Engine;
  config: Config;
  logger: Logger;
  feedback?: FeedbackRecorder;
  limits: ChatLimits;
  threads: ThreadMemory;
  options: Required<Omit<DiscordBotOptions, 'stopTimeoutMs'>>;
  botUserId(): string;
  /** False when Discord refused the MessageContent intent: only mentions, DMs and /askdocs are answered. */
  hasMessageContent(): boolean;
  /** True while new questions are taken (false once stopping). */
  accepting(): boolean;
  /** Registers an answer in flight so `stop()` can wait for it. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Abort signal fired when stopping gives up waiting. */
  shutdownSignal: AbortSignal;
  /** True for the first claim of a platform event id, across replicas when shared (one answer per event, even when Discord replays it). */
  firstSeen(key: string): Promise<boolean>;
  /** Interaction acknowledgements in flight; answers start once they are sent. */
  acks: AcknowledgementsFirst;
}

/**
 * Threads the bot is part of, and the /askdocs question+answer each of its answer threads
 * started from. Bounded: the oldest entries go first. Discord itself (thread owner,
 * membership, history) is the durable record; this memory only saves requests.
 */
export class ThreadMemory {
  #joined = new Map<string, true>();
  #starters = new Map<string, { question: string; answer: string }>();
  #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  join(threadId: string): void {
    remember(this.#joined, threadId, true, this.#max);
  }

  isJoined(threadId: string): boolean {
    return this.#joined.has(threadId);
  }

  rememberStarter(threadId: string, starter: { question: string; answer: string }): void {
    this.join(threadId);
    remember(this.#starters, threadId, starter, this.#max);
  }

  starter(threadId: string): { question: string; answer: string } | undefined {
    return this.#starters.get(threadId);
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
}

/** DISCORD_ALLOWED_CHANNELS: empty allows every channel; a thread is allowed when its parent is. DMs are always answered. */
export function channelAllowed(config: Config, channel: { id: string; parentId?: string | null; isDm: boolean }): boolean {
  const allowed = config.discord.allowedChannels;
  if (channel.isDm || allowed.length === 0) return true;
  return allowed.includes(channel.id) || (!!channel.parentId && allowed.includes(channel.parentId));
}
