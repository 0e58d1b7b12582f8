/**
 * One Slack question as a job for the delivery layer (src/chat/delivery.ts), which does
 * the rest: admission, the answer, sources, feedback, failures. What is Slack's own:
 *
 *   - the answer streams with chat streaming in threads when Slack allows it (after a
 *     refusal, chat.update for a while), else as a placeholder edited with chat.update;
 *   - a slash command's answer shows who asked what on top;
 *   - refusals are ephemeral; a failure Slack caused has its own plain message.
 *
 *   const answers = new SlackAnswers({ delivery, logger, streamStarter });
 *   delivery.start(() => answers.answer(ask));
 */
import type { webApi } from '@slack/bolt';
import { type AnswerView, SeriesView, StreamPreference, StreamView } from '../../src/chat/answer-view.ts';
import type { AskJob, ChatDelivery } from '../../src/chat/delivery.ts';
import type { ChatAnswer } from '../../src/chat/session.ts';
import { sourceEntries } from '../../src/chat/sources.ts';
import type { Turn } from '../../src/engine/types.ts';
import type { Logger } from '../../src/logger.ts';
import { MAX_SOURCE_BLOCKS, PLACEHOLDER, slackRenderer, slashMessage, sourcesMessage } from './blocks.ts';
import { escapeMrkdwn } from './mrkdwn.ts';
import { classifySlackError, isSlackError, slackFailureMessage, streamingUnsupported } from './slack-errors.ts';
import { SlackMessages, SlackStream } from './transport.ts';

type WebClient = webApi.WebClient;

export interface SlackAsk {
  kind: 'slash' | 'mention' | 'thread' | 'dm';
  client: WebClient;
  channel: string;
  userId: string;
  teamId?: string;
  /** The question, with the bot mention removed. */
  text: string;
  /** Thread to answer in; undefined starts a new top-level message (slash commands, DMs). */
  threadTs?: string;
  /** Earlier turns of the thread; loaded lazily so the listener returns at once. */
  history: () => Promise<Turn[]>;
  /** Tells only the asker something (ephemeral). */
  notify: (message: string) => Promise<void>;
  requestId: string;
}

export interface SlackAnswersDeps {
  delivery: ChatDelivery;
  logger: Logger;
  /** Use chat streaming when Slack allows it (default true). */
  streaming?: boolean;
  /** A client without retries for `chat.startStream` (see SlackStream). */
  streamStarter?: WebClient;
}

const CANNOT_POST = "I couldn't post in this conversation. If it's a channel, invite me with `/invite @askdocs` and ask again.";
/** After Slack refuses streaming, use chat.update for a while before trying again. */
const STREAMING_RETRY_MS = 10 * 60_000;
const plain = slackRenderer();

export class SlackAnswers {
  readonly #deps: SlackAnswersDeps;
  readonly #streaming: StreamPreference;

  constructor(deps: SlackAnswersDeps) {
    this.#deps = deps;
    this.#streaming = new StreamPreference({
      enabled: deps.streaming !== false,
      retryMs: STREAMING_RETRY_MS,
      unsupported: streamingUnsupported,
    });
  }

  /** Answers one question; never throws. */
  answer(ask: SlackAsk): Promise<void> {
    return this.#deps.delivery.answer(this.#job(ask));
  }

  #job(ask: SlackAsk): AskJob {
    const logger = this.#deps.logger.child({ requestId: ask.requestId, kind: ask.kind, channel: ask.channel, user: ask.userId });
    const messages = new SlackMessages(ask.client, { channel: ask.channel, threadTs: ask.threadTs });
    return {
      question: ask.text,
      userId: ask.userId,
      channelId: ask.channel,
      requestId: ask.requestId,
      logger,
      history: ask.history,
      open: () => this.#open(ask, messages, logger),
      openFailure: (error) => (isCannotPost(error) ? CANNOT_POST : slackFailureMessage(error)),
      postSources: (answer) => this.#postSources(ask, messages, answer),
      // The thread's root: the asker's (mentions, follow-ups) or the answer's own (slash commands, DMs).
      thread: () => ({ workspaceId: ask.teamId, messageId: ask.threadTs ?? messages.threadTs() }),
      notify: async (text) => {
        try {
          await ask.notify(text);
        } catch (error) {
          logger.warn({ err: error }, 'slack: could not notify the user privately; posting in the thread');
          await messages.post({ text: escapeMrkdwn(text) }, 1);
        }
      },
      platformFailure: (error) => (isSlackError(error) ? slackFailureMessage(error) : undefined),
    };
  }

  async #open(ask: SlackAsk, messages: SlackMessages, logger: Logger): Promise<AnswerView> {
    const { threadTs } = ask;
    if (threadTs) {
      const target = { channel: ask.channel, threadTs, recipientUserId: ask.userId, recipientTeamId: ask.teamId };
      const stream = await this.#streaming.open(
        () => new StreamView(new SlackStream(ask.client, this.#deps.streamStarter, target), messages, plain, logger),
        logger,
      );
      if (stream) return stream;
    }
    const renderer =
      ask.kind === 'slash'
        ? slackRenderer((mrkdwn) => slashMessage({ userId: ask.userId, question: ask.text, answerMrkdwn: mrkdwn }))
        : plain;
    const view = new SeriesView(messages, renderer, logger);
    await view.open(PLACEHOLDER);
    return view;
  }

  async #postSources(ask: SlackAsk, messages: SlackMessages, answer: ChatAnswer): Promise<string> {
    const threadTs = messages.threadTs();
    if (threadTs) await this.#deps.delivery.threads.markJoined(`${ask.channel}:${threadTs}`);
    const entries = sourceEntries(answer.citations, { maxEntries: MAX_SOURCE_BLOCKS });
    const ts = await messages.post(sourcesMessage(entries, { abstained: answer.abstained }), 1);
    return `${ask.channel}:${ts}`;
  }
}

function isCannotPost(error: unknown): boolean {
  const failure = classifySlackError(error);
  return (
    failure?.kind === 'platform' && ['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action'].includes(failure.error)
  );
}
