/**
 * A local fake of the Slack Web API for tests: a node:http server speaking the real
 * wire format (form-encoded or JSON bodies, Bearer token, `{ ok, error }` replies,
 * HTTP 429 + Retry-After), recording every call and keeping the messages it was asked
 * to post so `conversations.replies` / `conversations.history` return them.
 *
 * Served: auth.test, chat.postMessage, chat.update, chat.delete, chat.postEphemeral,
 * chat.startStream, chat.appendStream, chat.stopStream (with `blocks`, checked like Slack
 * checks a `context_actions` block of `feedback_buttons`), assistant.threads.setStatus /
 * setSuggestedPrompts / setTitle (what each assistant thread shows is kept in
 * `assistantThreads`), conversations.replies, conversations.history, plus
 * `POST /response/<id>` for slash-command `response_url`s.
 *
 * Fault injection: `failNext(method, fault, times, channel?)` with `{ status: 429, retryAfter }`,
 * `{ status: 500 }` or `{ error: 'not_allowed' }`, for every call of the method or only those
 * in one channel (Slack limits chat.postMessage per channel); `delay(method, ms)`;
 * `rateLimit(method, max, windowMs)` answers 429 (with Retry-After) past `max` calls in
 * any window, as Slack's per-workspace tiers do; `streaming = false` makes the stream
 * methods answer `unknown_method`; `assistantError` makes every assistant.threads.*
 * method answer that error (an app without the AI feature or scope); `feedbackButtons =
 * false` makes a stop with feedback buttons answer `invalid_blocks`.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  token?: string;
  /** performance.now() when the request arrived. */
  at: number;
  /** What the fake answered: 'ok', an error code, or an HTTP status. */
  outcome: string;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  user?: string;
  bot_id?: string;
  text: string;
  blocks?: unknown[];
  /** For streamed messages: the markdown chunks in order, and whether it was stopped. */
  streamed?: { chunks: unknown[]; stopped: boolean };
  deleted?: boolean;
}

export type Fault = { status: 429; retryAfter: number } | { status: 404 | 500 | 503 } | { error: string };

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  at: number;
}

/** What an assistant thread shows: its status line, suggested prompts and title. */
export interface AssistantThreadView {
  status: string;
  prompts?: { title?: string; prompts: { title: string; message: string }[] };
  title?: string;
}

export const FAKE_BOT = { userId: 'UBOTASKDOCS', botId: 'BBOTASKDOCS', teamId: 'T0TEST', token: 'xoxb-test-token-0000' };

