/**
 * Where an answer's messages go in Slack, for the delivery layer (src/chat/):
 *
 *   SlackMessages — a MessageTransport: `chat.postMessage` / `chat.update` / `chat.delete`
 *                   in one conversation; messages after the first go in its thread.
 *   SlackStream   — a StreamTransport on Slack's chat streaming (`chat.startStream` /
 *                   `appendStream` / `stopStream`): a status task shows at once, Markdown is
 *                   appended as it arrives and rendered by Slack itself. Needs a thread.
 */
import type { webApi } from '@slack/bolt';
import type { StreamTransport } from '../../src/chat/answer-view.ts';
import type { MessageTransport } from '../../src/chat/series.ts';
import type { SlackMessage } from './blocks.ts';
import { mentionSafeLength, neutralizeMentions } from './mrkdwn.ts';

type WebClient = webApi.WebClient;

/** Markdown characters per streamed message; `markdown_text` is capped at 12,000. */
export const STREAM_MAX_CHARS = 11_000;

export class SlackMessages implements MessageTransport<SlackMessage> {
  readonly #client: WebClient;
  readonly #channel: string;
  readonly #threadTs: string | undefined;
  #firstTs: string | undefined;

  /** `threadTs` undefined: the first message starts a new conversation (slash commands, DMs). */
  constructor(client: WebClient, target: { channel: string; threadTs?: string }) {
    this.#client = client;
    this.#channel = target.channel;
    this.#threadTs = target.threadTs;
  }

  /** Where continuations, sources and follow-ups go: the thread asked in, or the first message's. */
  threadTs(): string | undefined {
    return this.#threadTs ?? this.#firstTs;
  }

  async post(message: SlackMessage, index: number): Promise<string> {
    const response = await this.#client.chat.postMessage({
      channel: this.#channel,
      thread_ts: index === 0 ? this.#threadTs : this.threadTs(),
      ...message,
      unfurl_links: false,
      unfurl_media: false,
    } as Parameters<WebClient['chat']['postMessage']>[0]);
    if (!response.ts) throw new Error('chat.postMessage returned no ts');
    if (index === 0) this.#firstTs ??= response.ts;
    return response.ts;
  }

  async edit(ts: string, message: SlackMessage): Promise<void> {
    await this.#client.chat.update({ channel: this.#channel, ts, ...message } as Parameters<WebClient['chat']['update']>[0]);
  }

  async delete(ts: string): Promise<void> {
    // A leftover part is only clutter: never fail an answer over it.
    await this.#client.chat.delete({ channel: this.#channel, ts }).catch(() => undefined);
  }
}

export interface SlackStreamTarget {
  channel: string;
  threadTs: string;
  recipientUserId: string;
  recipientTeamId?: string;
}

const SEARCH_TASK = 'askdocs_search';

export class SlackStream implements StreamTransport {
  readonly maxChars = STREAM_MAX_CHARS;
  readonly progressIntervalMs = 400;
  readonly #client: WebClient;
  readonly #startClient: WebClient;
  readonly #target: SlackStreamTarget;
  #ts = '';
  #taskClosed = false;

  /** `startClient`: for `chat.startStream` only, without retries, so an unsupported or
   *  rate-limited start falls back to chat.update at once instead of delaying the answer. */
  constructor(client: WebClient, startClient: WebClient | undefined, target: SlackStreamTarget) {
    this.#client = client;
    this.#startClient = startClient ?? client;
    this.#target = target;
  }

  sendableLength(markdown: string): number {
    // A mention split across two appends would slip past neutralizeMentions: hold its start back.
    return mentionSafeLength(markdown);
  }

  async start(): Promise<void> {
    const response = await this.#startClient.chat.startStream({
      channel: this.#target.channel,
      thread_ts: this.#target.threadTs,
      recipient_user_id: this.#target.recipientUserId,
      recipient_team_id: this.#target.recipientTeamId,
      chunks: [{ type: 'task_update', id: SEARCH_TASK, title: 'Searching the docs…', status: 'in_progress' }],
    });
    if (!response.ts) throw new Error('chat.startStream returned no ts');
    this.#ts = response.ts;
  }

  async append(markdown: string): Promise<void> {
    await this.#client.chat.appendStream({ channel: this.#target.channel, ts: this.#ts, chunks: [...this.#closeTask(), text(markdown)] });
  }

  async stop(markdown: string): Promise<void> {
    const chunks = [...this.#closeTask(), ...(markdown ? [text(markdown)] : [])];
    await this.#client.chat.stopStream({ channel: this.#target.channel, ts: this.#ts, ...(chunks.length ? { chunks } : {}) });
  }

  async stopWithFailure(message: string, afterText: boolean): Promise<void> {
    const failedTask = { type: 'task_update' as const, id: SEARCH_TASK, title: 'Could not answer', status: 'error' as const };
    await this.#client.chat.stopStream({
      channel: this.#target.channel,
      ts: this.#ts,
      chunks: [...(this.#taskClosed ? [] : [failedTask]), text(`${afterText ? '\n\n' : ''}${message}`)],
    });
  }

  #closeTask(): { type: 'task_update'; id: string; title: string; status: 'complete' }[] {
    if (this.#taskClosed) return [];
    this.#taskClosed = true;
    return [{ type: 'task_update', id: SEARCH_TASK, title: 'Searched the docs', status: 'complete' }];
  }
}

function text(markdown: string): { type: 'markdown_text'; text: string } {
  return { type: 'markdown_text', text: neutralizeMentions(markdown) };
}
