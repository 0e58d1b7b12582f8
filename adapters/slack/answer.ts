/**
 * Answers one Slack question end to end: admission (per-user/channel limits), something
 * visible at once, the answer streamed as it is generated, the sources reply with
 * feedback buttons, and a plain message in the thread whenever anything fails.
 *
 *   const answerer = new SlackAnswerer({ engine, limits, threads, feedback, logger });
 *   await answerer.answer(ask, signal);   // never throws
 */
import type { webApi } from '@slack/bolt';

type WebClient = webApi.WebClient;

import type { AcknowledgementsFirst } from '../../src/chat/ack-first.ts';
import type { ChatLimits } from '../../src/chat/limits.ts';
import { type ChatAnswer, runChatAnswer } from '../../src/chat/session.ts';
import { sourceEntries } from '../../src/chat/sources.ts';
import type { Engine, Turn } from '../../src/engine/types.ts';
import { userMessageOf } from '../../src/errors.ts';
import { type FeedbackRecorder, feedbackSourcesFrom } from '../../src/feedback/store.ts';
import { SHUTTING_DOWN_MESSAGE } from '../../src/lifecycle.ts';
import type { Logger } from '../../src/logger.ts';
import type { ThreadParticipation } from '../../src/state/thread-participation.ts';
import { MAX_SOURCE_BLOCKS, slashMessage, sourcesMessage } from './blocks.ts';
import { classifySlackError, isSlackError, slackFailureMessage, streamingUnsupported } from './slack-errors.ts';
import { type AnswerWriter, postPlain, StreamWriter, UpdateWriter } from './writers.ts';

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

export interface SlackAnswererDeps {
  engine: Engine;
  /** Answers start only once pending acknowledgements are out (see src/chat/ack-first.ts). */
  acks?: AcknowledgementsFirst;
  limits: ChatLimits;
  threads: ThreadParticipation;
  feedback?: FeedbackRecorder;
  logger: Logger;
  /** Use chat streaming when Slack allows it (default true). */
  streaming?: boolean;
  /** A client without retries for `chat.startStream` (see StreamWriterOptions.startClient). */
  streamStarter?: WebClient;
}

/** The longest an answer waits for a burst's acknowledgements to go out first. */
const ACKS_FIRST_MAX_WAIT_MS = 500;

const CANNOT_POST = "I couldn't post in this conversation. If it's a channel, invite me with `/invite @askdocs` and ask again.";
/** After Slack refuses streaming, use chat.update for a while before trying again. */
const STREAMING_RETRY_MS = 10 * 60_000;

export class SlackAnswerer {
  private readonly deps: SlackAnswererDeps;
  private streamingOffUntil = 0;

  constructor(deps: SlackAnswererDeps) {
    this.deps = deps;
    if (deps.streaming === false) this.streamingOffUntil = Number.POSITIVE_INFINITY;
  }

  async answer(ask: SlackAsk, signal: AbortSignal): Promise<void> {
    await this.deps.acks?.settled(ACKS_FIRST_MAX_WAIT_MS);
    const log = this.deps.logger.child({ requestId: ask.requestId, kind: ask.kind, channel: ask.channel, user: ask.userId });
    const admission = await this.deps.limits.admit({ userId: ask.userId, channelId: ask.channel });
    if (!admission.ok) {
      log.info({ reason: admission.reason }, 'slack: question refused by limits');
      await this.safeNotify(ask, admission.message, log);
      return;
    }
    try {
      let writer: AnswerWriter;
      try {
        writer = await this.openWriter(ask, log);
      } catch (error) {
        log.warn({ err: error, slack: classifySlackError(error) }, 'slack: could not post the answer message');
        await this.safeNotify(ask, isCannotPost(error) ? CANNOT_POST : slackFailureMessage(error), log);
        return;
      }
      await this.generate(ask, writer, signal, log);
    } finally {
      admission.release();
    }
  }