export class FakeSlackApi {
  readonly calls: RecordedCall[] = [];
  readonly messages: FakeMessage[] = [];
  readonly responseUrlPosts: ResponseUrlPost[] = [];
  streaming = true;
  feedbackButtons = true;
  assistantError: string | undefined;
  /** By `channel:thread_ts`. */
  readonly assistantThreads = new Map<string, AssistantThreadView>();
  private rateLimits = new Map<string, { max: number; windowMs: number; at: number[] }>();
  private server: Server | undefined;
  private faults = new Map<string, { fault: Fault; times: number; channel?: string }[]>();
  private delays = new Map<string, number>();
  private clock = 1_700_000_000;
  private seq = 0;
  private waiters: (() => void)[] = [];
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server = undefined;
  }

  /** Base URL to give the WebClient (`slackApiUrl`). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  responseUrl(id: string): string {
    return `http://127.0.0.1:${this.port}/response/${id}`;
  }

  /** The next `times` calls of `method` (only those in `channel`, when given) answer `fault`. */
  failNext(method: string, fault: Fault, times = 1, channel?: string): void {
    const list = this.faults.get(method) ?? [];
    list.push({ fault, times, channel });
    this.faults.set(method, list);
  }

  delay(method: string, ms: number): void {
    this.delays.set(method, ms);
  }

  /** Answers 429 past `max` successful-or-not calls of `method` in any `windowMs`. */
  rateLimit(method: string, max: number, windowMs: number): void {
    this.rateLimits.set(method, { max, windowMs, at: [] });
  }

  clearFaults(): void {
    this.faults.clear();
    this.delays.clear();
    this.rateLimits.clear();
  }

  /** Adds a message as if a person posted it; returns its ts. */
  addUserMessage(message: { channel: string; user: string; text: string; thread_ts?: string; bot_id?: string }): string {
    const ts = this.nextTs();
    this.messages.push({ ...message, ts });
    return ts;
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method && call.outcome === 'ok');
  }

  /** Live (not deleted) messages posted in a thread (by anyone), oldest first, parent excluded. */
  threadReplies(channel: string, threadTs: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.thread_ts === threadTs && m.ts !== threadTs && !m.deleted);
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** What a user sees of a message: its text, or for a streamed message the markdown streamed into it. */
  visibleText(message: FakeMessage): string {
    if (!message.streamed) return message.text;
    return message.streamed.chunks
      .filter((chunk): chunk is { type: 'markdown_text'; text: string } => (chunk as { type?: string }).type === 'markdown_text')
      .map((chunk) => chunk.text)
      .join('');
  }

  /** For a streamed message: the status its task `id` shows (the last task_update for it), e.g. 'in_progress', 'complete'. */
  taskStatus(message: FakeMessage, id: string): string | undefined {
    const updates = (message.streamed?.chunks ?? []).filter(
      (chunk): chunk is { type: 'task_update'; id: string; status: string } =>
        (chunk as { type?: string }).type === 'task_update' && (chunk as { id?: string }).id === id,
    );
    return updates.at(-1)?.status;
  }

  /** Resolves when `predicate` holds, re-checked after every call; rejects after `timeoutMs`. */
  async waitFor<T>(predicate: () => T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`FakeSlackApi: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private nextTs(): string {
    this.seq += 1;
    return `${this.clock + this.seq}.${String(this.seq).padStart(6, '0')}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/response/')) {
      this.responseUrlPosts.push({ id: url.pathname.slice('/response/'.length), body: JSON.parse(raw || '{}'), at });
      this.notify();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const method = url.pathname.replace(/^\/api\//, '');
    const args = parseArgs(raw, req.headers['content-type'] ?? '');
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : (args.token as string | undefined);
    const call: RecordedCall = { method, args, token, at, outcome: 'ok' };
    this.calls.push(call);

    const wait = this.delays.get(method);
    if (wait) await new Promise((resolve) => setTimeout(resolve, wait));

    const fault = this.takeFault(method, String(args.channel ?? args.channel_id ?? '')) ?? this.overLimit(method);
    if (fault) {
      if ('status' in fault) {
        call.outcome = String(fault.status);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (fault.status === 429) headers['retry-after'] = String(fault.retryAfter);
        res.writeHead(fault.status, headers).end(
          JSON.stringify({
            ok: false,
            error: fault.status === 429 ? 'ratelimited' : fault.status === 404 ? 'not_found' : 'internal_error',
          }),
        );
      } else {
        call.outcome = fault.error;
        this.reply(res, { ok: false, error: fault.error });
      }
      this.notify();
      return;
    }
    if (token !== FAKE_BOT.token) {
      call.outcome = 'invalid_auth';
      this.reply(res, { ok: false, error: 'invalid_auth' });
      this.notify();
      return;
    }
    const result = this.dispatch(method, args);
    if (result.ok === false) call.outcome = String(result.error);
    this.reply(res, result);
    this.notify();
  }

  private takeFault(method: string, channel: string): Fault | undefined {
    const list = this.faults.get(method) ?? [];
    const index = list.findIndex((entry) => entry.channel === undefined || entry.channel === channel);
    const next = list[index];
    if (!next) return undefined;
    next.times -= 1;
    if (next.times <= 0) list.splice(index, 1);
    return next.fault;
  }

  private overLimit(method: string): Fault | undefined {
    const limit = this.rateLimits.get(method);
    if (!limit) return undefined;
    const now = Date.now();
    limit.at = limit.at.filter((at) => now - at < limit.windowMs);
    if (limit.at.length < limit.max) {
      limit.at.push(now);
      return undefined;
    }
    return { status: 429, retryAfter: Math.max(1, Math.ceil((limit.windowMs - (now - (limit.at[0] ?? now))) / 1000)) };
  }

  private reply(res: ServerResponse, body: Record<string, unknown>): void {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  }

  private dispatch(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const channel = String(args.channel ?? '');
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://test.slack.com/',
          team: 'Test',
          user: 'askdocs',
          team_id: FAKE_BOT.teamId,
          user_id: FAKE_BOT.userId,
          bot_id: FAKE_BOT.botId,
        };
      case 'chat.postMessage': {
        if (!channel || (args.text === undefined && args.blocks === undefined)) return { ok: false, error: 'no_text' };
        const message = this.botMessage(channel, args);
        return { ok: true, channel, ts: message.ts, message: { ...message } };
      }
      case 'chat.update': {
        const message = this.message(channel, String(args.ts));
        if (!message || message.deleted) return { ok: false, error: 'message_not_found' };
        if (args.text !== undefined) message.text = String(args.text);
        if (args.blocks !== undefined) message.blocks = args.blocks as unknown[];
        return { ok: true, channel, ts: message.ts, text: message.text };
      }
      case 'chat.delete': {
        const message = this.message(channel, String(args.ts));
        if (!message || message.deleted) return { ok: false, error: 'message_not_found' };
        message.deleted = true;
        return { ok: true, channel, ts: message.ts };
      }
      case 'chat.postEphemeral':
        if (!args.user) return { ok: false, error: 'user_not_in_channel' };
        return { ok: true, message_ts: this.nextTs() };
      case 'chat.startStream': {
        if (!this.streaming) return { ok: false, error: 'unknown_method' };
        if (!args.thread_ts) return { ok: false, error: 'invalid_arguments' };
        if (!channel.startsWith('D') && (!args.recipient_user_id || !args.recipient_team_id)) {
          return { ok: false, error: 'invalid_arguments' };
        }
        const message = this.botMessage(channel, { thread_ts: args.thread_ts, text: '' });
        message.streamed = { chunks: [], stopped: false };
        this.appendChunks(message, args);
        return { ok: true, channel, ts: message.ts };
      }
      case 'chat.appendStream':
      case 'chat.stopStream': {
        if (!this.streaming) return { ok: false, error: 'unknown_method' };
        const message = this.message(channel, String(args.ts));
        if (!message?.streamed) return { ok: false, error: 'message_not_found' };
        if (message.streamed.stopped) return { ok: false, error: 'message_not_in_streaming_state' };
        if (method === 'chat.stopStream' && args.blocks !== undefined) {
          const problem = this.blocksProblem(args.blocks);
          if (problem) return { ok: false, error: 'invalid_blocks', errors: [problem] };
        }
        this.appendChunks(message, args);
        if (method === 'chat.stopStream') {
          message.streamed.stopped = true;
          if (args.blocks !== undefined) message.blocks = args.blocks as unknown[];
          message.text = this.visibleText(message);
        }
        return { ok: true, channel, ts: message.ts };
      }
      case 'assistant.threads.setStatus':
      case 'assistant.threads.setSuggestedPrompts':
      case 'assistant.threads.setTitle': {
        if (this.assistantError) return { ok: false, error: this.assistantError };
        const thread = `${String(args.channel_id ?? '')}:${String(args.thread_ts ?? '')}`;
        if (!args.channel_id || !args.thread_ts) return { ok: false, error: 'invalid_arguments' };
        const view = this.assistantThreads.get(thread) ?? { status: '' };
        this.assistantThreads.set(thread, view);
        if (method === 'assistant.threads.setStatus') {
          if (typeof args.status !== 'string') return { ok: false, error: 'invalid_arguments' };
          view.status = args.status;
        } else if (method === 'assistant.threads.setTitle') {
          if (typeof args.title !== 'string' || !args.title) return { ok: false, error: 'invalid_arguments' };
          view.title = args.title;
        } else {
          const prompts = args.prompts as { title?: unknown; message?: unknown }[] | undefined;
          const valid = Array.isArray(prompts) && prompts.length >= 1 && prompts.length <= 4;
          if (!valid || !prompts.every((p) => typeof p.title === 'string' && typeof p.message === 'string')) {
            return { ok: false, error: 'invalid_arguments' };
          }
          view.prompts = { title: args.title as string | undefined, prompts: prompts as { title: string; message: string }[] };
        }
        return { ok: true };
      }
      case 'conversations.replies': {
        const ts = String(args.ts ?? '');
        const thread = this.messages
          .filter((m) => m.channel === channel && !m.deleted && (m.ts === ts || m.thread_ts === ts))
          .sort((a, b) => Number(a.ts) - Number(b.ts))
          .map((m) => this.asApiMessage(m));
        if (thread.length === 0) return { ok: false, error: 'thread_not_found' };
        return { ok: true, messages: thread, has_more: false };
      }
      case 'conversations.history': {
        const limit = Number(args.limit ?? 100);
        const top = this.messages
          .filter((m) => m.channel === channel && !m.deleted && (!m.thread_ts || m.thread_ts === m.ts))
          .sort((a, b) => Number(b.ts) - Number(a.ts))
          .slice(0, limit)
          .map((m) => this.asApiMessage(m));
        return { ok: true, messages: top, has_more: false };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  /** What Slack checks of a stop's `context_actions` blocks (feedback buttons: two labelled buttons with values). */
  private blocksProblem(blocks: unknown): string | undefined {
    if (!Array.isArray(blocks) || blocks.length > 50) return 'blocks must be an array of at most 50';
    for (const block of blocks as { type?: string; elements?: Record<string, unknown>[] }[]) {
      if (block.type !== 'context_actions') continue;
      if (!this.feedbackButtons) return 'unsupported block type context_actions';
      for (const element of block.elements ?? []) {
        if (element.type !== 'feedback_buttons') return `unsupported element ${String(element.type)}`;
        for (const button of [element.positive_button, element.negative_button] as {
          text?: { type?: string; text?: string };
          value?: string;
        }[]) {
          if (button?.text?.type !== 'plain_text' || !button.text.text || button.text.text.length > 75) return 'button text';
          if (typeof button.value !== 'string' || !button.value || button.value.length > 2000) return 'button value';
        }
      }
    }
    return undefined;
  }

  /** The latest status set in an assistant thread ('' when cleared or never set). */
  statusOf(channel: string, threadTs: string): string {
    return this.assistantThreads.get(`${channel}:${threadTs}`)?.status ?? '';
  }

  private botMessage(channel: string, args: Record<string, unknown>): FakeMessage {
    const message: FakeMessage = {
      channel,
      ts: this.nextTs(),
      thread_ts: args.thread_ts === undefined ? undefined : String(args.thread_ts),
      user: FAKE_BOT.userId,
      bot_id: FAKE_BOT.botId,
      text: args.text === undefined ? '' : String(args.text),
      blocks: args.blocks as unknown[] | undefined,
    };
    this.messages.push(message);
    return message;
  }

  private appendChunks(message: FakeMessage, args: Record<string, unknown>): void {
    const streamed = message.streamed;
    if (!streamed) return;
    if (typeof args.markdown_text === 'string') streamed.chunks.push({ type: 'markdown_text', text: args.markdown_text });
    if (Array.isArray(args.chunks)) streamed.chunks.push(...args.chunks);
  }

  private asApiMessage(m: FakeMessage): Record<string, unknown> {
    return {
      type: 'message',
      ts: m.ts,
      ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
      ...(m.user ? { user: m.user } : {}),
      ...(m.bot_id ? { bot_id: m.bot_id } : {}),
      text: m.streamed ? this.visibleText(m) : m.text,
      ...(m.blocks ? { blocks: m.blocks } : {}),
    };
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Slack's WebClient sends form-encoded bodies with objects (blocks, chunks) as JSON strings. */
function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    if ((value.startsWith('[') || value.startsWith('{')) && ['blocks', 'chunks', 'attachments', 'metadata', 'prompts'].includes(key)) {
      try {
        args[key] = JSON.parse(value);
        continue;
      } catch {
        // fall through: keep the raw string
      }
    }
    args[key] = value;
  }
  return args;
}
