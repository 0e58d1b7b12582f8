/**
 * One Slack question as a job for the delivery layer (src/chat/delivery.ts), which does the
 * rest (admission, the answer, sources, feedback, failures). What is Slack's own:
 *
 *   - in threads the answer streams with chat streaming and ends with Slack's 👍/👎; where
 *     Slack refuses, a placeholder edited with chat.update, the sources carrying the buttons;
 *   - in threads, the assistant status line says what the bot is doing, where Slack allows;
 *   - a slash command's answer shows who asked what on top;
 *   - refusals are ephemeral; a failure Slack caused has its own plain message;
 *   - a call Slack rate-limits briefly is made again after its Retry-After, a longer limit
 *     fails that call alone (src/chat/rate-limit.ts), never the other answers.
 */
import type { webApi } from '@slack/bolt';
import { SeriesView, StreamPreference, StreamView } from '../../src/chat/answer-view.ts';
import type { AskJob, ChatDelivery } from '../../src/chat/delivery.ts';
import { OptionalFeature } from '../../src/chat/optional-feature.ts';
import { retryBriefly } from '../../src/chat/rate-limit.ts';
import { sourceEntries } from '../../src/chat/sources.ts';
import { WorkingStatus } from '../../src/chat/status.ts';
import type { Turn } from '../../src/engine/types.ts';
import { type Logger, newRequestId } from '../../src/logger.ts';
import { MAX_SOURCE_BLOCKS, PLACEHOLDER, slackRenderer, slashMessage, sourcesMessage } from './blocks.ts';
import { escapeMrkdwn } from './mrkdwn.ts';
import { classifySlackError, retryAfterMs, slackFailureMessage, unsupportedHere } from './slack-errors.ts';
import { SlackLimits, SlackMessages, SlackStream } from './transport.ts';

type WebClient = webApi.WebClient;

export interface SlackAsk {
  kind: 'slash' | 'mention' | 'thread' | 'dm' | 'assistant';
  client: WebClient;
  channel: string;
  userId: string;
  teamId?: string;
  /** The question, with the bot mention removed. */
  text: string;
  /** Thread to answer in; undefined starts a new top-level message (slash commands, DMs). */
  threadTs?: string;
  /** Earlier turns of the thread, read once the question is admitted; default: none. */
  history?: () => Promise<Turn[]>;
  /** The delivery's request id, when it was logged about before it became a question. */
  requestId?: string;
  /** Tells only the asker something; default: an ephemeral message in the thread. */
  notify?: (message: string) => Promise<void>;
}

const CANNOT_POST = "I couldn't post in this conversation. If it's a channel, invite me with `/invite @askdocs` and ask again.";
const CANNOT_POST_ERRORS = ['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action'];
/** After Slack refuses a feature (streaming, the status line), do without it for a while before trying again. */
const FEATURE_RETRY_MS = 10 * 60_000;
const plain = slackRenderer();

export class SlackAnswers {
  readonly #streaming = new StreamPreference({ retryMs: FEATURE_RETRY_MS, unsupported: unsupportedHere });
  readonly #statusLine = new OptionalFeature({ retryMs: FEATURE_RETRY_MS, unsupported: unsupportedHere });
  readonly #limits = new SlackLimits();

  /** `streamStarter`: a client without retries for `chat.startStream` (see SlackStream). */
  constructor(
    readonly delivery: ChatDelivery,
    private readonly logger: Logger,
    private readonly streamStarter?: WebClient,
  ) {}

  /** Answers one question; never throws. */
  answer(ask: SlackAsk): Promise<void> {
    return this.delivery.answer(this.#job(ask));
  }

  #job(ask: SlackAsk): AskJob {
    const { client, channel, threadTs } = ask;
    const requestId = ask.requestId ?? newRequestId();
    const logger = this.logger.child({ requestId, kind: ask.kind, channel, user: ask.userId });
    const target = { channel, threadTs, userId: ask.userId, teamId: ask.teamId };
    const messages = new SlackMessages(client, target, this.#limits);
    const starter = this.streamStarter ?? client;
    const stream = threadTs ? new SlackStream(client, starter, { ...target, threadTs }, this.#limits) : undefined;
    const slash = (mrkdwn: string) => slashMessage({ userId: ask.userId, question: ask.text, answerMrkdwn: mrkdwn });
    const open = () =>
      this.#streaming.openEither(
        stream && (() => new StreamView(stream, messages, plain, logger)),
        () => new SeriesView(messages, ask.kind === 'slash' ? slackRenderer(slash) : plain, logger),
        PLACEHOLDER,
        logger,
      );
    return {
      question: ask.text,
      userId: ask.userId,
      channelId: channel,
      requestId,
      logger,
      history: ask.history ?? (async () => []),
      open,
      openFailure: (error) => {
        const failure = classifySlackError(error);
        return failure?.kind === 'platform' && CANNOT_POST_ERRORS.includes(failure.error) ? CANNOT_POST : undefined;
      },
      postSources: async (answer) => {
        const sourcesTs = messages.threadTs();
        if (sourcesTs) await this.delivery.threads.markJoined(`${channel}:${sourcesTs}`);
        const entries = sourceEntries(answer.citations, { maxEntries: MAX_SOURCE_BLOCKS });
        // Votes refer to the message whose buttons were clicked: the streamed answer's own, or the sources'.
        const voted = stream?.feedbackTs;
        const sources = sourcesMessage(entries, { abstained: answer.abstained, buttons: !voted });
        const ts = await retryBriefly(() => messages.post(sources, 1), retryAfterMs);
        return `${channel}:${voted ?? ts}`;
      },
      // The thread's root: the asker's (mentions, follow-ups) or the answer's own (slash commands, DMs).
      thread: () => ({ workspaceId: ask.teamId, messageId: threadTs ?? messages.threadTs() }),
      notify: async (text) => {
        const note = { channel, user: ask.userId, thread_ts: threadTs, text };
        await (ask.notify?.(text) ?? retryBriefly(() => client.chat.postEphemeral(note), retryAfterMs));
      },
      say: (text) => retryBriefly(() => messages.post({ text: escapeMrkdwn(text) }, 1), retryAfterMs),
      platformFailure: (error) => (classifySlackError(error) ? slackFailureMessage(error) : undefined),
      status: threadTs
        ? new WorkingStatus(
            (status) => client.assistant.threads.setStatus({ channel_id: channel, thread_ts: threadTs, status }),
            this.#statusLine,
            logger,
          )
        : undefined,
    };
  }
}
