/**
 * How one answer appears on a chat platform while it is generated and once it is done.
 * The delivery layer (delivery.ts) drives an `AnswerView`; a platform builds one from
 * its transport and its renderer, with one of two views:
 *
 *   SeriesView  — a message series (series.ts): message i shows part i of the answer,
 *                 edited as the text grows (Slack chat.update, Discord, any new surface).
 *   StreamView  — a platform's native text stream (Slack chat streaming): text is
 *                 appended, never edited; what does not fit continues as a series.
 */
import type { Logger } from '../logger.ts';
import { OptionalFeature } from './optional-feature.ts';
import { RateLimitHold, retryBriefly } from './rate-limit.ts';
import { MessageSeries, type MessageTransport } from './series.ts';
import { cutPoint, splitMessage, unclosedFence } from './split.ts';

export interface AnswerView {
  /** Minimum time between two `progress` calls (the platform's edit rate). */
  readonly progressIntervalMs: number;
  /** Before a `progress` call: 0 when the platform's shared rate budget allows it now (counted), else ms to wait. */
  pace(): number;
  /**
   * Shows the Markdown answer so far. A rate-limited update is skipped (later ones are held, see
   * rate-limit.ts); other failures are thrown, and the caller stops updating.
   */
  progress(markdown: string): Promise<void>;
  /**
   * Shows the final answer (waiting out a brief rate limit; a longer one is thrown).
   * `rateable` false: no feedback controls of the platform's own (a reply to "thanks!").
   */
  finish(markdown: string, rateable?: boolean): Promise<void>;
  /** Replaces or ends the answer with a plain message. Never throws. */
  fail(text: string): Promise<void>;
  /** A plain message after the answer (e.g. "couldn't post the sources"). Never throws. */
  note(text: string): Promise<void>;
}

/** What a platform's messages look like. `M` is the platform's message body. */
export interface AnswerRenderer<M> {
  /** Answer Markdown per message, so a part stays within the platform's cap once rendered. */
  readonly partChars: number;
  /** Minimum time between edits of a growing answer. */
  readonly progressIntervalMs: number;
  /** The platform text for a part of the answer (Slack: mrkdwn; Discord: the Markdown as is). */
  partText(markdown: string): string;
  /** The message at position `index` of the series, showing platform text `text`. */
  message(text: string, index: number): M;
  /** Markdown shown when the model wrote nothing. */
  readonly emptyAnswer: string;
  /** A plain failure message as platform text. */
  failure(text: string): string;
  /** True: a failure replaces the answer's first message (Slack); false: it follows the answer (Discord). */
  readonly failureReplacesAnswer: boolean;
}

export class SeriesView<M> implements AnswerView {
  readonly series: MessageSeries<M>;
  readonly #transport: MessageTransport<M>;
  readonly #renderer: AnswerRenderer<M>;
  readonly #logger: Logger;
  readonly #hold = new RateLimitHold();

  constructor(transport: MessageTransport<M>, renderer: AnswerRenderer<M>, logger: Logger) {
    this.#transport = transport;
    this.#renderer = renderer;
    this.#logger = logger;
    this.series = new MessageSeries(transport, (text, index) => renderer.message(text, index));
  }

  get progressIntervalMs(): number {
    return this.#renderer.progressIntervalMs;
  }

  pace(): number {
    // While held, the throttle waits (and coalesces the text) without spending the shared budget.
    return this.#hold.remainingMs() || (this.#transport.pace?.() ?? 0);
  }

  /** Makes something visible at once (throws when the platform refuses the post, or rate-limits it for long). */
  open(placeholder: string): Promise<void> {
    return this.#mustShow(() => this.series.show([placeholder]));
  }

