/**
 * Messages the bot answers:
 *  - an @-mention in a channel: a thread is started on the mentioning message and the
 *    answer and its sources go there;
 *  - an @-mention inside a thread: answered in place, using the thread's history;
 *  - any message in a thread the bot is part of (it opened it or answered in it):
 *    answered without a mention, using the thread's history — unless Discord refused
 *    the MessageContent intent, in which case only mentions are answered;
 *  - a direct message, with the DM's recent history.
 * Bots (itself included), webhooks, system messages and threads the bot is not part of
 * are ignored. Each message is answered at most once, even when the gateway replays it.
 */
import { ChannelType, type Message, MessageType, type ThreadChannel } from 'discord.js';
import type { Turn } from '../../src/engine/types.ts';
import { SHUTTING_DOWN_MESSAGE } from '../../src/lifecycle.ts';
import { type Logger, newRequestId } from '../../src/logger.ts';
import { type AnswerOutlet, deliverAnswer } from './answer.ts';
import { type BotContext, channelAllowed } from './context.ts';
import { conversationHistory } from './history.ts';
import { EMPTY_QUESTION_TEXT, questionFromContent, threadName } from './render.ts';
import { channelTransport, MessageSeries, type MessageTransport } from './series.ts';

type Route =
  | { kind: 'mention'; channelId: string }
  | { kind: 'thread'; thread: ThreadChannel; mentioned: boolean }
  | { kind: 'dm'; channelId: string };

const DM_HISTORY_LIMIT = 10;

export async function handleMessage(ctx: BotContext, message: Message): Promise<void> {
  const route = await routeOf(ctx, message);
  if (!route) return;
  if (!(await ctx.firstSeen(`message:${message.id}`))) return;

  const requestId = newRequestId();
  const logger = ctx.logger.child({ requestId, kind: route.kind, channelId: message.channelId, userId: message.author.id });
  const question = questionFromContent(message.content, ctx.botUserId());
  const limitsChannel = route.kind === 'thread' ? (route.thread.parentId ?? route.thread.id) : message.channelId;
  const inPlace = channelTransport(ctx.api, message.channelId, { replyTo: message.id });

  if (question === '') {
    // A bare mention gets a how-to; an attachment or sticker in a followed thread gets nothing.
    if (route.kind !== 'thread' || route.mentioned) await sayInPlace(inPlace, EMPTY_QUESTION_TEXT, logger);
    return;
  }
  if (!ctx.accepting()) {
    await sayInPlace(inPlace, SHUTTING_DOWN_MESSAGE, logger);
    return;
  }
  const admission = await ctx.limits.admit({ userId: message.author.id, channelId: limitsChannel });
  if (!admission.ok) {
    await sayInPlace(inPlace, admission.message, logger);
    return;
  }
  logger.info({ chars: question.length }, 'question');

  try {
    await ctx.track(answerMessage(ctx, message, route, question, requestId, logger));
  } finally {
    admission.release();
  }
}

async function answerMessage(
  ctx: BotContext,
  message: Message,
  route: Route,
  question: string,
  requestId: string,
  logger: Logger,
): Promise<void> {
  let transport: MessageTransport;
  let history: Turn[] = [];
  if (route.kind === 'mention') {
    // Open the thread and start answering at once; the first text waits for the thread.
    transport = lazyTransport(openThreadOn(ctx, message, question, logger));
  } else if (route.kind === 'thread') {
    ctx.threads.join(route.thread.id);
    transport = channelTransport(ctx.api, route.thread.id, { replyTo: message.id });
    showTyping(ctx, route.thread.id);
    history = await readHistory(ctx, message, route, logger);
  } else {
    transport = channelTransport(ctx.api, route.channelId);
    showTyping(ctx, route.channelId);
    history = await readHistory(ctx, message, route, logger);
  }
  const series = new MessageSeries(transport);
  const outlet: AnswerOutlet = {
    series,
    followUpTarget: async () => (followUp) => ctx.api.postMessage(series.transport.channelId, followUp),
  };
  await deliverAnswer(ctx, { question, history, userId: message.author.id, channelId: message.channelId, requestId, logger }, outlet);
}

