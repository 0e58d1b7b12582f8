/**
 * Answers one question on Discord, whatever started it (/askdocs, a mention, a thread
 * follow-up, a DM): streams the engine's text into a message series (throttled edits,
 * split at 2000 characters), then posts the sources with 👍/👎 buttons where the
 * conversation continues, and records the answer for feedback. Any failure ends in a
 * plain message to the user, never silence.
 */
import { runChatAnswer } from '../../src/chat/session.ts';
import type { Turn } from '../../src/engine/types.ts';
import { userMessageOf } from '../../src/errors.ts';
import { feedbackSourcesFrom } from '../../src/feedback/store.ts';
import { SHUTTING_DOWN_MESSAGE } from '../../src/lifecycle.ts';
import type { Logger } from '../../src/logger.ts';
import type { OutgoingMessage } from './api.ts';
import type { BotContext } from './context.ts';
import { answerParts, sourcesMessage } from './render.ts';
import type { MessageSeries } from './series.ts';

/** Longest an answer waits for a burst of slash-command acknowledgements to go out first. */
const ACKS_FIRST_MAX_WAIT_MS = 500;

const EMPTY_ANSWER_TEXT = "I couldn't put an answer together for this one. Please try rephrasing the question.";

export interface AnswerJob {
  question: string;
  history: Turn[];
  userId: string;
  /** Where the question was asked (channel, thread or DM). */
  channelId: string;
  requestId: string;
  logger: Logger;
}

export type PostMessage = (message: OutgoingMessage) => Promise<unknown>;

export interface AnswerOutlet {
  series: MessageSeries;
  /**
   * Where the sources and buttons go once the answer text is complete; may open a thread
   * on the answer's first message (the /askdocs flow).
   */
  followUpTarget(answer: { messageId: string; text: string }): Promise<PostMessage>;
}

export async function deliverAnswer(ctx: BotContext, job: AnswerJob, outlet: AnswerOutlet): Promise<void> {
  const { logger } = job;
  const started = performance.now();
  // One signal per question, linked to shutdown and unlinked afterwards (no listener pile-up on the shared signal).
  const cancel = new AbortController();
  const onShutdown = () => cancel.abort(ctx.shutdownSignal.reason);
  ctx.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
  try {
    await ctx.acks.settled(ACKS_FIRST_MAX_WAIT_MS);
    const answer = await runChatAnswer(
      ctx.engine,
      {
        text: job.question,
        history: job.history,
        scope: { platform: 'discord', userId: job.userId, channelId: job.channelId },
        requestId: job.requestId,
        signal: cancel.signal,
      },
      {
        onText: (textSoFar) => outlet.series.show(answerParts(textSoFar)),
        textIntervalMs: ctx.options.textIntervalMs,
      },
    );
    if (answer.textUpdateFailure) logger.warn({ err: answer.textUpdateFailure }, 'streaming an answer update failed');
    const parts = answerParts(answer.text);
    await outlet.series.show(parts.length > 0 ? parts : [EMPTY_ANSWER_TEXT]);
    const messageId = outlet.series.firstId as string;

    try {
      await ctx.feedback?.saveAnswer({
        platform: 'discord',
        messageRef: messageId,
        question: job.question,
        answer: answer.text,
        sources: feedbackSourcesFrom(answer.citations),
        requestId: job.requestId,
        channelId: job.channelId,
        userId: job.userId,
      });
    } catch (error) {
      // The answer is out; a click on it will then say the vote could not be recorded.
      logger.error({ err: error }, 'feedback: could not save the answer');
    }
    const post = await outlet.followUpTarget({ messageId, text: answer.text });
    await post(sourcesMessage(answer.citations, { abstained: answer.abstained, answerRef: messageId }));
    logger.info(
      {
        ms: Math.round(performance.now() - started),
        mode: answer.mode,
        citations: answer.citations.length,
        parts: outlet.series.messageIds.length,
      },
      'answered',
    );
  } catch (error) {
    logger.error({ err: error, ms: Math.round(performance.now() - started) }, 'answer failed');
    const text = ctx.shutdownSignal.aborted ? SHUTTING_DOWN_MESSAGE : userMessageOf(error);
    await showFailure(outlet.series, text, logger);
  } finally {
    ctx.shutdownSignal.removeEventListener('abort', onShutdown);
  }
}

/** Shows a failure as its own plain message after whatever part of the answer is already visible. */
export async function showFailure(series: MessageSeries, text: string, logger: Logger): Promise<void> {
  try {
    await series.append(`⚠️ ${text}`);
  } catch (error) {
    logger.error({ err: error }, 'could not show the failure message either');
  }
}
