/**
 * Messages the bot answers: an @-mention in a channel (in a thread it starts on the
 * message); a new post in a forum listed in DISCORD_FORUM_CHANNELS (in the post, no
 * mention needed: title and body are the question); an @-mention in a thread (in place);
 * any message in a thread the bot is part of (it opened it, answered in it or answered
 * the post), unless Discord refused the MessageContent intent or the message mentions or
 * replies to other people and not the bot; and direct messages.
 * Threads and DMs are read back as history. Bots (itself included), webhooks, system
 * messages and threads the bot is not part of are ignored. Each message is answered at
 * most once, even when the gateway replays it or another replica gets it too (claims).
 * "Ask askdocs about this message" (interactions.ts) answers a message the same way.
 */
import { ChannelType, DiscordAPIError, type Message, MessageType, RESTJSONErrorCodes, type ThreadChannel } from 'discord.js';
import { SeriesView } from '../../src/chat/answer-view.ts';
import { addressedToOthers, channelAllowed, stripMention } from '../../src/chat/conversation.ts';
import type { AskJob } from '../../src/chat/delivery.ts';
import { questionFromPost } from '../../src/chat/question-from.ts';
import { deferredTransport } from '../../src/chat/series.ts';
import { threadTitle } from '../../src/chat/thread-title.ts';
import type { Turn } from '../../src/engine/types.ts';
import { type Logger, newRequestId } from '../../src/logger.ts';
import type { OutgoingMessage } from './api.ts';
import type { BotContext } from './context.ts';
import { conversationHistory } from './history.ts';
import { AnswerReach, discordFailureText, discordRetryAfterMs, followUpIfUnseen } from './rate-limits.ts';
import { discordRenderer, EMPTY_QUESTION_TEXT, sourcesMessage, THREAD_NAME_LIMIT } from './render.ts';
import { channelTransport, type DiscordTransport } from './transports.ts';

export type Route =
  | { kind: 'mention' | 'dm' }
  | { kind: 'post'; thread: ThreadChannel }
  | { kind: 'thread'; thread: ThreadChannel; mentioned: boolean };

const DM_HISTORY_LIMIT = 10;

export async function handleMessage(ctx: BotContext, message: Message): Promise<void> {
  const route = await routeOf(ctx, message);
  if (!route || !(await ctx.delivery.claims.claim(`message:${message.id}`))) return;
  const content = stripMention(message.content, ctx.botUserId());
  const question = route.kind === 'post' ? questionFromPost(route.thread.name, content) : content;
  const notify = async (text: string) =>
    void (await channelTransport(ctx.api, message.channelId, new AnswerReach(ctx.logger), message.id).post({ content: text }, 0));
  if (question === '') {
    // A bare mention gets a how-to; an attachment or sticker in a followed thread gets nothing.
    if (route.kind !== 'thread' || route.mentioned)
      await notify(EMPTY_QUESTION_TEXT).catch((error: unknown) => ctx.logger.warn({ err: error }, 'could not reply'));
    return;
  }
  answerMessage(ctx, message, route, question, { userId: message.author.id, notify });
}

/**
 * Answers `question` about `message` where `route` says; `asker` is who asked (the author, or
 * whoever asked about the message), how to tell them something privately, and the command
 * they used, if any. Never throws.
 */
export function answerMessage(
  ctx: BotContext,
  message: Message,
  route: Route,
  question: string,
  asker: Pick<AskJob, 'userId' | 'notify'> & { via?: { requestId: string; interactionId: string } },
) {
  // Asked through "Ask askdocs about this message": the command's request id and interaction, so its lines and the answer's are one request.
  const requestId = asker.via?.requestId ?? newRequestId();
  const logger = ctx.logger.child({
    requestId,
    ...(asker.via ? { interactionId: asker.via.interactionId } : {}),
    kind: route.kind,
    channelId: message.channelId,
    userId: asker.userId,
  });
  let target: Promise<DiscordTransport> | undefined;
  let view: SeriesView<OutgoingMessage> | undefined;
  ctx.delivery.start(async () => {
    await ctx.delivery.answer({
      ...asker,
      question,
      channelId: 'thread' in route ? (route.thread.parentId ?? route.thread.id) : message.channelId,
      requestId,
      logger,
      history: () => readHistory(ctx, message, route),
      thread: () => ({ workspaceId: message.guildId ?? undefined, messageId: message.id }),
      async open() {
        logger.info({ chars: question.length }, 'question');
        target = openTarget(ctx, message, route, question, logger);
        // deferredTransport forwards the calls only: the view must still tell a long rate limit from other failures.
        const transport = { ...deferredTransport(target), retryAfterMs: discordRetryAfterMs };
        view = new SeriesView(transport, discordRenderer(ctx.options.textIntervalMs), logger);
        return view;
      },
      platformFailure: discordFailureText,
      async postSources(answer) {
        const answerRef = view?.series.ids[0] as string;
        const { channelId } = await (target as Promise<DiscordTransport>);
        await ctx.api.postMessage(channelId, sourcesMessage(answer.citations, { abstained: answer.abstained, answerRef }));
        return answerRef;
      },
    });
    // Only a question whose answer was under way has a target; a refused one was told so already.
    const opened = await target?.catch(() => undefined);
    if (opened) followUpIfUnseen(opened, { signal: ctx.closing, logger });
  });
}

