/**
 * A fake OpenAI-compatible API (DeepSeek speaks the same wire format) on 127.0.0.1,
 * for tests and benchmarks: the real endpoint is out of reach offline.
 *
 * It speaks the real formats — `POST /chat/completions` (JSON or SSE
 * `chat.completion.chunk`s ending in `data: [DONE]`, with a usage chunk when
 * `stream_options.include_usage` is set) and `POST /embeddings` (float arrays or
 * base64 float32, which the openai client asks for by default) — with or without a
 * `/v1` prefix. Every request is recorded for assertions, replies are scriptable,
 * and faults can be injected: status errors with `Retry-After`, hangs, a 200 that is
 * not the API (an HTML page), a slow first token, a token rate, and a dropped connection mid-stream. A queued reply can end with
 * another `finish_reason` than `stop` (`length` at max_tokens, `content_filter`), as the
 * real servers send it: in the last chunk's choice, with an empty delta.
 *
 *   const llm = await startFakeLlm();
 *   const config = loadConfig({ LLM_BASE_URL: llm.url, DEEPSEEK_API_KEY: 'test' }, { envFile: false });
 *   llm.failNext({ type: 'status', status: 429, retryAfter: 0 });
 *   llm.replyNext('Use a partition key [1].');
 *   llm.replyNext({ text: 'Milvus supports up to', finishReason: 'length' });
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export type FakeLlmRoute = 'chat' | 'embeddings' | 'other';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface RecordedRequest {
  route: FakeLlmRoute;
  method: string;
  path: string;
  /** Lower-cased header names, as received (includes `authorization`). */
  headers: Record<string, string>;
  /** Parsed JSON body (undefined when the body was not JSON). */
  body: Record<string, unknown> | undefined;
  model?: string;
  messages?: ChatMessage[];
  stream?: boolean;
  receivedAt: number;
}

/** A scripted reply: its text, and how the completion ends (`stop` unless given). */
export type FakeLlmReply = string | { text: string; finishReason?: string };

/** Decides the reply text for one chat request. */
export type Responder = (request: RecordedRequest) => string | Promise<string>;

export type FakeLlmFault =
  /** Reply with this HTTP status (and `Retry-After` seconds when given), OpenAI error JSON body. */
  | { type: 'status'; status: number; retryAfter?: number; message?: string; route?: FakeLlmRoute }
  /** Accept the request and never answer (until the client gives up or the fake closes). */
  | { type: 'hang'; route?: FakeLlmRoute }
  /** Answer 200 with this body as is (a web page where the API should be, say). */
  | { type: 'body'; body: string; contentType: string; route?: FakeLlmRoute }
  /** Stream this many content tokens, then drop the connection without `[DONE]`. */
  | { type: 'disconnect'; afterTokens: number; route?: FakeLlmRoute }
  /** Answer an embeddings request with the first `count` vectors only, or vectors of length `dim`. */
  | { type: 'vectors'; count?: number; dim?: number; route: 'embeddings' };

export interface FakeLlmBehaviour {
  respond: Responder;
  /** Delay before the first content token (headers are sent at once when streaming). */
  firstTokenDelayMs: number;
  /** Content tokens per second after the first; 0 sends them as fast as possible. */
  tokensPerSecond: number;
}

export interface FakeLlmOptions {
  behaviour?: Partial<FakeLlmBehaviour>;
  /** Length of the vectors `/embeddings` returns (default 384). */
  embeddingDim?: number;
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401. */
  apiKey?: string;
}

export interface FakeLlm {
  /** Base URL with `/v1`, e.g. `http://127.0.0.1:43210/v1`; use as LLM_BASE_URL / EMBEDDING_BASE_URL. */
  url: string;
  /** The same server without `/v1` (as DeepSeek's own base URL is written). */
  origin: string;
  port: number;
  /** Every request received, oldest first. */
  requests: RecordedRequest[];
  chatRequests(): RecordedRequest[];
  embeddingRequests(): RecordedRequest[];
  lastChatRequest(): RecordedRequest | undefined;
  setBehaviour(behaviour: Partial<FakeLlmBehaviour>): void;
  /** Queues faults; each matching request (chat by default) takes the next one. */
  failNext(...faults: FakeLlmFault[]): void;
  /** Queues replies for the next chat requests, ahead of the responder. */
  replyNext(...replies: FakeLlmReply[]): void;
  /** Clears recorded requests, queued faults and replies, and restores the default behaviour. */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_BEHAVIOUR: FakeLlmBehaviour = {
  respond: defaultResponder,
  firstTokenDelayMs: 0,
  tokensPerSecond: 0,
};

export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlm> {
  const embeddingDim = options.embeddingDim ?? 384;
  const requests: RecordedRequest[] = [];
  const faults: FakeLlmFault[] = [];
  const replies: FakeLlmReply[] = [];
  let behaviour: FakeLlmBehaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
  const closed = new AbortController();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, `fake llm failure: ${String(error)}`);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route: FakeLlmRoute = /^(\/v1)?\/chat\/completions$/.test(path)
      ? 'chat'
      : /^(\/v1)?\/embeddings$/.test(path)
        ? 'embeddings'
        : 'other';
    const body = parseJson(raw);
    const recorded: RecordedRequest = {
      route,
      method: req.method ?? 'GET',
      path,
      headers: flattenHeaders(req.headers),
      body,
      receivedAt: Date.now(),
    };
    if (route === 'chat' && body) {
      recorded.model = typeof body.model === 'string' ? body.model : undefined;
      recorded.messages = normaliseMessages(body.messages);
      recorded.stream = body.stream === true;
    }
    if (route === 'embeddings' && body) recorded.model = typeof body.model === 'string' ? body.model : undefined;
    requests.push(recorded);

