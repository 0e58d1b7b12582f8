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
import { SeriesView } from '../../src/chat/answer-view.ts';
import { channelAllowed, stripMention } from '../../src/chat/conversation.ts';
import { deferredTransport } from '../../src/chat/series.ts';
import type { Turn } from '../../src/engine/types.ts';
import { type Logger, newRequestId } from '../../src/logger.ts';
import type { OutgoingMessage } from './api.ts';
import type { BotContext } from './context.ts';
import { conversationHistory } from './history.ts';
import { discordRenderer, EMPTY_QUESTION_TEXT, sourcesMessage, threadName } from './render.ts';
import { channelTransport, type DiscordTransport } from './transport.ts';

type Route =
  | { kind: 'mention'; channelId: string }
  | { kind: 'thread'; thread: ThreadChannel; mentioned: boolean }
  | { kind: 'dm'; channelId: string };

const DM_HISTORY_LIMIT = 10;

export async function handleMessage(ctx: BotContext, message: Message): Promise<void> {
  const route = await routeOf(ctx, message);
  if (!route) return;
  if (!(await ctx.delivery.claims.claim(`message:${message.id}`))) return;

  const requestId = newRequestId();
  const logger = ctx.logger.child({ requestId, kind: route.kind, channelId: message.channelId, userId: message.author.id });
  const question = stripMention(message.content, ctx.botUserId());
  const inPlace = channelTransport(ctx.api, message.channelId, { replyTo: message.id });
  const sayInPlace = async (text: string) => {
    await inPlace.post({ content: text }, 0);
  };

  if (question === '') {
    // A bare mention gets a how-to; an attachment or sticker in a followed thread gets nothing.
    if (route.kind !== 'thread' || route.mentioned)
      await sayInPlace(EMPTY_QUESTION_TEXT).catch((error: unknown) => logger.warn({ err: error }, 'could not reply'));
    return;
  }
  let target: Promise<DiscordTransport> | undefined;
  let view: SeriesView<OutgoingMessage> | undefined;
  ctx.delivery.start(() =>
    ctx.delivery.answer({
      question,
      userId: message.author.id,
      channelId: route.kind === 'thread' ? (route.thread.parentId ?? route.thread.id) : message.channelId,
      requestId,
      logger,
      history: () => readHistory(ctx, message, route),
      thread: () => ({ workspaceId: message.guildId ?? undefined, messageId: message.id }),
      async open() {
        logger.info({ chars: question.length }, 'question');
        target = openTarget(ctx, message, route, question, logger);
        view = new SeriesView(deferredTransport(target), discordRenderer(ctx.options.textIntervalMs), logger);
        return view;
      },
      async postSources(answer) {
        const answerRef = view?.series.ids[0] as string;
        const { channelId } = await (target as Promise<DiscordTransport>);
        await ctx.api.postMessage(channelId, sourcesMessage(answer.citations, { abstained: answer.abstained, answerRef }));
        return answerRef;
      },
      notify: sayInPlace,
    }),
  );
}

/**
 * Where the answer goes: a new thread on a mention in a channel (opened while the answer
 * starts; its first text waits for the thread), else the thread or DM it was asked in.
 */
async function openTarget(ctx: BotContext, message: Message, route: Route, question: string, logger: Logger): Promise<DiscordTransport> {
  if (route.kind === 'mention') return openThreadOn(ctx, message, question, logger);
  const channelId = route.kind === 'thread' ? route.thread.id : route.channelId;
  if (route.kind === 'thread') await ctx.delivery.threads.markJoined(channelId);
  showTyping(ctx, channelId);
  return channelTransport(ctx.api, channelId, route.kind === 'thread' ? { replyTo: message.id } : {});
}

/** Decides whether and how to answer; undefined means "not for us". */
async function routeOf(ctx: BotContext, message: Message): Promise<Route | undefined> {
  const me = ctx.botUserId();
  if (message.author.bot || message.webhookId || message.author.id === me || message.system) return undefined;
  if (message.type !== MessageType.Default && message.type !== MessageType.Reply) return undefined;
  const channel = message.channel;
  if (channel.type === ChannelType.DM || !message.inGuild()) return { kind: 'dm', channelId: message.channelId };

  const thread = channel.isThread() ? channel : undefined;
  if (!channelAllowed(ctx.config.discord.allowedChannels, { id: channel.id, parentId: thread?.parentId, isDm: false })) return undefined;
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
  if (thread.ownerId === me || thread.members.cache.has(me) || (await ctx.delivery.threads.status(thread.id))) return true;
  if (thread.ownerId) return false;
  // A partial thread (not in the cache yet): ask Discord who owns it.
  try {
    const fetched = await thread.fetch();
    return fetched.ownerId === me;
  } catch {
    return false;
  }
}

async function readHistory(ctx: BotContext, message: Message, route: Route): Promise<Turn[]> {
  if (route.kind === 'mention') return [];
  if (route.kind === 'thread') {
    const { thread } = route;
    return conversationHistory({
      api: ctx.api,
      botUserId: ctx.botUserId(),
      channelId: thread.id,
      beforeId: message.id,
      limit: ctx.options.historyLimit,
      starter: thread.parentId
        ? { parentId: thread.parentId, threadName: thread.name, remembered: ctx.delivery.threads.starter(thread.id) }
        : undefined,
    });
  }
  return conversationHistory({
    api: ctx.api,
    botUserId: ctx.botUserId(),
    channelId: message.channelId,
    beforeId: message.id,
    limit: Math.min(DM_HISTORY_LIMIT, ctx.options.historyLimit),
  });
}

/** Starts a thread on the mentioning message; falls back to replying in place if Discord refuses. */
async function openThreadOn(ctx: BotContext, message: Message, question: string, logger: Logger): Promise<DiscordTransport> {
  try {
    const thread = await ctx.api.startThread(message.channelId, message.id, threadName(question));
    await ctx.delivery.threads.markJoined(thread.id);
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
