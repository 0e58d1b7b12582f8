/**
 * Bolt listeners: turn Slack deliveries into questions for the delivery layer.
 *
 *   /askdocs <question>   ack at once, then a visible message in the channel (question +
 *                         answer), sources in its thread. No text → ephemeral usage help.
 *   @-mention             answered in a thread on the mentioning message.
 *   thread message        answered without a mention, only in threads the bot takes part in.
 *   DM                    answered directly.
 *   feedback buttons      ack at once, vote stored in the feedback store.
 *
 * Every listener returns immediately: answers run as tracked background work (the
 * delivery layer, src/chat/delivery.ts), so acks never wait on the engine. One delivery
 * → at most one answer: Slack retries are dropped by `event_id`, and a message seen both
 * as `app_mention` and `message` by channel+ts.
 */
import type { App, webApi } from '@slack/bolt';
import { channelAllowed, stripMention } from '../../src/chat/conversation.ts';
import type { ChatDelivery } from '../../src/chat/delivery.ts';
import type { Vote } from '../../src/feedback/store.ts';
import { SHUTTING_DOWN_MESSAGE } from '../../src/lifecycle.ts';
import { type Logger, newRequestId } from '../../src/logger.ts';
import type { SlackAnswers, SlackAsk } from './answer.ts';
import { FEEDBACK_DOWN, FEEDBACK_UP } from './blocks.ts';
import { type BotIdentity, readThread } from './thread.ts';

type WebClient = webApi.WebClient;

export interface ListenerDeps {
  answers: SlackAnswers;
  delivery: ChatDelivery;
  allowedChannels: string[];
  logger: Logger;
}

export const USAGE =
  'Ask me about the docs: `/askdocs <your question>`, e.g. `/askdocs How do I create a collection?`\n' +
  'You can also mention me in a channel, reply in a thread I answered, or message me directly.';

/** The message fields askdocs reads (app_mention and message events share them). */
interface IncomingMessage {
  channel: string;
  user?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  bot_id?: string;
  subtype?: string;
  channel_type?: string;
  team?: string;
}

