/**
 * How an answer appears in Slack while it is generated. Two writers, one interface:
 *
 *   StreamWriter  — Slack's chat streaming (`chat.startStream` / `appendStream` / `stopStream`):
 *                   a status task shows at once, Markdown text is appended as it arrives.
 *                   Needs a thread; streamed Markdown is rendered by Slack itself.
 *   UpdateWriter  — a placeholder `chat.postMessage`, then throttled `chat.update`s with the
 *                   text converted to mrkdwn; long answers continue in further thread replies.
 *
 *   begin()          make something visible now (throws if Slack refuses: caller falls back)
 *   progress(md)     show the Markdown answer so far (callers throttle; failures are thrown)
 *   finish(md)       show the final answer, split safely over several messages when long
 *   fail(message)    replace/close the answer with a plain message (never throws)
 *   threadTs()       where sources and follow-ups go
 */
import type { webApi } from '@slack/bolt';

type WebClient = webApi.WebClient;

import { splitMessage, unclosedFence } from '../../src/chat/split.ts';
import type { Logger } from '../../src/logger.ts';
import { escapeMrkdwn, mentionSafeLength, neutralizeMentions, toMrkdwn } from './mrkdwn.ts';

/** Markdown characters per message on the chat.update path (section text caps at 3000 after conversion). */
export const PART_CHARS = 2800;
/** Markdown characters per streamed message; `markdown_text` is capped at 12,000. */
export const STREAM_MAX_CHARS = 11_000;
export const PLACEHOLDER = '_Searching the docs…_';

export interface AnswerWriter {
  readonly mode: 'stream' | 'update';
  readonly progressIntervalMs: number;
  threadTs(): string | undefined;
  begin(): Promise<void>;
  progress(markdown: string): Promise<void>;
  finish(markdown: string): Promise<void>;
  fail(message: string): Promise<void>;
}

export interface Rendered {
  text: string;
  blocks?: Record<string, unknown>[];
}

export interface UpdateWriterOptions {
  channel: string;
  /** Thread to answer in; undefined posts a new top-level message (slash commands, DMs). */
  threadTs?: string;
  /** Renders the first message (e.g. with the slash question on top); others are plain mrkdwn. */
  renderFirst?: (mrkdwn: string) => Rendered;
  logger: Logger;
}

export class UpdateWriter implements AnswerWriter {
  readonly mode = 'update' as const;
  readonly progressIntervalMs = 1200;
  private readonly client: WebClient;
  private readonly options: UpdateWriterOptions;
  private readonly posted: { ts: string; mrkdwn: string }[] = [];

  constructor(client: WebClient, options: UpdateWriterOptions) {
    this.client = client;
    this.options = options;
  }

  threadTs(): string | undefined {
    return this.options.threadTs ?? this.posted[0]?.ts;
  }

  async begin(): Promise<void> {
    const ts = await this.post(0, PLACEHOLDER);
    this.posted.push({ ts, mrkdwn: PLACEHOLDER });
  }

  progress(markdown: string): Promise<void> {
    return this.show(markdown, false);
  }

  finish(markdown: string): Promise<void> {
    return this.show(markdown.trim() === '' ? '_(no answer)_' : markdown, true);
  }

  async fail(message: string): Promise<void> {
    const plain = escapeMrkdwn(message);
    const first = this.posted[0];
    try {
      if (first) await this.update(0, first.ts, plain);
      else await this.post(0, plain);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'slack: could not show the failure in the answer message');
      await postPlain(this.client, this.options.channel, this.threadTs(), message, this.options.logger);
    }
  }

  private async show(markdown: string, final: boolean): Promise<void> {
    const parts = splitMessage(markdown, PART_CHARS).map(toMrkdwn);
    for (const [index, mrkdwn] of parts.entries()) {
      const existing = this.posted[index];
      if (existing) {
        if (existing.mrkdwn !== mrkdwn) {
          await this.update(index, existing.ts, mrkdwn);
          existing.mrkdwn = mrkdwn;
        }
      } else {
        this.posted.push({ ts: await this.post(index, mrkdwn), mrkdwn });
      }
    }
    if (final) {
      // Parts can only shrink if the splitter regrouped text; remove leftovers.
      for (const extra of this.posted.splice(Math.max(1, parts.length))) {
        await this.client.chat.delete({ channel: this.options.channel, ts: extra.ts }).catch(() => undefined);
      }
    }
  }

  private render(index: number, mrkdwn: string): Rendered {
    return index === 0 && this.options.renderFirst ? this.options.renderFirst(mrkdwn) : { text: mrkdwn };
  }

  private async post(index: number, mrkdwn: string): Promise<string> {
    const response = await this.client.chat.postMessage({
      channel: this.options.channel,
      // Continuation parts always go in the thread of the first message.
      thread_ts: index === 0 ? this.options.threadTs : this.threadTs(),
      ...this.render(index, mrkdwn),
      unfurl_links: false,
      unfurl_media: false,
    } as Parameters<WebClient['chat']['postMessage']>[0]);
    if (!response.ts) throw new Error('chat.postMessage returned no ts');
    return response.ts;
  }

  private async update(index: number, ts: string, mrkdwn: string): Promise<void> {
    await this.client.chat.update({ channel: this.options.channel, ts, ...this.render(index, mrkdwn) } as Parameters<
      WebClient['chat']['update']
    >[0]);
  }
}

