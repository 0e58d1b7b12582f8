/**
 * Bolt listeners: Slack deliveries become questions for the delivery layer (src/chat/delivery.ts).
 *
 *   /askdocs <question>  acked at once; question and answer visible in the channel, sources in
 *                        its thread. No text → ephemeral usage help; too long → an ephemeral
 *                        refusal, before anything is posted.
 *   @-mention, DM        answered in a thread on the mention; a DM directly.
 *   thread reply         answered without a mention, only in threads the bot takes part in,
 *                        unless it @-mentions other people and not the bot.
 *   assistant thread     the AI-app split view (Bolt's `Assistant`): a greeting and suggested
 *                        questions; questions are answered in the thread, the first titles it.
 *   feedback             👍/👎 (the sources' buttons or Slack's feedback buttons): acked, stored.
 *   anything else        shortcuts, other buttons, modals, option menus: acked at once, ignored.
 *
 * Listeners return at once: answers are tracked background work, so acks never wait on the
 * engine. One delivery → at most one answer: Slack's retries are dropped by `event_id`, and a
 * message seen both as `app_mention` and `message` by channel+ts.
 */
import { type App, Assistant, type BlockAction, type Context, type webApi } from '@slack/bolt';
import { addressedToOthers, channelAllowed, stripMention } from '../../src/chat/conversation.ts';
import { answerFollowUp } from '../../src/chat/follow-up.ts';
import { retryBriefly } from '../../src/chat/rate-limit.ts';
import type { SuggestedPrompt } from '../../src/chat/suggestions.ts';
import { threadTitle } from '../../src/chat/thread-title.ts';
import { cleanQuestion, questionRefusal } from '../../src/engine/question.ts';
import { SHUTTING_DOWN_MESSAGE } from '../../src/lifecycle.ts';
import { type Logger, newRequestId } from '../../src/logger.ts';
import type { SlackAnswers, SlackAsk } from './answer.ts';
import { FEEDBACK_ACTION, greetingMessage } from './blocks.ts';
import { retryAfterMs } from './slack-errors.ts';
import { type BotIdentity, type IncomingMessage, readThread } from './thread.ts';

type WebClient = webApi.WebClient;

export interface ListenerDeps {
  answers: SlackAnswers;
  allowedChannels: string[];
  logger: Logger;
  /** Suggested questions for new assistant threads. */
  prompts: () => Promise<SuggestedPrompt[]>;
}

/** askdocs' own feedback buttons (the sources' `askdocs_feedback_up`/`_down`, Slack's `askdocs_feedback`). */
const FEEDBACK_ACTIONS = new RegExp(`^${FEEDBACK_ACTION}`);

export const USAGE =
  'Ask me about the docs: `/askdocs <your question>`, e.g. `/askdocs How do I create a collection?`\n' +
  'You can also mention me in a channel, reply in a thread I answered, or message me directly.';

