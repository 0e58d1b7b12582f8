/**
 * The platform-neutral answer-delivery layer: everything between a platform's event and
 * the engine that is the same on every chat surface. It owns
 *
 *   - admission: no new questions while shutting down, then the per-user/channel limits;
 *   - acknowledgements first: answers wait (bounded) while a burst's acks go out;
 *   - in-flight tracking on the one lifecycle (src/lifecycle.ts), whose drain deadline
 *     aborts what is still running;
 *   - event claims (one answer per platform event), thread memory, the answer itself
 *     (streamed into the platform's `AnswerView`), the sources reply, feedback recording
 *     and its metric, and the plain failure text.
 *
 * Claims, limits, thread participation and feedback are state that replicas share
 * through Redis (src/state/chat-state.ts); a bot is handed them once, here, and uses
 * this process's own when not.
 *
 * A platform supplies what differs: where messages go and what they look like (a
 * transport and a renderer, built into an `AnswerView`; see answer-view.ts), plus how it
 * tells one user something privately.
 *
 *   const delivery = new ChatDelivery({ platform: 'discord', engine, config, logger, lifecycle });
 *   delivery.start(() => delivery.answer(job));   // tracked by the lifecycle; never throws
 *   const bot = delivery.register(() => client.destroy(), () => client.isReady());
 */
import type { Config } from '../config.ts';
import { questionRefusal } from '../engine/question.ts';
import type { Engine, Platform, ThreadRef, Turn } from '../engine/types.ts';
import { userMessageOf } from '../errors.ts';
import { AnswerSavedLaterError, type FeedbackRecorder, feedbackSourcesFrom, UnknownAnswerError, type Vote } from '../feedback/store.ts';
import { createLifecycle, type Lifecycle, SHUTTING_DOWN_MESSAGE } from '../lifecycle.ts';
import type { Logger } from '../logger.ts';
import type { AskdocsMetrics } from '../observability/metrics.ts';
import { type Claims, localClaims } from '../state/claims.ts';
import type { ThreadParticipation } from '../state/thread-participation.ts';
import { AcknowledgementsFirst } from './ack-first.ts';
import type { AnswerView } from './answer-view.ts';
import { type Admission, ChatLimits } from './limits.ts';
import { type ChatAnswer, runChatAnswer } from './session.ts';
import type { WorkingStatus } from './status.ts';
import { ThreadMemory } from './threads.ts';

/** The longest an answer waits for a burst's acknowledgements to go out first. */
const ACKS_FIRST_MAX_WAIT_MS = 500;

export const SOURCES_FAILED_TEXT = "I answered above but couldn't post the sources. Please ask again if you need them.";

/** What every chat bot is built from. */
export interface ChatBotDeps {
  engine: Engine;
  config: Config;
  logger: Logger;
  /** Where answers are saved for 👍/👎 and votes recorded (shared by all platforms); without it votes get an apology. */
  feedback?: FeedbackRecorder;
  /** Event claims (src/state/claims.ts); shared through Redis when replicas run. Default: this process. */
  claims?: Claims;
  /** Question limits; shared through Redis when replicas run. Default: this process, from config. */
  limits?: ChatLimits;
  /** Which threads the bot takes part in; shared through Redis when replicas run. Default: this process. */
  threads?: ThreadParticipation;
  /** The process lifecycle the bot registers with; a bot run on its own (tests, embedding) gets one of its own. */
  lifecycle?: Lifecycle;
  /** Where votes are counted (the runtime's /metrics registry); none when absent. */
  metrics?: Pick<AskdocsMetrics, 'feedback'>;
}

/** What every chat bot offers the process that runs it. */
export interface ChatBot {
  /** True while connected and taking questions (the readiness check). */
  isReady(): boolean;
  /** Answers in flight. */
  inFlight(): number;
  /** Shuts the bot's lifecycle down: no new questions, answers in flight finish (bounded), then it disconnects. */
  stop(): Promise<void>;
}