  private async generate(ask: SlackAsk, writer: AnswerWriter, signal: AbortSignal, log: Logger): Promise<void> {
    let answer: ChatAnswer;
    try {
      const history = await ask.history().catch((error: unknown) => {
        log.warn({ err: error }, 'slack: could not read the thread; answering without history');
        return [];
      });
      answer = await runChatAnswer(
        this.deps.engine,
        {
          text: ask.text,
          history,
          scope: { platform: 'slack', userId: ask.userId, channelId: ask.channel },
          requestId: ask.requestId,
          signal,
        },
        { onText: (text) => writer.progress(text), textIntervalMs: writer.progressIntervalMs },
      );
      if (answer.textUpdateFailure) log.warn({ err: answer.textUpdateFailure }, 'slack: live updates stopped; posting the final answer');
      await writer.finish(answer.text);
    } catch (error) {
      const message = signal.aborted ? SHUTTING_DOWN_MESSAGE : isSlackError(error) ? slackFailureMessage(error) : userMessageOf(error);
      log.error({ err: error, slack: classifySlackError(error) }, 'slack: answering failed');
      await writer.fail(message);
      return;
    }
    const threadTs = writer.threadTs();
    if (threadTs) await this.deps.threads.markJoined(ask.channel, threadTs);
    try {
      await this.postSources(ask, answer, threadTs);
    } catch (error) {
      log.error({ err: error, slack: classifySlackError(error) }, 'slack: could not post the sources');
      await postPlain(
        ask.client,
        ask.channel,
        threadTs,
        "I answered above but couldn't post the sources. Please ask again if you need them.",
        log,
      );
    }
    log.info({ mode: answer.mode, writer: writer.mode, citations: answer.citations.length }, 'slack: answered');
  }

  private async openWriter(ask: SlackAsk, log: Logger): Promise<AnswerWriter> {
    if (ask.threadTs && Date.now() >= this.streamingOffUntil) {
      const stream = new StreamWriter(ask.client, {
        startClient: this.deps.streamStarter,
        channel: ask.channel,
        threadTs: ask.threadTs,
        recipientUserId: ask.userId,
        recipientTeamId: ask.teamId,
        logger: log,
      });
      try {
        await stream.begin();
        return stream;
      } catch (error) {
        if (streamingUnsupported(error)) {
          this.streamingOffUntil = Date.now() + STREAMING_RETRY_MS;
          log.info({ slack: classifySlackError(error) }, 'slack: chat streaming unavailable; using chat.update');
        } else {
          log.warn({ err: error, slack: classifySlackError(error) }, 'slack: chat.startStream failed; using chat.update');
        }
      }
    }
    const writer = new UpdateWriter(ask.client, {
      channel: ask.channel,
      threadTs: ask.threadTs,
      renderFirst:
        ask.kind === 'slash' ? (mrkdwn) => slashMessage({ userId: ask.userId, question: ask.text, answerMrkdwn: mrkdwn }) : undefined,
      logger: log,
    });
    await writer.begin();
    return writer;
  }

  private async postSources(ask: SlackAsk, answer: ChatAnswer, threadTs: string | undefined): Promise<void> {
    const content = sourcesMessage(sourceEntries(answer.citations, { maxEntries: MAX_SOURCE_BLOCKS }), {
      abstained: answer.abstained,
    });
    const posted = await ask.client.chat.postMessage({
      channel: ask.channel,
      thread_ts: threadTs,
      text: content.text,
      blocks: content.blocks as never,
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!posted.ts || !this.deps.feedback) return;
    // Saved now so a click, even after a restart, knows which question and answer it rates.
    try {
      await this.saveForFeedback(ask, answer, posted.ts);
    } catch (error) {
      this.deps.logger.error({ err: error, requestId: ask.requestId }, 'feedback: could not save the answer');
    }
  }

  private async saveForFeedback(ask: SlackAsk, answer: ChatAnswer, sourcesTs: string): Promise<void> {
    await this.deps.feedback?.saveAnswer({
      platform: 'slack',
      messageRef: `${ask.channel}:${sourcesTs}`,
      channelId: ask.channel,
      userId: ask.userId,
      question: ask.text,
      answer: answer.text,
      sources: feedbackSourcesFrom(answer.citations),
      requestId: answer.requestId,
    });
  }

  private async safeNotify(ask: SlackAsk, message: string, log: Logger): Promise<void> {
    try {
      await ask.notify(message);
    } catch (error) {
      log.warn({ err: error }, 'slack: could not notify the user privately; posting in the thread');
      await postPlain(ask.client, ask.channel, ask.threadTs, message, log);
    }
  }
}

function isCannotPost(error: unknown): boolean {
  const failure = classifySlackError(error);
  return (
    failure?.kind === 'platform' && ['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action'].includes(failure.error)
  );
}