export function registerListeners(app: App, deps: ListenerDeps): void {
  const { logger } = deps;
  const { delivery } = deps.answers;
  const { claims } = delivery;
  const answer = (ask: SlackAsk) => delivery.start(() => deps.answers.answer(ask));
  // Every delivery gets its request id first, so whatever is logged about it (a thread that
  // could not be read, a note that could not be posted) carries the id its answer will have.
  app.use(async ({ context, next }) => {
    context.requestId = newRequestId();
    await next();
  });
  const requestLogger = (context: Context) => {
    const requestId = requestIdOf(context);
    return requestId ? logger.child({ requestId }) : logger;
  };
  const ephemeral = async (
    client: WebClient,
    to: { channel: string; user?: string },
    threadTs: string | undefined,
    text: string,
    log: Logger,
  ) => {
    const note = { channel: to.channel, user: to.user as string, thread_ts: threadTs, text };
    await retryBriefly(() => client.chat.postEphemeral(note), retryAfterMs).catch((error: unknown) =>
      log.warn({ err: error, channel: to.channel }, 'slack: could not post an ephemeral note'),
    );
  };
  // A DM is known by what Slack says about the channel (`channel_type: im` on message
  // events, `channel_name: directmessage` on slash commands), never by its id's first
  // letter: any id can start with D, and a guess would bypass SLACK_ALLOWED_CHANNELS.
  const allowed = (channel: string, isDm = false) => channelAllowed(deps.allowedChannels, { id: channel, isDm });
  const notAllowedMessage = () =>
    `I only answer questions in ${deps.allowedChannels.map((id) => `<#${id}>`).join(', ')}. Ask me there or message me directly.`;

  // Slack redelivers events it thinks failed (X-Slack-Retry-Num); the event_id stays the same.
  app.use(async ({ body, context, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId !== 'string' || (await claims.claim(`event:${eventId}`))) return next();
    requestLogger(context).info(
      { eventId, retryNum: context.retryNum, retryReason: context.retryReason },
      'slack: duplicate delivery ignored',
    );
  });

  // A workspace or app without AI apps never sends these events; a refused call is logged, never shown.
  const quietly = (what: string, log: Logger) => (error: unknown) => log.warn({ err: error }, `slack assistant: could not ${what}`);
  // Registered before the message listener: Bolt's Assistant takes the messages of assistant threads.
  app.assistant(
    new Assistant({
      threadStarted: async ({ event, client, context, setSuggestedPrompts }) => {
        const { channel_id: channel, thread_ts } = event.assistant_thread;
        const log = requestLogger(context);
        await client.chat.postMessage({ channel, thread_ts, ...greetingMessage() }).catch(quietly('greet', log));
        const prompts = await deps.prompts();
        if (prompts.length > 0)
          await setSuggestedPrompts({ prompts: prompts as never, title: 'Try asking' }).catch(quietly('suggest', log));
      },
      // Answers come from the docs, not from the channel being viewed: nothing to keep (Bolt's
      // default would rewrite message metadata on every switch).
      threadContextChanged: async () => undefined,
      userMessage: async ({ message, client, context, setTitle }) => {
        const incoming = message as unknown as IncomingMessage;
        const bot: BotIdentity = { userId: context.botUserId, botId: context.botId };
        const text = stripMention(incoming.text ?? '', bot.userId);
        const threadTs = incoming.thread_ts;
        if (incoming.bot_id || !incoming.user || !threadTs || !(await claims.claim(messageKey(incoming)))) return;
        // Written to the bot, so never silence: nothing readable (a file alone, invisible characters) gets the how-to.
        const log = requestLogger(context);
        if (!text) return ephemeral(client, incoming, threadTs, USAGE, log);
        // Its first question titles the thread (the history list of the pane); one that is
        // refused (too long) is no title.
        if (!questionRefusal(text) && !(await delivery.threads.status(`${incoming.channel}:${threadTs}`)))
          void setTitle(threadTitle(text, 80)).catch(quietly('title', log));
        answer(askOf({ kind: 'assistant', client, message: incoming, text, threadTs, teamId: context.teamId, bot, context }));
      },
    }),
  );

  app.command(/^\/.+/, async ({ command, ack, respond, client, context }) => {
    // The request gate (request-guard.ts) already refuses a command without text over HTTP.
    // Control or zero-width characters alone are no question: never echoed in the channel.
    const text = cleanQuestion(command.text ?? '');
    // Everything before ack() is synchronous, so the ack is never late.
    if (!text) return ack({ response_type: 'ephemeral', text: USAGE });
    // Refused privately before the question is echoed in the channel.
    const refusal = questionRefusal(text);
    if (refusal) return ack({ response_type: 'ephemeral', text: refusal });
    if (!allowed(command.channel_id, command.channel_name === 'directmessage'))
      return ack({ response_type: 'ephemeral', text: notAllowedMessage() });
    if (!delivery.accepting()) return ack({ response_type: 'ephemeral', text: SHUTTING_DOWN_MESSAGE });
    // Over HTTP the request gate already counts this ack (request-guard.ts); in Socket Mode only this does.
    await delivery.acks.around(() => ack());
    if (!(await claims.claim(`command:${command.trigger_id}`))) return;
    answer({
      kind: 'slash',
      client,
      channel: command.channel_id,
      userId: command.user_id,
      teamId: command.team_id,
      text,
      requestId: requestIdOf(context),
      notify: (note) => respond({ response_type: 'ephemeral', replace_original: false, text: note }).then(() => undefined),
    });
  });

  app.event('app_mention', async ({ event, client, context }) => {
    const message = event as unknown as IncomingMessage;
    if (message.bot_id || message.subtype || !message.user) return;
    const bot: BotIdentity = { userId: context.botUserId, botId: context.botId };
    const threadTs = message.thread_ts ?? message.ts;
    const log = requestLogger(context);
    if (!allowed(message.channel)) return ephemeral(client, message, threadTs, notAllowedMessage(), log);
    if (!(await claims.claim(messageKey(message)))) return;
    const text = stripMention(message.text ?? '', bot.userId);
    if (!text) return ephemeral(client, message, threadTs, USAGE, log);
    answer(askOf({ kind: 'mention', client, message, text, threadTs, teamId: context.teamId, bot, context }));
  });

  app.event('message', async ({ event, client, context }) => {
    const message = event as unknown as IncomingMessage;
    // Edits, joins, bot posts and our own messages are never questions.
    if (message.subtype && message.subtype !== 'thread_broadcast' && message.subtype !== 'file_share') return;
    if (message.bot_id || !message.user || message.user === context.botUserId) return;
    const bot: BotIdentity = { userId: context.botUserId, botId: context.botId };
    const text = stripMention(message.text ?? '', bot.userId);
    const log = requestLogger(context);

    if (message.channel_type === 'im') {
      if (!(await claims.claim(messageKey(message)))) return;
      // Written to the bot, so never silence: nothing readable (a file alone, invisible characters) gets the how-to.
      if (!text) return ephemeral(client, message, message.thread_ts, USAGE, log);
      return answer(askOf({ kind: 'dm', client, message, text, teamId: context.teamId, bot, context }));
    }
    if (!text) return;

    // In channels, only follow-ups in threads the bot takes part in.
    const threadTs = message.thread_ts;
    if (!threadTs || threadTs === message.ts || !allowed(message.channel)) return;
    // A mention arrives as app_mention too; that listener answers it.
    if (bot.userId && message.text?.includes(`<@${bot.userId}>`)) return;
    if (addressedToOthers(mentionedUsers(message.text ?? ''), { bot: bot.userId, author: message.user })) return;
    await answerFollowUp(delivery, {
      thread: `${message.channel}:${threadTs}`,
      claim: messageKey(message),
      read: () => readThread(client, { channel: message.channel, threadTs, beforeTs: message.ts, bot }),
      answer: (history) =>
        deps.answers.answer(askOf({ kind: 'thread', client, message, text, threadTs, teamId: context.teamId, bot, context }, history)),
      refuse: (note) => ephemeral(client, message, threadTs, note, log),
      logger: log.child({ channel: message.channel }),
    });
  });

  // The sources' 👍/👎 buttons and Slack's feedback buttons on a streamed answer: the value is the vote.
  app.action<BlockAction>(FEEDBACK_ACTIONS, async ({ ack, body, action, client, context }) => {
    await ack();
    const log = requestLogger(context);
    // Slack always says where the clicked message is; a payload that does not (a proxy that
    // trimmed it, a forged body) names no answer to rate and nowhere to reply, so it is dropped.
    const channel: string | undefined = body.channel?.id ?? body.container?.channel_id;
    const messageTs: string | undefined = body.message?.ts ?? body.container?.message_ts;
    const userId: string | undefined = body.user?.id;
    if (!channel || !messageTs || !userId) {
      log.warn({ channel, messageTs, user: userId }, 'slack: feedback click without a channel or message; ignored');
      return;
    }
    const vote = (action as { value?: string }).value;
    if (vote !== 'up' && vote !== 'down') return;
    const recorded = await delivery.recordVote({ answerRef: `${channel}:${messageTs}`, userId, vote }, log);
    const thanks = vote === 'up' ? 'Thanks for the feedback! 👍' : "Thanks — I'll use that to get better. 👎";
    const note = recorded ? thanks : "Sorry, I couldn't record your feedback. Please try again later.";
    await ephemeral(client, { channel, user: userId }, body.message?.thread_ts ?? body.container?.thread_ts, note, log);
  });

  // Last: interactivity askdocs has no handler for (a shortcut or button left in the app's
  // configuration, a link button, a stale message). Bolt acks none of it, so Slack would show
  // the user an error after 3 s and Bolt log one; acked at once, it is nothing to act on.
  // Bolt runs every matching listener, so what a listener above handles is skipped here: two
  // acks of one request would be an error of their own.
  const unhandled = (what: Record<string, unknown>) => logger.debug(what, 'slack: interactivity askdocs does not handle; acknowledged');
  app.shortcut({}, async ({ ack, shortcut }) => {
    await ack();
    unhandled({ type: shortcut.type, callbackId: shortcut.callback_id, user: shortcut.user?.id });
  });
  app.action({}, async ({ ack, body, action }) => {
    const actionId = (action as { action_id?: unknown }).action_id;
    if (body.type === 'block_actions' && typeof actionId === 'string' && FEEDBACK_ACTIONS.test(actionId)) return;
    await ack();
    unhandled({ type: body.type, actionId, user: body.user?.id });
  });
  app.view({}, async ({ ack, body }) => {
    await ack();
    unhandled({ type: body.type, callbackId: body.view?.callback_id, user: body.user?.id });
  });
  app.options({}, async ({ ack, body }) => {
    await ack({ options: [] });
    unhandled({ type: body.type, user: body.user?.id });
  });

  /** A question from a message; `history` defaults to the thread's earlier messages (read once admitted). */
  function askOf(start: Start, history?: SlackAsk['history']): SlackAsk {
    const { kind, client, message, text, threadTs } = start;
    // Only a reply inside an existing thread has history worth reading.
    const thread = message.thread_ts;
    const read = { channel: message.channel, threadTs: thread as string, beforeTs: message.ts, bot: start.bot };
    return {
      kind,
      client,
      text,
      threadTs,
      channel: message.channel,
      userId: message.user as string,
      teamId: start.teamId ?? message.team,
      requestId: requestIdOf(start.context),
      history: history ?? (async () => (thread ? (await readThread(client, read)).history : [])),
    };
  }
}

/** A question from a message event. */
type Start = Pick<SlackAsk, 'kind' | 'client' | 'text' | 'threadTs' | 'teamId'> & {
  message: IncomingMessage;
  bot: BotIdentity;
  /** Bolt's context of the delivery, holding its request id. */
  context: Context;
};

/** The id the first middleware gave the delivery. */
function requestIdOf(context: Context): string | undefined {
  return typeof context.requestId === 'string' ? context.requestId : undefined;
}

function messageKey(message: { channel: string; ts: string }): string {
  return `message:${message.channel}:${message.ts}`;
}

/** The users a Slack message mentions: `<@U123>` and `<@U123|name>` in its text. */
function mentionedUsers(text: string): string[] {
  return [...text.matchAll(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)].map((match) => match[1]!);
}