/** Decides whether and how to answer; undefined means "not for us". */
async function routeOf(ctx: BotContext, message: Message): Promise<Route | undefined> {
  const me = ctx.botUserId();
  if (message.author.bot || message.webhookId || message.author.id === me || message.system) return undefined;
  if (message.type !== MessageType.Default && message.type !== MessageType.Reply) return undefined;
  const channel = message.channel;
  if (channel.type === ChannelType.DM || !message.inGuild()) return { kind: 'dm' };

  const thread = channel.isThread() ? channel : undefined;
  if (!channelAllowed(ctx.config.discord.allowedChannels, { id: channel.id, parentId: thread?.parentId, isDm: false })) return undefined;
  // A forum post's first message has the post's (the thread's) id.
  if (thread?.parentId && message.id === thread.id && ctx.config.discord.forumChannels.includes(thread.parentId)) {
    return { kind: 'post', thread };
  }
  // A real user mention of the bot (not @everyone, not a role, not a reply ping).
  const mentioned = message.mentions.users.has(me);
  if (thread) {
    if (mentioned) return { kind: 'thread', thread, mentioned };
    const addressed = [...message.mentions.users.keys(), ...(message.mentions.repliedUser ? [message.mentions.repliedUser.id] : [])];
    if (addressedToOthers(addressed, { bot: me, author: message.author.id })) return undefined;
    if (ctx.hasMessageContent() && (await isPartOf(ctx, thread))) return { kind: 'thread', thread, mentioned };
    return undefined;
  }
  return mentioned ? { kind: 'mention' } : undefined;
}

/** The bot is part of a thread it opened, joined, or answered in. */
async function isPartOf(ctx: BotContext, thread: ThreadChannel): Promise<boolean> {
  const me = ctx.botUserId();
  if (thread.ownerId === me || thread.members.cache.has(me) || (await ctx.delivery.threads.status(thread.id))) return true;
  // A partial thread (not in the cache yet): ask Discord who owns it.
  return (
    !thread.ownerId &&
    (await thread
      .fetch()
      .then((fetched) => fetched.ownerId === me)
      .catch(() => false))
  );
}

/**
 * Where the answer goes: a new thread on a mention in a channel (opened while the answer
 * starts; its first text waits for the thread), else the post, thread or DM it was asked in.
 */
async function openTarget(ctx: BotContext, message: Message, route: Route, question: string, logger: Logger): Promise<DiscordTransport> {
  // A thread started from a message has the message's id.
  const channelId = 'thread' in route ? route.thread.id : route.kind === 'mention' ? message.id : message.channelId;
  const reach = new AnswerReach(logger);
  if (route.kind === 'mention') {
    try {
      await ctx.api.startThread(message.channelId, message.id, threadTitle(question, THREAD_NAME_LIMIT));
    } catch (error) {
      // A message that has a thread already (someone asked about it before) is answered there.
      if (!(error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage)) {
        // A thread Discord rate-limits for long is not waited for either: the answer goes in the channel now.
        logger.warn({ err: error, retryAfterMs: discordRetryAfterMs(error) }, 'could not start a thread; replying in the channel');
        return channelTransport(ctx.api, message.channelId, reach, message.id);
      }
    }
  }
  if (route.kind !== 'dm') await ctx.delivery.threads.markJoined(channelId);
  // "askdocs is typing…" until the first answer text (best effort: it is only a hint).
  ctx.api.sendTyping(channelId).catch(() => undefined);
  return channelTransport(ctx.api, channelId, reach, route.kind === 'thread' ? message.id : undefined);
}

function readHistory(ctx: BotContext, message: Message, route: Route): Promise<Turn[]> {
  const limit = ctx.options.historyLimit;
  if (route.kind === 'dm') return conversationHistory(ctx, message.channelId, message.id, Math.min(DM_HISTORY_LIMIT, limit));
  return route.kind === 'thread' ? conversationHistory(ctx, route.thread.id, message.id, limit, route.thread) : Promise.resolve([]);
}
