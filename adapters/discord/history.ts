/**
 * The conversation so far in a thread or DM, as engine `Turn`s (oldest first), read
 * from Discord's message history so follow-ups work after a restart too.
 *
 * The bot's own messages are assistant turns (consecutive parts of one split answer
 * become one turn; the sources/feedback message has no text and is skipped); other
 * users' messages are user turns with the bot's mention removed; other bots are ignored.
 * A thread also gets the message it was started from: the user's mention (a question),
 * the bot's /askdocs answer, whose question the bot remembers or, after a restart, reads
 * from the thread's name (the question is the name), or a forum post (title and body).
 */
import { type APIMessage, ChannelType, type ThreadChannel } from 'discord.js';
import { mergeTurns, stripMention } from '../../src/chat/conversation.ts';
import { questionFromPost } from '../../src/chat/question-from.ts';
import { threadStartTurns } from '../../src/chat/thread-start.ts';
import type { Turn } from '../../src/engine/types.ts';
import type { BotContext } from './context.ts';

/** Up to `limit` messages of a DM or `thread` before `beforeId`. */
export async function conversationHistory(ctx: BotContext, channelId: string, beforeId: string, limit: number, thread?: ThreadChannel) {
  const me = ctx.botUserId();
  const newestFirst = await ctx.api.fetchMessages(channelId, { before: beforeId, limit });
  // A forum post's first message is inside the thread, with the thread's id; its title is part of the question.
  const post = thread?.parent?.type === ChannelType.GuildForum ? thread : undefined;
  const turns: Turn[] = [];
  // Only when the whole thread fits in one page do we also know where it began.
  if (thread?.parentId && !post && newestFirst.length < limit) turns.push(...(await starterTurns(ctx, thread, thread.parentId)));
  for (const message of newestFirst.reverse()) {
    // A post's first message and title are its question, even without text (no MessageContent intent).
    const isPost = post && message.id === post.id;
    const turn = isPost
      ? ({ role: 'user', content: questionFromPost(post.name, stripMention(message.content, me)) } as const)
      : turnOf(message, me);
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

async function starterTurns(ctx: BotContext, thread: ThreadChannel, parentId: string): Promise<Turn[]> {
  const remembered = ctx.delivery.threads.starter(thread.id);
  // Not started from a message, or the starter was deleted: the thread's own messages will do.
  const starter = remembered ? undefined : await ctx.api.fetchMessage(parentId, thread.id).catch(() => undefined);
  return threadStartTurns(remembered, starter && turnOf(starter, ctx.botUserId()), thread.name);
}