export function registerListeners(app: App, deps: ListenerDeps): void {
  const { delivery, logger } = deps;
  const { claims, threads } = delivery;
  const threadKey = (channel: string, threadTs: string) => `${channel}:${threadTs}`;
  // A DM is known by what Slack says about the channel (`channel_type: im` on message
  // events, `channel_name: directmessage` on slash commands), never by its id's first
  // letter: any id can start with D, and a guess would bypass SLACK_ALLOWED_CHANNELS.
  const allowed = (channel: string, isDm = false) => channelAllowed(deps.allowedChannels, { id: channel, isDm });
  const notAllowedMessage = () =>
    `I only answer questions in ${deps.allowedChannels.map((id) => `<#${id}>`).join(', ')}. Ask me there or message me directly.`;

  // Slack redelivers events it thinks failed (X-Slack-Retry-Num); the event_id stays the same.
  app.use(async ({ body, context, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === 'string' && !(await claims.claim(`event:${eventId}`))) {
      logger.info({ eventId, retryNum: context.retryNum, retryReason: context.retryReason }, 'slack: duplicate delivery ignored');
      return;
    }
    await next();
  });

  app.command(/^\/.+/, async ({ command, ack, respond, client }) => {
    // The request gate (request-guard.ts) already refuses a command without text over HTTP.
    const text = (command.text ?? '').trim();
    // Everything before ack() is synchronous, so the ack is never late.
    if (!text) return ack({ response_type: 'ephemeral', text: USAGE });
    if (!allowed(command.channel_id, command.channel_name === 'directmessage'))
      return ack({ response_type: 'ephemeral', text: notAllowedMessage() });
    if (!delivery.accepting()) return ack({ response_type: 'ephemeral', text: SHUTTING_DOWN_MESSAGE });
    const acknowledged = delivery.acks.begin();
    try {
      await ack();
    } finally {
      acknowledged();
    }
    if (!(await claims.claim(`command:${command.trigger_id}`))) return;
    const ask: SlackAsk = {
      kind: 'slash',
      client,
      channel: command.channel_id,
      userId: command.user_id,
      teamId: command.team_id,
      text,
      history: async () => [],
      notify: async (message) => {
        await respond({ response_type: 'ephemeral', replace_original: false, text: message });
      },
      requestId: newRequestId(),
    };
    delivery.start(() => deps.answers.answer(ask));
  });

  app.event('app_mention', async ({ event, client, context }) => {
    const message = event as unknown as IncomingMessage;
    if (message.bot_id || message.subtype || !message.user) return;
    const bot: BotIdentity = { userId: context.botUserId, botId: context.botId };
    const threadTs = message.thread_ts ?? message.ts;
    if (!allowed(message.channel)) {
      await ephemeral(client, message, threadTs, notAllowedMessage(), logger);
      return;
    }
    if (!(await claims.claim(messageKey(message)))) return;
    const text = stripMention(message.text ?? '', bot.userId);
    if (!text) {
      await ephemeral(client, message, threadTs, USAGE, logger);
      return;
    }
    startAnswer({ kind: 'mention', client, message, text, threadTs, teamId: context.teamId, bot });
  });

  app.event('message', async ({ event, client, context }) => {
    const message = event as unknown as IncomingMessage;
    // Edits, joins, bot posts and our own messages are never questions.
    if (message.subtype && message.subtype !== 'thread_broadcast' && message.subtype !== 'file_share') return;
    if (message.bot_id || !message.user || message.user === context.botUserId) return;
    const bot: BotIdentity = { userId: context.botUserId, botId: context.botId };
    const text = stripMention(message.text ?? '', bot.userId);
    if (!text) return;

    if (message.channel_type === 'im') {
      if (!(await claims.claim(messageKey(message)))) return;
      startAnswer({ kind: 'dm', client, message, text, threadTs: message.thread_ts, teamId: context.teamId, bot });
      return;
    }

    // In channels, only follow-ups in threads the bot takes part in.
    const threadTs = message.thread_ts;
    if (!threadTs || threadTs === message.ts || !allowed(message.channel)) return;
    // A mention arrives as app_mention too; that listener answers it.
    if (bot.userId && message.text?.includes(`<@${bot.userId}>`)) return;
    const thread = threadKey(message.channel, threadTs);
    if (claims.seenHere(messageKey(message))) return;
    const known = await threads.status(thread);
    if (known === false) return;
    if (!delivery.accepting()) {
      if (known) await ephemeral(client, message, threadTs, SHUTTING_DOWN_MESSAGE, logger);
      return;
    }
    delivery.start(async () => {
      let participates: boolean;
      let history: SlackAsk['history'];
      try {
        const view = await readThread(client, { channel: message.channel, threadTs, beforeTs: message.ts, bot });
        participates = view.participates;
        history = async () => view.history;
      } catch (error) {
        // Unknown participation: stay quiet unless we know we answered in this thread.
        logger.warn({ err: error, channel: message.channel }, 'slack: could not read a thread');
        participates = known === true;
        history = async () => [];
      }
      if (!participates) {
        await threads.markNotJoined(thread);
        return;
      }
      await threads.markJoined(thread);
      if (!(await claims.claim(messageKey(message)))) return;
      await deps.answers.answer(askOf({ kind: 'thread', client, message, text, threadTs, teamId: context.teamId, bot }, history));
    });
  });

  app.action(new RegExp(`^(${FEEDBACK_UP}|${FEEDBACK_DOWN})$`), async ({ ack, body, action, client }) => {
    await ack();
    const actionBody = body as {
      user?: { id?: string };
      channel?: { id: string };
      container?: { channel_id?: string; message_ts?: string; thread_ts?: string };
      message?: { ts: string; thread_ts?: string };
    };
    const channel = actionBody.channel?.id ?? actionBody.container?.channel_id;
    const messageTs = actionBody.message?.ts ?? actionBody.container?.message_ts;
    const userId = actionBody.user?.id;
    if (!channel || !messageTs || !userId) return;
    const vote: Vote = (action as { action_id: string }).action_id === FEEDBACK_UP ? 'up' : 'down';
    const threadTs = actionBody.message?.thread_ts ?? actionBody.container?.thread_ts;
    const target = { channel, ts: messageTs, user: userId };
    const recorded = await delivery.recordVote({ answerRef: `${channel}:${messageTs}`, userId, vote }, logger);
    const thanks = vote === 'up' ? 'Thanks for the feedback! 👍' : "Thanks — I'll use that to get better. 👎";
    await ephemeral(
      client,
      target,
      threadTs,
      recorded ? thanks : "Sorry, I couldn't record your feedback. Please try again later.",
      logger,
    );
  });

  interface Start {
    kind: SlackAsk['kind'];
    client: WebClient;
    message: IncomingMessage;
    text: string;
    threadTs?: string;
    teamId?: string;
    bot: BotIdentity;
  }

  function askOf({ kind, client, message, text, threadTs, teamId }: Start, history: SlackAsk['history']): SlackAsk {
    const userId = message.user as string;
    const notify = async (note: string) => {
      await client.chat.postEphemeral({ channel: message.channel, user: userId, thread_ts: threadTs, text: note });
    };
    return {
      kind,
      client,
      channel: message.channel,
      userId,
      teamId: teamId ?? message.team,
      text,
      threadTs,
      history,
      notify,
      requestId: newRequestId(),
    };
  }

  function startAnswer(input: Start): void {
    const { client, message } = input;
    if (!delivery.accepting()) {
      void ephemeral(client, message, input.threadTs, SHUTTING_DOWN_MESSAGE, logger);
      return;
    }
    // Only a reply inside an existing thread has history worth reading.
    const threadTs = message.thread_ts;
    const history: SlackAsk['history'] = threadTs
      ? async () => (await readThread(client, { channel: message.channel, threadTs, beforeTs: message.ts, bot: input.bot })).history
      : async () => [];
    delivery.start(() => deps.answers.answer(askOf(input, history)));
  }
}

function messageKey(message: { channel: string; ts: string }): string {
  return `message:${message.channel}:${message.ts}`;
}

async function ephemeral(
  client: WebClient,
  target: { channel: string; user?: string },
  threadTs: string | undefined,
  text: string,
  logger: Logger,
): Promise<void> {
  if (!target.user) return;
  try {
    await client.chat.postEphemeral({ channel: target.channel, user: target.user, thread_ts: threadTs, text });
  } catch (error) {
    logger.warn({ err: error, channel: target.channel }, 'slack: could not post an ephemeral message');
  }
}