export interface ChatDeliveryDeps extends ChatBotDeps {
  platform: Extract<Platform, 'slack' | 'discord'>;
  /** Bound on waiting for answers in flight when the bot's own lifecycle shuts down (default SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs?: number;
  /** How long after the last acknowledgement answers still wait (Slack: requests of a burst are still on the wire). */
  ackQuietMs?: number;
}

/** One admitted question, as the platform hands it over. */
export interface AnswerJob {
  question: string;
  userId: string;
  /** Where it was asked; the channel the limits count it against. */
  channelId: string;
  requestId: string;
  logger: Logger;
  /** performance.now() when the question arrived (default: when `answer`, else `deliver`, began); logged times count from it. */
  receivedAt?: number;
  /** Earlier turns of the conversation; read only once the question is admitted. */
  history(): Promise<Turn[]>;
  /** Posts the sources and feedback buttons; resolves with the reference a vote on them carries. */
  postSources(answer: ChatAnswer): Promise<string | undefined>;
  /** Where the conversation can be opened again (the gaps digest links to it); read once the answer's view is open. */
  thread?(): ThreadRef | undefined;
  /** The user text for a failure the platform (not the engine) caused; undefined when it is not one. */
  platformFailure?(error: unknown): string | undefined;
  /** A status line the platform shows while the answer is prepared (status.ts). */
  status?: WorkingStatus;
}

/** A question still to be admitted, and how to show its answer. */
export interface AskJob extends AnswerJob {
  /** Makes something visible at once; throws when the platform refuses (the asker is then told privately). */
  open(): Promise<AnswerView>;
  /** The private note for a failed `open` (e.g. "invite me to the channel"); default: the platform's failure text, else the error's. */
  openFailure?(error: unknown): string | undefined;
  /** Tells only the asker something (refusals); may fall back to a visible message. */
  notify(text: string): Promise<void>;
  /** Where a refusal goes when `notify` failed: a visible message in the conversation. */
  say?(text: string): Promise<unknown>;
}

export class ChatDelivery {
  readonly platform: ChatDeliveryDeps['platform'];
  readonly lifecycle: Lifecycle;
  readonly acks: AcknowledgementsFirst;
  readonly threads: ThreadMemory;
  /** Platform events claimed: one answer per event, even when the platform redelivers it (or another replica gets it). */
  readonly claims: Claims;
  readonly #deps: ChatDeliveryDeps;
  /** Answers whose sources are being posted and the answer saved for feedback. */
  readonly #saving = new Set<Promise<void>>();
  readonly #limits: ChatLimits;

  constructor(deps: ChatDeliveryDeps) {
    this.#deps = deps;
    this.platform = deps.platform;
    this.lifecycle =
      deps.lifecycle ?? createLifecycle({ logger: deps.logger, timeoutMs: deps.shutdownTimeoutMs ?? deps.config.shutdownTimeoutMs });
    this.acks = new AcknowledgementsFirst({ quietMs: deps.ackQuietMs });
    this.#limits = deps.limits ?? new ChatLimits(deps.config.limits);
    this.claims = deps.claims ?? localClaims();
    this.threads = new ThreadMemory(deps.threads);
  }

  /** False once shutdown started: new questions get SHUTTING_DOWN_MESSAGE. */
  accepting(): boolean {
    return !this.lifecycle.isDraining();
  }

  /**
   * Registers a bot with the lifecycle, the same way for every platform: `disconnect`
   * runs at shutdown once the answers in flight are done or abandoned.
   */
  register(disconnect: () => unknown, isConnected: () => boolean): ChatBot {
    this.lifecycle.onShutdown(disconnect);
    return {
      isReady: () => isConnected() && this.accepting(),
      inFlight: () => this.lifecycle.inFlight(),
      stop: async () => {
        await this.lifecycle.shutdown(`${this.platform} bot stopped`);
      },
    };
  }