    if (route === 'other' || req.method !== 'POST') return sendError(res, 404, `no route for ${req.method} ${path}`);
    if (options.apiKey && recorded.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendError(res, 401, 'Incorrect API key provided.', 'authentication_error');
    }
    if (!body) return sendError(res, 400, 'request body must be JSON', 'invalid_request_error');

    const faultIndex = faults.findIndex((fault) => (fault.route ?? 'chat') === route);
    const fault = faultIndex >= 0 ? faults.splice(faultIndex, 1)[0] : undefined;
    if (fault?.type === 'hang') return; // leave the socket open; close() destroys it
    if (fault?.type === 'body') {
      res.writeHead(200, { 'content-type': fault.contentType });
      res.end(fault.body);
      return;
    }
    if (fault?.type === 'status') {
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      const type = fault.status === 429 ? 'rate_limit_error' : fault.status >= 500 ? 'server_error' : 'invalid_request_error';
      return sendError(res, fault.status, fault.message ?? `injected ${fault.status}`, type, headers);
    }

    if (route === 'embeddings') {
      const odd = fault?.type === 'vectors' ? fault : undefined;
      return sendEmbeddings(res, body, odd?.dim ?? embeddingDim, odd?.count);
    }

    const current = behaviour;
    const queued = replies.shift();
    const reply = queued === undefined ? await current.respond(recorded) : queued;
    const { text, finishReason = 'stop' } = typeof reply === 'string' ? { text: reply } : reply;
    const model = recorded.model ?? 'fake-model';
    const usage = {
      prompt_tokens: estimateTokens((recorded.messages ?? []).map((m) => m.content).join('\n')),
      completion_tokens: tokenize(text).length,
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;

    if (!recorded.stream) {
      await sleep(current.firstTokenDelayMs, closed.signal);
      if (res.destroyed) return;
      return sendJson(res, 200, {
        id: `chatcmpl-fake-${requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason, logprobs: null }],
        usage,
      });
    }

    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    await streamCompletion(res, {
      text,
      finishReason,
      model,
      usage: streamOptions?.include_usage ? usage : undefined,
      behaviour: current,
      disconnectAfter: fault?.type === 'disconnect' ? fault.afterTokens : undefined,
      closed: closed.signal,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/v1`,
    origin,
    port,
    requests,
    chatRequests: () => requests.filter((r) => r.route === 'chat'),
    embeddingRequests: () => requests.filter((r) => r.route === 'embeddings'),
    lastChatRequest: () => requests.filter((r) => r.route === 'chat').at(-1),
    setBehaviour(next) {
      behaviour = { ...behaviour, ...next };
    },
    failNext(...next) {
      faults.push(...next);
    },
    replyNext(...next) {
      replies.push(...next);
    },
    reset() {
      requests.length = 0;
      faults.length = 0;
      replies.length = 0;
      behaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
    },
    async close() {
      closed.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface StreamPlan {
  text: string;
  finishReason: string;
  model: string;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  behaviour: FakeLlmBehaviour;
  disconnectAfter?: number;
  closed: AbortSignal;
}

async function streamCompletion(res: ServerResponse, plan: StreamPlan): Promise<void> {
  const id = `chatcmpl-fake-${Date.now().toString(36)}`;
  const created = Math.floor(Date.now() / 1000);
  const includeUsage = plan.usage !== undefined;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: plan.model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    // OpenAI sends `usage: null` on every chunk but the last when usage is requested.
    ...(includeUsage ? { usage: null } : {}),
  });
  const write = (payload: unknown) =>
    new Promise<void>((resolve) => {
      if (res.destroyed) return resolve();
      res.write(`data: ${JSON.stringify(payload)}\n\n`, () => resolve());
    });
  const gone = () => res.destroyed || res.writableEnded || plan.closed.aborted;

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  await write(chunk({ role: 'assistant', content: '' }, null));

  await sleep(plan.behaviour.firstTokenDelayMs, plan.closed);
  const gapMs = plan.behaviour.tokensPerSecond > 0 ? 1000 / plan.behaviour.tokensPerSecond : 0;
  const tokens = tokenize(plan.text);
  for (const [index, token] of tokens.entries()) {
    if (gone()) return;
    if (plan.disconnectAfter !== undefined && index >= plan.disconnectAfter) {
      res.socket?.destroy();
      return;
    }
    if (index > 0 && gapMs > 0) await sleep(gapMs, plan.closed);
    if (gone()) return;
    await write(chunk({ content: token }, null));
  }
  if (plan.disconnectAfter !== undefined) {
    res.socket?.destroy();
    return;
  }
  await write(chunk({}, plan.finishReason));
  if (plan.usage) await write({ id, object: 'chat.completion.chunk', created, model: plan.model, choices: [], usage: plan.usage });
  if (!res.destroyed) res.end('data: [DONE]\n\n');
}

function sendEmbeddings(res: ServerResponse, body: Record<string, unknown>, defaultDim: number, count?: number): void {
  const input = body.input;
  const texts = (Array.isArray(input) ? input.map(String) : [String(input ?? '')]).slice(0, count);
  const dim = typeof body.dimensions === 'number' ? body.dimensions : defaultDim;
  const base64 = body.encoding_format === 'base64';
  sendJson(res, 200, {
    object: 'list',
    model: body.model ?? 'fake-embedding',
    data: texts.map((text, index) => {
      const vector = hashEmbedding(text, dim);
      return {
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
      };
    }),
    usage: { prompt_tokens: estimateTokens(texts.join(' ')), total_tokens: estimateTokens(texts.join(' ')) },
  });
}

/**
 * A deterministic, L2-normalised bag-of-words vector: texts sharing words get
 * similar vectors, so retrieval over these embeddings still behaves sensibly.
 */
export function hashEmbedding(text: string, dim: number): number[] {
  const vector = new Array<number>(dim).fill(0);
  const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  for (const word of words.length > 0 ? words : ['']) {
    const digest = createHash('sha256').update(word).digest();
    for (let k = 0; k < 4; k++) {
      const slot = digest.readUInt32LE(k * 4) % dim;
      vector[slot] = (vector[slot] ?? 0) + ((digest[16 + k] ?? 0) & 1 ? 1 : -1);
    }
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

/**
 * Default reply. For a condense (rewrite) request it returns the thread's last
 * user question followed by the follow-up;
 * otherwise it quotes the first sentence of the first source in the prompt and cites
 * it as [1], or says the docs do not cover it when the prompt holds no source.
 */
export function defaultResponder(request: RecordedRequest): string {
  const messages = request.messages ?? [];
  const all = messages.map((m) => m.content).join('\n');
  if (/standalone/i.test(messages.find((m) => m.role === 'system')?.content ?? '')) {
    // A naive but useful rewrite: the thread's last user question, then the follow-up.
    const last = messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
    const followUp = /follow-up question:\s*([\s\S]*?)\s*(?:\n\s*\n|$)/i.exec(last)?.[1] ?? last;
    const earlier = [...last.matchAll(/^User:\s*(.+)$/gm)].at(-1)?.[1];
    return (earlier ? `${earlier.trim()} ${followUp.trim()}` : followUp).trim();
  }
  const source = firstSourceText(all);
  if (!source) return "The docs don't cover this.";
  return `According to the docs, "${firstSentence(source)}" [1]`;
}

/** The body of the first numbered source: `<source n="1" ...>body</source>` or a line starting `[1]`. */
export function firstSourceText(prompt: string): string | undefined {
  const tagged = /<source\b[^>]*\bn="?1"?[^>]*>\s*([\s\S]*?)\s*<\/source>/i.exec(prompt);
  if (tagged?.[1]) return tagged[1];
  const bracketed = /^\[1\][^\n]*\n([\s\S]*?)(?:\n\s*\n|\n\[2\]|$)/m.exec(prompt);
  return bracketed?.[1]?.trim() || undefined;
}

function firstSentence(text: string): string {
  const prose = text
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/^#+\s.*$/gm, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const sentence = /^(.{20,}?[.!?])(\s|$)/.exec(prose)?.[1] ?? prose;
  return sentence.length > 200 ? `${sentence.slice(0, 200).trimEnd()}…` : sentence;
}

/** Splits text into word-sized tokens whose concatenation is exactly the text. */
export function tokenize(text: string): string[] {
  return text.length === 0 ? [] : text.split(/(?<=\s)(?=\S)/);
}

function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function normaliseMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value)) return [];
  return value.map((message: { role?: unknown; content?: unknown }) => ({
    role: String(message.role ?? ''),
    content:
      typeof message.content === 'string'
        ? message.content
        : Array.isArray(message.content)
          ? message.content.map((part: { text?: unknown }) => String(part.text ?? '')).join('')
          : '',
  }));
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type = 'invalid_request_error',
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { message, type, param: null, code: null } }, headers);
}

function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(payload));
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseJson(raw: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Every pending delay of every fake ends when its fake closes, so a closed fake never holds the process open. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
