/**
 * The conversation so far in a thread or DM, as engine `Turn`s (oldest first), read
 * from Discord's message history so follow-ups work after a restart too.
 *
 * The bot's own messages are assistant turns (consecutive parts of one split answer
 * become one turn; the sources/feedback message has no text and is skipped); other
 * users' messages are user turns with the bot's mention removed; other bots are ignored.
 * A thread started from a message also gets that starter message: the user's mention
 * (a question) or the bot's /askdocs answer, whose question the bot remembers or, after
 * a restart, reads from the thread's name (the question is the name).
 */
import type { APIMessage } from 'discord.js';
import { mergeTurns, stripMention } from '../../src/chat/conversation.ts';
import type { ThreadStarter } from '../../src/chat/threads.ts';
import type { Turn } from '../../src/engine/types.ts';
import type { DiscordApi } from './api.ts';

export interface StarterContext {
  /** The parent channel of the thread and the thread's name. */
  parentId: string;
  threadName: string;
  /** The /askdocs question and answer that opened this thread, if this process remembers them. */
  remembered?: ThreadStarter;
}

export interface HistoryOptions {
  api: DiscordApi;
  botUserId: string;
  channelId: string;
  /** The message being answered: history is what came before it. */
  beforeId: string;
  /** Most recent messages read (Discord allows up to 100 per request). */
  limit: number;
  /** Set for threads started from a message (thread id == starter message id). */
  starter?: StarterContext;
}

export async function conversationHistory(options: HistoryOptions): Promise<Turn[]> {
  const { api, botUserId } = options;
  const newestFirst = await api.fetchMessages(options.channelId, { before: options.beforeId, limit: options.limit });
  const turns: Turn[] = [];
  // Only when the whole thread fits in one page do we also know where it began.
  if (options.starter && newestFirst.length < options.limit) {
    turns.push(...(await starterTurns(api, botUserId, options.channelId, options.starter)));
  }
  for (const message of [...newestFirst].reverse()) {
    const turn = turnOf(message, botUserId);
    if (turn) turns.push(turn);
  }
  return mergeTurns(turns);
}

function turnOf(message: APIMessage, botUserId: string): Turn | undefined {
  // Plain and reply messages only: no system messages (thread created, pins, ...).
  if (message.type !== 0 && message.type !== 19 && message.type !== 20) return undefined;
  if (message.author.id === botUserId) {
    const content = message.content.trim();
    return content ? { role: 'assistant', content } : undefined;
  }
  if (message.author.bot || message.webhook_id) return undefined;
  const content = stripMention(message.content, botUserId);
  return content ? { role: 'user', content } : undefined;
}

async function starterTurns(api: DiscordApi, botUserId: string, threadId: string, starter: StarterContext): Promise<Turn[]> {
  if (starter.remembered) {
    return [
      { role: 'user', content: starter.remembered.question },
      { role: 'assistant', content: starter.remembered.answer },
    ];
  }
  let message: APIMessage;
  try {
    message = await api.fetchMessage(starter.parentId, threadId);
  } catch {
    // Not started from a message, or the starter was deleted: the thread's own messages will do.
    return [];
  }
  const turn = turnOf(message, botUserId);
  if (!turn) return [];
  // The bot's own starter is an /askdocs answer: its question is the thread's name.
  return turn.role === 'assistant' ? [{ role: 'user', content: starter.threadName }, turn] : [turn];
}