  /** Admits a question or says why not, in plain words; release an admission when its answer is done. */
  admit(who: { userId: string; channelId: string }): Promise<Admission> {
    if (!this.accepting()) return Promise.resolve({ ok: false, reason: 'shutting_down', message: SHUTTING_DOWN_MESSAGE });
    return this.#limits.admit(who);
  }

  /**
   * Runs `work` as an answer in flight: on a later turn of the event loop, so an ack
   * written just before (and those of requests already waiting) go out first; tracked by
   * the lifecycle, so shutdown waits for it. Failures are logged, never thrown.
   */
  start(work: () => Promise<void>): void {
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((error: unknown) => this.#deps.logger.error({ err: error }, 'answering failed'));
    void this.lifecycle.track(run);
  }

  /** A question the engine would refuse, admission, something visible, then the answer; refusals go to `job.notify`. Never throws. */
  async answer(job: AskJob): Promise<void> {
    // The time an answer took, as the asker lived it: admission and the first message count too.
    const receivedAt = job.receivedAt ?? performance.now();
    // Before `open`, which may show the question (a thread named after it): an over-long one is never put on view.
    const refusal = questionRefusal(job.question);
    if (refusal) {
      job.logger.info({ reason: 'input', chars: job.question.length }, 'question refused');
      await this.#notify(job, refusal);
      return;
    }
    await this.acks.settled(ACKS_FIRST_MAX_WAIT_MS);
    const admission = await this.admit({ userId: job.userId, channelId: job.channelId });
    if (!admission.ok) {
      job.logger.info({ reason: admission.reason }, 'question refused');
      await this.#notify(job, admission.message);
      return;
    }
    try {
      let view: AnswerView;
      try {
        view = await job.open();
      } catch (error) {
        job.logger.warn({ err: error }, 'could not post the answer message');
        await this.#notify(job, job.openFailure?.(error) ?? job.platformFailure?.(error) ?? userMessageOf(error));
        return;
      }
      await this.#deliver(job, view, receivedAt);
    } finally {
      admission.release();
    }
  }

  /** The answer of an admitted question into `view`, then its sources. Never throws. */
  deliver(job: AnswerJob, view: AnswerView): Promise<void> {
    return this.#deliver(job, view, job.receivedAt ?? performance.now());
  }

  async #deliver(job: AnswerJob, view: AnswerView, receivedAt: number): Promise<void> {
    const { logger } = job;
    const started = performance.now();
    /** `ms`: since the question arrived; `waitedMs`: of that, before the answer began (acks, admission, the first message). */
    const took = () => ({ ms: Math.round(performance.now() - receivedAt), waitedMs: Math.round(started - receivedAt) });
    const signal = this.lifecycle.signal;
    let answer: ChatAnswer;
    try {
      await this.acks.settled(ACKS_FIRST_MAX_WAIT_MS);
      const history = await job.history().catch((error: unknown) => {
        // Answer without context rather than not at all.
        logger.warn({ err: error }, 'could not read the conversation; answering without history');
        return [];
      });
      answer = await runChatAnswer(
        this.#deps.engine,
        {
          text: job.question,
          history,
          scope: { platform: this.platform, userId: job.userId, channelId: job.channelId, thread: job.thread?.() },
          requestId: job.requestId,
          signal,
        },
        {
          onStatus: (stage) => job.status?.show(stage),
          onText: (text) => {
            job.status?.clear();
            return view.progress(text);
          },
          textIntervalMs: view.progressIntervalMs,
          pace: () => view.pace(),
        },
      );
      if (answer.textUpdateFailure) logger.warn({ err: answer.textUpdateFailure }, 'live updates stopped; showing the final answer');
      job.status?.clear();
      await view.finish(answer.text, answer.mode !== 'acknowledged');
    } catch (error) {
      job.status?.clear();
      logger.error({ err: error, ...took() }, 'answer failed');
      await view.fail(signal.aborted ? SHUTTING_DOWN_MESSAGE : (job.platformFailure?.(error) ?? userMessageOf(error)));
      return;
    }
    // A "thanks!" got its short reply; there are no sources to list or answer to rate.
    if (answer.mode === 'acknowledged') {
      logger.info({ ...took(), mode: answer.mode }, 'acknowledged');
      return;
    }
    try {
      const sourcesAndSave = (async () => {
        const answerRef = await job.postSources(answer);
        // Saved now so a click, even after a restart, knows which question and answer it rates.
        if (answerRef) await this.#saveForFeedback(job, answer, answerRef);
      })();
      // The buttons show before the save is done: a click that quick waits for it (recordVote).
      this.#saving.add(sourcesAndSave);
      await sourcesAndSave.finally(() => this.#saving.delete(sourcesAndSave));
    } catch (error) {
      logger.error({ err: error }, 'could not post the sources');
      await view.note(SOURCES_FAILED_TEXT);
    }
    logger.info({ ...took(), mode: answer.mode, citations: answer.citations.length }, 'answered');
  }

  /**
   * Records a 👍/👎 (one per user and answer: a second click changes it); false when it could
   * not be stored, or when the store has no record of the answer (the voter then gets an
   * apology, not thanks for a vote that could only be listed as "(unknown)").
   */
  async recordVote(vote: { answerRef: string; userId: string; vote: Vote }, logger: Logger): Promise<boolean> {
    try {
      const { feedback } = this.#deps;
      if (!feedback) throw new Error('no feedback store configured');
      const record = () =>
        feedback.recordVote({ platform: this.platform, messageRef: vote.answerRef, userId: vote.userId, vote: vote.vote });
      try {
        await record();
      } catch (error) {
        // Unknown perhaps only because its save, right after the buttons appeared, is still running here.
        if (!(error instanceof UnknownAnswerError) || this.#saving.size === 0) throw error;
        await Promise.allSettled([...this.#saving]);
        await record();
      }
      this.#deps.metrics?.feedback.inc({ platform: this.platform, vote: vote.vote });
      logger.info({ vote: vote.vote, answerRef: vote.answerRef }, 'feedback recorded');
      return true;
    } catch (error) {
      if (error instanceof UnknownAnswerError) {
        logger.warn({ answerRef: vote.answerRef }, 'feedback on an answer that was never saved; not recorded');
      } else {
        logger.error({ err: error, answerRef: vote.answerRef }, 'could not record feedback');
      }
      return false;
    }
  }

  /**
   * A failed save is logged, never shown as a failed answer. The Redis store keeps the
   * answer and saves it once Redis is back; until then (and for good when the SQLite file
   * cannot be written) a vote on it gets an apology.
   */
  async #saveForFeedback(job: AnswerJob, answer: ChatAnswer, answerRef: string): Promise<void> {
    try {
      await this.#deps.feedback?.saveAnswer({
        platform: this.platform,
        messageRef: answerRef,
        channelId: job.channelId,
        userId: job.userId,
        question: job.question,
        answer: answer.text,
        sources: feedbackSourcesFrom(answer.citations),
        requestId: answer.requestId,
      });
    } catch (error) {
      // Kept and saved later: a vote meanwhile is the only thing that waits for it.
      if (error instanceof AnswerSavedLaterError) job.logger.warn({ err: error }, 'feedback: the answer is saved when Redis is back');
      else job.logger.error({ err: error }, 'feedback: could not save the answer');
    }
  }

  async #notify(job: AskJob, text: string): Promise<void> {
    try {
      await job.notify(text);
    } catch (error) {
      job.logger.warn(
        { err: error },
        job.say ? 'could not tell the user privately; saying it in the conversation' : 'could not tell the user',
      );
      await job.say?.(text).catch((failed: unknown) => job.logger.warn({ err: failed }, 'could not tell the user'));
    }
  }
}