  async progress(markdown: string): Promise<void> {
    if (this.#hold.remainingMs() > 0) return;
    try {
      await this.series.show(this.#parts(markdown));
    } catch (error) {
      const retryAfterMs = this.#transport.retryAfterMs?.(error);
      if (retryAfterMs === undefined) throw error;
      // A live update is not worth waiting for: skipped; the final answer carries the text.
      this.#hold.hold(retryAfterMs);
      this.#logger.info({ retryAfterMs }, 'live edits rate-limited; holding them back');
    }
  }

  finish(markdown: string): Promise<void> {
    // The series re-shows only what is not shown yet, so a retry repeats no message.
    return this.#mustShow(() => this.series.show(this.#parts(markdown.trim() === '' ? this.#renderer.emptyAnswer : markdown)));
  }

  async fail(text: string): Promise<void> {
    const shown = this.#renderer.failure(text);
    try {
      await this.#mustShow(() => (this.#renderer.failureReplacesAnswer ? this.series.replaceFirst(shown) : this.series.append(shown)));
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not show the failure in the answer; posting it on its own');
      await postPlain(this.#transport, this.#renderer, Math.max(1, this.series.ids.length), text, this.#logger);
    }
  }

  note(text: string): Promise<void> {
    return postPlain(this.#transport, this.#renderer, Math.max(1, this.series.ids.length), text, this.#logger);
  }

  #parts(markdown: string): string[] {
    return splitMessage(markdown, this.#renderer.partChars).map((part) => this.#renderer.partText(part));
  }

  #mustShow(show: () => Promise<void>): Promise<void> {
    return retryBriefly(show, (error) => this.#transport.retryAfterMs?.(error));
  }
}

/** A platform's native answer stream. */
export interface StreamTransport {
  /** Most Markdown one streamed message holds. */
  readonly maxChars: number;
  readonly progressIntervalMs: number;
  /** How much of the text so far may go out now (Slack holds back a mention still being written). */
  sendableLength(markdown: string): number;
  start(): Promise<void>;
  append(markdown: string): Promise<void>;
  /** The shared budget for appends (pace.ts): 0 to append now, else ms to wait. */
  pace?(): number;
  /** For an append the platform rate-limited: how long to hold further appends; undefined for other failures. */
  retryAfterMs?(error: unknown): number | undefined;
  /**
   * Ends the stream with `markdown` ('' for nothing more). `complete`: the stream holds the
   * whole answer and it can be rated, so the platform may end it with its own feedback controls.
   */
  stop(markdown: string, complete: boolean): Promise<void>;
  /** Ends the stream with a failure message, after the text already streamed when `afterText`. */
  stopWithFailure(text: string, afterText: boolean): Promise<void>;
  /**
   * Removes the streamed message, which holds none of the answer (shown elsewhere instead).
   * Without it, such a stream is only stopped.
   */
  discard?(): Promise<void>;
}

/**
 * How long the clean-up of a stream that could not be ended waits out the platform's
 * Retry-Afters in all (Slack's per-minute tiers ask for up to a minute). Nobody waits on it:
 * the answer is already shown.
 */
const CLEAN_UP_WAIT_MS = 2 * 60_000;

export class StreamView<M> implements AnswerView {
  readonly #stream: StreamTransport;
  /** Where what does not fit in the stream, and plain messages, are posted. */
  readonly #overflow: MessageTransport<M>;
  readonly #renderer: AnswerRenderer<M>;
  readonly #logger: Logger;
  /** Markdown already appended to the stream. */
  #sent = '';
  #started = false;
  #broken = false;
  #full = false;
  /** Stopped or removed: nothing is left to close. */
  #ended = false;
  /** After a rate-limited append: no appends for a while (the text waits for a larger one). */
  readonly #hold = new RateLimitHold();
  /** For the calls that must land (the stop, the overflow, a failure): Retry-Afters worth waiting out. */
  readonly #streamRetryAfter = (error: unknown) => this.#stream.retryAfterMs?.(error);
  readonly #overflowRetryAfter = (error: unknown) => this.#overflow.retryAfterMs?.(error);

  constructor(stream: StreamTransport, overflow: MessageTransport<M>, renderer: AnswerRenderer<M>, logger: Logger) {
    this.#stream = stream;
    this.#overflow = overflow;
    this.#renderer = renderer;
    this.#logger = logger;
  }

  get progressIntervalMs(): number {
    return this.#stream.progressIntervalMs;
  }

  pace(): number {
    return this.#hold.remainingMs() || (this.#stream.pace?.() ?? 0);
  }

  /** Starts the stream (throws when the platform refuses: the caller falls back to a series). */
  async open(): Promise<void> {
    await this.#stream.start();
    this.#started = true;
  }

  async progress(markdown: string): Promise<void> {
    if (this.#broken || this.#full || !this.#started || !markdown.startsWith(this.#sent) || this.#hold.remainingMs() > 0) return;
    let next = markdown.slice(this.#sent.length, this.#stream.sendableLength(markdown));
    const room = this.#stream.maxChars - this.#sent.length;
    if (next.length > room) {
      // Stop streaming at a paragraph, line or sentence end; finish() posts the rest as further messages.
      this.#full = true;
      next = next.slice(0, cutPoint(next, room));
    }
    if (next === '') return;
    try {
      await this.#stream.append(next);
      this.#sent += next;
    } catch (error) {
      const retryAfterMs = this.#stream.retryAfterMs?.(error);
      if (retryAfterMs === undefined) {
        this.#broken = true;
        throw error;
      }
      // Rate-limited: degrade to fewer, larger appends; the text goes out with a later one or the stop.
      this.#full = false;
      this.#hold.hold(retryAfterMs);
      this.#logger.info({ retryAfterMs }, 'stream appends rate-limited; holding the text for a larger append');
    }
  }

  async finish(markdown: string, rateable = true): Promise<void> {
    if (!this.#started) throw new Error('stream was never started');
    if (this.#broken || !markdown.startsWith(this.#sent)) return this.#continueAfterBrokenStream(markdown);
    const { head, tail } = this.#fillStream(markdown.slice(this.#sent.length));
    // Rated by the platform's own controls only when the stream holds the whole answer.
    const complete = rateable && tail.trim() === '';
    try {
      await retryBriefly(() => this.#stream.stop(head, complete), this.#streamRetryAfter);
      this.#ended = true;
    } catch (error) {
      // Rate-limited for long, or failing: the answer was generated and must not wait on the
      // stream, nor be lost with it. The stream shows only what was appended while it was
      // written (when the answer came fast, a few words), so the answer is posted whole and the
      // stream removed.
      this.#logger.warn({ err: error }, 'ending the stream failed; posting the whole answer as messages');
      await this.#postAfterStream(markdown.trim() === '' ? this.#renderer.emptyAnswer : markdown);
      void this.#cleanUp(true);
      return;
    }
    await this.#postAfterStream(tail);
  }

  /**
   * What is left of the answer, split into what the stream still holds (however fast the text
   * came, the streamed message is filled, up to a paragraph, line or sentence end) and what
   * follows as messages. A code block cut there is closed in the stream and reopened after it.
   */
  #fillStream(rest: string): { head: string; tail: string } {
    const room = this.#full ? 0 : this.#stream.maxChars - this.#sent.length;
    if (rest.length <= room) return { head: rest, tail: '' };
    const cut = cutPoint(rest, room);
    const head = rest.slice(0, cut);
    const tail = rest.slice(cut);
    const fence = unclosedFence(this.#sent + head);
    if (!fence) return { head, tail };
    return { head: `${head}\n${fence.close}`, tail: `${fence.open}\n${tail.replace(/^\n/, '')}` };
  }

  /**
   * Streaming broke (or the final text no longer starts with what was streamed): the stream is
   * closed as it is, and the rest of the answer follows as messages, reopening a code block cut in half.
   */
  async #continueAfterBrokenStream(markdown: string): Promise<void> {
    const continues = markdown.startsWith(this.#sent);
    const rest = continues ? markdown.slice(this.#sent.length) : markdown;
    const fence = continues ? unclosedFence(this.#sent) : undefined;
    const close = fence ? `\n${fence.close}` : '';
    try {
      await this.#stream.stop(close, false);
      this.#ended = true;
    } catch (error) {
      this.#logger.warn({ err: error }, 'stopping the stream failed; posting the rest as messages');
    }
    await this.#postAfterStream(fence ? `${fence.open}\n${rest}` : rest);
    // Not awaited: the answer is shown, and the sources must not wait on a platform that is failing.
    if (!this.#ended) void this.#cleanUp(false);
  }

  /** Posts Markdown as messages after the stream (message 0), split like every long answer. */
  async #postAfterStream(markdown: string): Promise<void> {
    for (const [index, part] of splitMessage(markdown, this.#renderer.partChars).entries()) {
      const text = this.#renderer.partText(part);
      await retryBriefly(() => this.#overflow.post(this.#renderer.message(text, index + 1), index + 1), this.#overflowRetryAfter);
    }
  }

  /**
   * One more try at a stream that could not be ended: left open, it would stay in the thread as
   * if still being written, next to the answer. It is removed when it holds nothing the user
   * still needs (nothing, or the start of an answer `postedWhole` below it), else stopped (a
   * code block it leaves open closed), once the platform's Retry-Afters have passed (up to
   * CLEAN_UP_WAIT_MS). Never throws.
   */
  async #cleanUp(postedWhole: boolean): Promise<void> {
    const fence = unclosedFence(this.#sent);
    const close = fence ? `\n${fence.close}` : '';
    try {
      if ((postedWhole || this.#sent === '') && (await this.#discard())) return;
      await retryBriefly(() => this.#stream.stop(close, false), this.#streamRetryAfter, CLEAN_UP_WAIT_MS);
      this.#ended = true;
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not clean up the abandoned stream message');
    }
  }

  /** Removes the streamed message; false when the platform cannot or refused (the caller stops it instead). */
  async #discard(): Promise<boolean> {
    if (!this.#stream.discard) return false;
    try {
      await this.#stream.discard();
      this.#ended = true;
      return true;
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not remove the abandoned stream message; stopping it instead');
      return false;
    }
  }

  async fail(text: string): Promise<void> {
    // An ended stream takes nothing more: the failure goes below it.
    if (this.#started && !this.#broken && !this.#ended) {
      try {
        await retryBriefly(() => this.#stream.stopWithFailure(text, this.#sent !== ''), this.#streamRetryAfter);
        this.#ended = true;
        return;
      } catch (error) {
        this.#logger.warn({ err: error }, 'could not end the stream with the failure message');
      }
    }
    await this.note(text);
    if (this.#started && !this.#ended) void this.#cleanUp(false);
  }

  note(text: string): Promise<void> {
    return postPlain(this.#overflow, this.#renderer, 1, text, this.#logger);
  }
}

/**
 * Prefers a platform's native stream over a message series. Once the platform says it
 * cannot stream (not enabled for this app or token), the series is used for `retryMs`
 * before streaming is tried again; any other failure to start falls back for one answer.
 */
export class StreamPreference {
  readonly #feature: OptionalFeature;

  constructor(options: { enabled?: boolean; retryMs: number; unsupported: (error: unknown) => boolean }) {
    this.#feature = new OptionalFeature(options);
  }

  /** The stream when there is one and it starts, else the series, opened with `placeholder`. */
  async openEither<M>(
    stream: (() => StreamView<M>) | undefined,
    series: () => SeriesView<M>,
    placeholder: string,
    logger: Logger,
  ): Promise<AnswerView> {
    const streamed = stream && (await this.open(stream, logger));
    if (streamed) return streamed;
    const view = series();
    await view.open(placeholder);
    return view;
  }

  /** The stream, started; undefined when the series should be used instead. */
  async open<M>(stream: () => StreamView<M>, logger: Logger): Promise<StreamView<M> | undefined> {
    if (!this.#feature.available()) return undefined;
    const view = stream();
    try {
      await view.open();
      return view;
    } catch (error) {
      if (this.#feature.failed(error)) logger.info({ err: error }, 'native streaming unavailable; editing messages instead');
      else logger.warn({ err: error }, 'starting the stream failed; editing messages instead');
      return undefined;
    }
  }
}

/** Last resort: a plain message after the answer (a brief rate limit waited out). Logs instead of throwing. */
async function postPlain<M>(
  transport: MessageTransport<M>,
  renderer: AnswerRenderer<M>,
  index: number,
  text: string,
  logger: Logger,
): Promise<void> {
  try {
    await retryBriefly(
      () => transport.post(renderer.message(renderer.failure(text), index), index),
      (error) => transport.retryAfterMs?.(error),
    );
  } catch (error) {
    logger.error({ err: error }, 'could not post a message to the user');
  }
}