export interface StreamWriterOptions {
  /** Client for `chat.startStream` only: no retries, so an unsupported or rate-limited
   *  start falls back to chat.update at once instead of delaying the first visible text. */
  startClient?: WebClient;
  channel: string;
  threadTs: string;
  recipientUserId: string;
  recipientTeamId?: string;
  logger: Logger;
}

const SEARCH_TASK = 'askdocs_search';

export class StreamWriter implements AnswerWriter {
  readonly mode = 'stream' as const;
  readonly progressIntervalMs = 400;
  private readonly client: WebClient;
  private readonly options: StreamWriterOptions;
  private streamTs: string | undefined;
  /** Markdown already appended to the stream. */
  private sent = '';
  private taskClosed = false;
  private broken = false;
  private full = false;

  constructor(client: WebClient, options: StreamWriterOptions) {
    this.client = client;
    this.options = options;
  }

  threadTs(): string {
    return this.options.threadTs;
  }

  async begin(): Promise<void> {
    const response = await (this.options.startClient ?? this.client).chat.startStream({
      channel: this.options.channel,
      thread_ts: this.options.threadTs,
      recipient_user_id: this.options.recipientUserId,
      recipient_team_id: this.options.recipientTeamId,
      chunks: [{ type: 'task_update', id: SEARCH_TASK, title: 'Searching the docs…', status: 'in_progress' }],
    });
    if (!response.ts) throw new Error('chat.startStream returned no ts');
    this.streamTs = response.ts;
  }

  async progress(markdown: string): Promise<void> {
    if (this.broken || this.full || !this.streamTs || !markdown.startsWith(this.sent)) return;
    // A mention split across two appends would slip past neutralizeMentions: hold its start back.
    let next = markdown.slice(this.sent.length, mentionSafeLength(markdown));
    const room = STREAM_MAX_CHARS - this.sent.length;
    if (next.length > room) {
      // Stop streaming at a line end; finish() posts the rest as further replies.
      this.full = true;
      const cut = next.lastIndexOf('\n', room);
      next = next.slice(0, cut > 0 ? cut : room);
    }
    if (next === '') return;
    try {
      await this.client.chat.appendStream({
        channel: this.options.channel,
        ts: this.streamTs,
        chunks: [...this.closeTask(), { type: 'markdown_text', text: neutralizeMentions(next) }],
      });
      this.sent += next;
    } catch (error) {
      this.broken = true;
      throw error;
    }
  }

  async finish(markdown: string): Promise<void> {
    const ts = this.streamTs;
    if (!ts) throw new Error('stream was never started');
    const continues = markdown.startsWith(this.sent);
    const rest = continues ? markdown.slice(this.sent.length) : markdown;
    if (continues && !this.broken && this.sent.length + rest.length <= STREAM_MAX_CHARS) {
      const chunks = [...this.closeTask(), ...(rest ? [{ type: 'markdown_text' as const, text: neutralizeMentions(rest) }] : [])];
      await this.client.chat.stopStream({ channel: this.options.channel, ts, ...(chunks.length ? { chunks } : {}) });
      return;
    }
    // Too long for one streamed message (or streaming broke): close the stream cleanly,
    // then post what is left as ordinary replies, reopening a code block cut in half.
    const fence = continues ? unclosedFence(this.sent) : undefined;
    const closing = fence ? [{ type: 'markdown_text' as const, text: `\n${fence.close}` }] : [];
    await this.client.chat
      .stopStream({ channel: this.options.channel, ts, chunks: [...this.closeTask(), ...closing] })
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'slack: stopStream failed; posting the rest as replies'));
    const remainder = fence ? `${fence.open}\n${rest}` : rest;
    for (const part of splitMessage(remainder, PART_CHARS)) {
      await this.client.chat.postMessage({
        channel: this.options.channel,
        thread_ts: this.options.threadTs,
        text: toMrkdwn(part),
        unfurl_links: false,
      });
    }
  }

  async fail(message: string): Promise<void> {
    if (this.streamTs && !this.broken) {
      try {
        const failedTask = { type: 'task_update' as const, id: SEARCH_TASK, title: 'Could not answer', status: 'error' as const };
        await this.client.chat.stopStream({
          channel: this.options.channel,
          ts: this.streamTs,
          chunks: [
            ...(this.taskClosed ? [] : [failedTask]),
            { type: 'markdown_text', text: `${this.sent ? '\n\n' : ''}${neutralizeMentions(message)}` },
          ],
        });
        return;
      } catch (error) {
        this.options.logger.warn({ err: error }, 'slack: could not end the stream with the failure message');
      }
    }
    await postPlain(this.client, this.options.channel, this.options.threadTs, message, this.options.logger);
  }

  private closeTask(): { type: 'task_update'; id: string; title: string; status: 'complete' }[] {
    if (this.taskClosed) return [];
    this.taskClosed = true;
    return [{ type: 'task_update', id: SEARCH_TASK, title: 'Searched the docs', status: 'complete' }];
  }
}

/** Last resort: a plain message in the thread. Logs instead of throwing. */
export async function postPlain(
  client: WebClient,
  channel: string,
  threadTs: string | undefined,
  message: string,
  logger: Logger,
): Promise<void> {
  try {
    await client.chat.postMessage({ channel, thread_ts: threadTs, text: escapeMrkdwn(message) });
  } catch (error) {
    logger.error({ err: error, channel }, 'slack: could not post a message to the user');
  }
}