/** Decides whether and how to answer; undefined means "not for us". */
async function routeOf(ctx: BotContext, message: Message): Promise<Route | undefined> {
  const me = ctx.botUserId();
  if (message.author.bot || message.webhookId || message.author.id === me || message.system) return undefined;
  if (message.type !== MessageType.Default && message.type !== MessageType.Reply) return undefined;
  const channel = message.channel;
  if (channel.type === ChannelType.DM || !message.inGuild()) return { kind: 'dm', channelId: message.channelId };

  const thread = channel.isThread() ? channel : undefined;
  if (!channelAllowed(ctx.config, { id: channel.id, parentId: thread?.parentId, isDm: false })) return undefined;
  // A real user mention of the bot (not @everyone, not a role, not a reply ping).
  const mentioned = message.mentions.users.has(me);
  if (thread) {
    if (mentioned) return { kind: 'thread', thread, mentioned };
    if (ctx.hasMessageContent() && (await isPartOf(ctx, thread))) return { kind: 'thread', thread, mentioned };
    return undefined;
  }
  return mentioned ? { kind: 'mention', channelId: channel.id } : undefined;
}

/** The bot is part of a thread it opened, joined, or answered in. */
async function isPartOf(ctx: BotContext, thread: ThreadChannel): Promise<boolean> {
  const me = ctx.botUserId();
  if (ctx.threads.isJoined(thread.id) || thread.ownerId === me || thread.members.cache.has(me)) return true;
  if (thread.ownerId) return false;
  // A partial thread (not in the cache yet): ask Discord who owns it.
  try {
    const fetched = await thread.fetch();
    return fetched.ownerId === me;
  } catch {
    return false;
  }
}

async function readHistory(ctx: BotContext, message: Message, route: Route, logger: Logger): Promise<Turn[]> {
  try {
    if (route.kind === 'thread') {
      const { thread } = route;
      return await conversationHistory({
        api: ctx.api,
        botUserId: ctx.botUserId(),
        channelId: thread.id,
        beforeId: message.id,
        limit: ctx.options.historyLimit,
        starter: thread.parentId
          ? { parentId: thread.parentId, threadName: thread.name, remembered: ctx.threads.starter(thread.id) }
          : undefined,
      });
    }
    return await conversationHistory({
      api: ctx.api,
      botUserId: ctx.botUserId(),
      channelId: message.channelId,
      beforeId: message.id,
      limit: Math.min(DM_HISTORY_LIMIT, ctx.options.historyLimit),
    });
  } catch (error) {
    // Answer without context rather than not at all.
    logger.warn({ err: error }, 'could not read the conversation history');
    return [];
  }
}

/** Starts a thread on the mentioning message; falls back to replying in place if Discord refuses. */
async function openThreadOn(ctx: BotContext, message: Message, question: string, logger: Logger): Promise<MessageTransport> {
  try {
    const thread = await ctx.api.startThread(message.channelId, message.id, threadName(question));
    ctx.threads.join(thread.id);
    showTyping(ctx, thread.id);
    return channelTransport(ctx.api, thread.id);
  } catch (error) {
    logger.warn({ err: error }, 'could not start a thread; replying in the channel');
    return channelTransport(ctx.api, message.channelId, { replyTo: message.id });
  }
}

/** "askdocs is typing…" until the first answer text (best effort: it is only a hint). */
function showTyping(ctx: BotContext, channelId: string): void {
  ctx.api.sendTyping(channelId).catch(() => undefined);
}

/** A transport whose channel is known only once `ready` resolves (e.g. a thread being created). */
function lazyTransport(ready: Promise<MessageTransport>): MessageTransport {
  let resolved: MessageTransport | undefined;
  ready.then((transport) => {
    resolved = transport;
  });
  return {
    get channelId() {
      if (!resolved) throw new Error('channel not known yet');
      return resolved.channelId;
    },
    create: async (m, index) => (await ready).create(m, index),
    edit: async (id, m) => (await ready).edit(id, m),
    remove: async (id) => (await ready).remove(id),
  };
}

async function sayInPlace(transport: MessageTransport, text: string, logger: Logger): Promise<void> {
  try {
    await transport.create({ content: text }, 0);
  } catch (error) {
    logger.warn({ err: error }, 'could not reply');
  }
}
