/**
 * Where an answer's messages go in Slack, for the delivery layer (src/chat/):
 *   SlackMessages — a MessageTransport: chat.postMessage / update / delete in one conversation
 *                   (messages after the first go in its thread);
 *   SlackStream   — a StreamTransport on Slack's chat streaming, in a thread: a status task at
 *                   once, Markdown appended as it comes, Slack's own 👍/👎 at the end.
 * Live edits and appends keep to Slack's published limits, per workspace and shared by every
 * answer there: chat.update is Tier 3 (50 a minute), chat.appendStream Tier 4 (100).
 */
import type { webApi } from '@slack/bolt';
import type { StreamTransport } from '../../src/chat/answer-view.ts';
import { OptionalFeature } from '../../src/chat/optional-feature.ts';
import { CallBudget } from '../../src/chat/pace.ts';
import type { MessageTransport } from '../../src/chat/series.ts';
import { feedbackBlock, type SlackMessage } from './blocks.ts';
import { mentionSafeLength, neutralizeMentions } from './mrkdwn.ts';
import { retryAfterMs, unsupportedHere } from './slack-errors.ts';

type WebClient = webApi.WebClient;

/** What one Slack app shares across its answers. */
export class SlackLimits {
  readonly updates = new CallBudget(50);
  readonly appends = new CallBudget(100);
  /** Slack's feedback buttons; after a refusal, the classic buttons for a while. */
  readonly nativeFeedback = new OptionalFeature({ retryMs: 10 * 60_000, unsupported: unsupportedHere });
}

export interface SlackTarget {
  channel: string;
  /** undefined: the first message starts a new conversation (slash commands, DMs). */
  threadTs?: string;
  /** The asker and their workspace: streams in channels need them, budgets are per workspace. */
  userId: string;
  teamId?: string;
}

export class SlackMessages implements MessageTransport<SlackMessage> {
  #firstTs: string | undefined;

  constructor(
    private readonly client: WebClient,
    private readonly target: SlackTarget,
    private readonly limits: SlackLimits,
  ) {}

  /** Where continuations, sources and follow-ups go: the thread asked in, or the first message's. */
  threadTs(): string | undefined {
    return this.target.threadTs ?? this.#firstTs;
  }

  async post(message: SlackMessage, index: number): Promise<string> {
    const response = await this.client.chat.postMessage({
      channel: this.target.channel,
      thread_ts: index === 0 ? this.target.threadTs : this.threadTs(),
      ...message,
      unfurl_links: false,
      unfurl_media: false,
    } as Parameters<WebClient['chat']['postMessage']>[0]);
    if (!response.ts) throw new Error('chat.postMessage returned no ts');
    if (index === 0) this.#firstTs ??= response.ts;
    return response.ts;
  }

  async edit(ts: string, message: SlackMessage): Promise<void> {
    await this.client.chat.update({ channel: this.target.channel, ts, ...message } as Parameters<WebClient['chat']['update']>[0]);
  }

  async delete(ts: string): Promise<void> {
    // A leftover part is only clutter: never fail an answer over it.
    await this.client.chat.delete({ channel: this.target.channel, ts }).catch(() => undefined);
  }

  pace(): number {
    return this.limits.updates.take(this.target.teamId ?? '');
  }

  readonly retryAfterMs = retryAfterMs;
}

const SEARCH_TASK = 'askdocs_search';

export class SlackStream implements StreamTransport {
  /** Markdown characters per streamed message; `markdown_text` is capped at 12,000. */
  readonly maxChars = 11_000;
  readonly progressIntervalMs = 400;
  readonly retryAfterMs = retryAfterMs;
  /** The streamed message, once it ended with Slack's feedback buttons (votes refer to it). */
  feedbackTs: string | undefined;
  #ts = '';
  #taskClosed = false;

  /** `startClient` (no retries): an unsupported or rate-limited start falls back to chat.update at once. */
  constructor(
    private readonly client: WebClient,
    private readonly startClient: WebClient,
    private readonly target: SlackTarget & { threadTs: string },
    private readonly limits: SlackLimits,
  ) {}

  sendableLength(markdown: string): number {
    // A mention split across two appends would slip past neutralizeMentions: hold its start back.
    return mentionSafeLength(markdown);
  }

  pace(): number {
    return this.limits.appends.take(this.target.teamId ?? '');
  }

  async start(): Promise<void> {
    const response = await this.startClient.chat.startStream({
      channel: this.target.channel,
      thread_ts: this.target.threadTs,
      recipient_user_id: this.target.userId,
      recipient_team_id: this.target.teamId,
      chunks: [{ type: 'task_update', id: SEARCH_TASK, title: 'Searching the docs…', status: 'in_progress' }],
    });
    if (!response.ts) throw new Error('chat.startStream returned no ts');
    this.#ts = response.ts;
  }

  async append(markdown: string): Promise<void> {
    await this.client.chat.appendStream({ channel: this.target.channel, ts: this.#ts, chunks: [...this.#closeTask(), text(markdown)] });
    this.#taskClosed = true;
  }

  async stop(markdown: string, complete: boolean): Promise<void> {
    const chunks = [...this.#closeTask(), ...(markdown ? [text(markdown)] : [])];
    const stop = { channel: this.target.channel, ts: this.#ts, ...(chunks.length ? { chunks } : {}) };
    const plain = async () => {
      await this.client.chat.stopStream(stop);
    };
    if (complete) {
      // Refused (the workspace lacks them): the stream ends plainly and the sources carry the buttons.
      await this.limits.nativeFeedback.attempt(async () => {
        await this.client.chat.stopStream({ ...stop, blocks: [feedbackBlock() as never] });
        this.feedbackTs = this.#ts;
      }, plain);
    } else {
      await plain();
    }
    this.#taskClosed = true;
  }

  async stopWithFailure(message: string, afterText: boolean): Promise<void> {
    const failed = { type: 'task_update' as const, id: SEARCH_TASK, title: 'Could not answer', status: 'error' as const };
    const chunks = [...(this.#taskClosed ? [] : [failed]), text(`${afterText ? '\n\n' : ''}${message}`)];
    await this.client.chat.stopStream({ channel: this.target.channel, ts: this.#ts, chunks });
    this.#taskClosed = true;
  }

  async discard(): Promise<void> {
    await this.client.chat.delete({ channel: this.target.channel, ts: this.#ts });
  }

  /**
   * The chunk that ends the search step, until a call carrying it succeeded: one that failed or
   * was rate-limited closed nothing, so the next call (a retry, the stop) carries it again.
   */
  #closeTask(): { type: 'task_update'; id: string; title: string; status: 'complete' }[] {
    if (this.#taskClosed) return [];
    return [{ type: 'task_update', id: SEARCH_TASK, title: 'Searched the docs', status: 'complete' }];
  }
}

function text(markdown: string): { type: 'markdown_text'; text: string } {
  return { type: 'markdown_text', text: neutralizeMentions(markdown) };
}
