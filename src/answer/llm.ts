/**
 * The chat-completion client for DeepSeek or any OpenAI-compatible endpoint, built
 * on the `openai` package, which does the wire format and the retries.
 *
 * Retries: the openai client retries 408/409/429/5xx and connection errors
 * `config.maxRetries` times, waiting as long as `Retry-After` says (else exponential
 * backoff). Its wait cannot be cancelled, so a `Retry-After` longer than
 * `maxRetryWaitMs` is not waited for: the response is marked `x-should-retry: false`
 * and the user hears "rate limited" at once instead of a silent minute-long stall.
 *
 * Timeouts: `config.timeoutMs` bounds the wait for the response headers (per
 * attempt, by the openai client) and, while streaming, the wait for the first
 * token and between tokens (here) — a long answer that keeps flowing is fine, a
 * stalled one is not. `config.totalTimeoutMs` bounds the whole wait for the answer to
 * start, all attempts and retry waits included: three hung attempts of 60 s must not
 * keep a chat user waiting three minutes, and the message names the time really waited.
 * A request's `waitingSince` starts that budget earlier, when the user started waiting
 * (before the follow-up was condensed), so the whole question fits in it.
 *
 * A server that answers 200 with something else than the OpenAI wire format (a web UI
 * or a login page at LLM_BASE_URL) is told apart from a dropped connection: the operator
 * must fix a setting, not wait for the network.
 *
 * Endings: a reply cut at `max_tokens` (finish_reason `length`) is still an answer, so
 * the stream ends with `{ type: 'finish', reason: 'length' }` and the caller says it was
 * cut. A reply with no visible text, or one the server's content filter stopped (even
 * part-way: the server withdrew it), is not an answer: it fails here like any other LLM
 * failure, so every caller shows what it shows when the model is unavailable.
 *
 * Every failure becomes an `AskdocsError` with a plain message; a caller's abort is
 * re-thrown as the caller's abort reason.
 */
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  PermissionDeniedError,
  RateLimitError,
} from 'openai';
import type { Config } from '../config.ts';
import { AskdocsError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { inMinutes } from '../plural.ts';
import { credentialsInUrlError, hostOf } from '../url-credentials.ts';
import type { ChatMessage } from './prompt.ts';

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

/** How an answer ended: whole, or cut at max_tokens. Every other ending is an error. */
export type FinishReason = 'stop' | 'length';

export type LlmStreamEvent =
  | { type: 'delta'; text: string }
  | { type: 'usage'; usage: LlmUsage }
  /** Last, once the answer is known to be usable. */
  | { type: 'finish'; reason: FinishReason };

export interface CompletionRequest {
  messages: ChatMessage[];
  signal?: AbortSignal;
  /** Overrides config.llm.maxTokens (e.g. short for condensing). */
  maxTokens?: number;
  temperature?: number;
  /** Overrides config.llm.maxRetries (e.g. fewer for an optional step). */
  maxRetries?: number;
  /** Logs this call's failures instead of the client's logger: a request's child, so its lines carry the requestId. */
  logger?: Logger;
  /**
   * When the user started waiting (epoch ms; default: now). `totalTimeoutMs` counts from
   * here, so steps before this call (condensing a follow-up) spend the same budget.
   */
  waitingSince?: number;
}

export interface Completion {
  text: string;
  usage?: LlmUsage;
  /** `length`: the reply was cut at the token limit. */
  finish: FinishReason;
}

export interface LlmClient {
  readonly model: string;
  /** Streams the answer as text deltas, then one usage event when the server reports it, then how it ended. */
  stream(request: CompletionRequest): AsyncIterable<LlmStreamEvent>;
  complete(request: CompletionRequest): Promise<Completion>;
}

export interface LlmClientOptions {
  logger?: Logger;
  /** Longest `Retry-After` honoured by waiting (default: min(timeoutMs, 20 s)). */
  maxRetryWaitMs?: number;
  /** Called once per failed LLM call with a low-cardinality reason (for metrics). */
  onError?: (reason: LlmFailureReason) => void;
}

export type LlmFailureReason =
  | 'rate_limited'
  | 'timeout'
  | 'unavailable'
  | 'auth'
  | 'billing'
  | 'bad_request'
  | 'dropped'
  | 'empty'
  | 'filtered'
  | 'not_openai';

type LlmConfig = Config['llm'];

export function createLlmClient(config: LlmConfig, options: LlmClientOptions = {}): LlmClient {
  if (!config.apiKey) {
    throw new AskdocsError('config', 'No LLM API key is set (DEEPSEEK_API_KEY), so generated answers are off.');
  }
  const logger = options.logger;
  // Told on every call rather than here: a client built at start-up must not stop the runtime half-opened.
  const refused = credentialsInUrlError(config.baseURL, 'LLM_BASE_URL', 'DEEPSEEK_API_KEY');
  const maxRetryWaitMs = options.maxRetryWaitMs ?? Math.min(config.timeoutMs, 20_000);
  const client = new OpenAI({
    apiKey: config.apiKey,
    baseURL: config.baseURL,
    timeout: config.timeoutMs,
    maxRetries: config.maxRetries,
    // The openai client would log to the console; failures are logged here instead, through pino.
    logLevel: 'off',
    fetch: capRetryAfter(maxRetryWaitMs, logger),
  });

  const fail = (error: unknown, signal: AbortSignal | undefined, watchdog: StallWatchdog, log = logger): never => {
    const stalled = watchdog.stalled;
    if (signal?.aborted && !stalled) throw signal.reason ?? error;
    // A watchdog abort surfaces as the openai client's abort error: the watchdog's reason says how long we waited.
    const mapped = toLlmError(stalled ? watchdog.signal.reason : error, config, stalled, Date.now() - watchdog.startedAt);
    options.onError?.(mapped.reason);
    // Info, not warn: the error reaches the caller, who reports it; this line keeps the technical cause.
    // The host is for the operator; users see no internal address (toLlmError).
    const contentType = error instanceof NotOpenAiCompatible ? error.contentType : undefined;
    // Which limit ended the call: with retries, the total budget can cut an attempt that the per-request limit did not.
    const timedOut = stalled ? watchdog.signal.reason : error;
    const limit =
      timedOut instanceof StallTimeout
        ? { timeoutLimit: timedOut.setting, timeoutMs: timedOut.ms }
        : error instanceof APIConnectionTimeoutError
          ? { timeoutLimit: 'LLM_TIMEOUT_MS', timeoutMs: config.timeoutMs }
          : {};
    log?.info(
      {
        err: error,
        code: mapped.error.code,
        reason: mapped.reason,
        ...limit,
        model: config.model,
        host: hostOf(config.baseURL),
        contentType,
      },
      'llm call failed',
    );
    throw mapped.error;
  };

  /** The client for one call: with the caller's logger, its failed attempts are logged under the caller's requestId too. */
  const clientFor = (request: CompletionRequest) =>
    request.logger ? client.withOptions({ fetch: capRetryAfter(maxRetryWaitMs, request.logger) }) : client;

  const body = (request: CompletionRequest) => ({
    model: config.model,
    messages: request.messages,
    temperature: request.temperature ?? config.temperature,
    max_tokens: request.maxTokens ?? config.maxTokens,
  });

  return {
    model: config.model,

    async *stream(request) {
      if (refused) throw refused;
      const watchdog = new StallWatchdog(config.timeoutMs, request.signal, config.totalTimeoutMs, request.waitingSince);
      let finishReason: string | undefined;
      // Whitespace before the first visible text is held back: a reply that turns out to be
      // only whitespace must fail before anything of it reaches a chat message.
      let held = '';
      let visible = false;
      let chunks = 0;
      try {
        const { data: stream, response } = await raceAbort(
          clientFor(request)
            .chat.completions.create(
              { ...body(request), stream: true, stream_options: { include_usage: true } },
              { signal: watchdog.signal, maxRetries: request.maxRetries },
            )
            .withResponse(),
          watchdog.signal,
        );
        const contentType = response.headers.get('content-type') ?? undefined;
        if (contentType && /html/i.test(contentType)) throw new NotOpenAiCompatible(contentType);
        watchdog.arm();
        for await (const chunk of stream) {
          watchdog.arm();
          chunks++;
          const choice = chunk.choices[0];
          const text = choice?.delta?.content;
          if (text && (visible || text.trim() !== '')) {
            yield { type: 'delta', text: held + text };
            held = '';
            visible = true;
          } else if (text) {
            held += text;
          }
          if (choice?.finish_reason) finishReason = choice.finish_reason;
          if (chunk.usage) {
            yield {
              type: 'usage',
              usage: { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens },
            };
          }
        }
        // The openai stream ends quietly when aborted; a stream with no finish_reason was cut short.
        if (watchdog.signal.aborted) throw watchdog.signal.reason;
        // Not one event in the body (an HTML page sent as JSON, say): no stream was ever cut.
        if (chunks === 0) throw new NotOpenAiCompatible(contentType);
        if (!finishReason) throw new StreamCutShort();
        yield { type: 'finish', reason: usableEnding(finishReason, visible) };
      } catch (error) {
        fail(error, request.signal, watchdog, request.logger);
      } finally {
        watchdog.dispose();
      }
    },

    async complete(request) {
      if (refused) throw refused;
      const watchdog = new StallWatchdog(config.timeoutMs, request.signal, config.totalTimeoutMs, request.waitingSince);
      try {
        const { data: response, response: raw } = await raceAbort(
          clientFor(request)
            .chat.completions.create({ ...body(request), stream: false }, { signal: watchdog.signal, maxRetries: request.maxRetries })
            .withResponse()
            // A body labelled JSON that is none (an HTML page) fails to parse: the same misconfigured server.
            .catch((error: unknown) => {
              throw error instanceof SyntaxError ? new NotOpenAiCompatible(undefined, error) : error;
            }),
          watchdog.signal,
        );
        // The openai client hands back a body that is no JSON as a string.
        if (typeof response !== 'object' || response === null || !Array.isArray(response.choices)) {
          throw new NotOpenAiCompatible(raw.headers.get('content-type') ?? undefined);
        }
        const usage = response.usage
          ? { promptTokens: response.usage.prompt_tokens, completionTokens: response.usage.completion_tokens }
          : undefined;
        const choice = response.choices[0];
        const text = choice?.message?.content ?? '';
        const finish = usableEnding(choice?.finish_reason ?? 'stop', text.trim() !== '');
        return { text, usage, finish };
      } catch (error) {
        return fail(error, request.signal, watchdog, request.logger);
      } finally {
        watchdog.dispose();
      }
    },
  };
}

/** A 200 reply that is not the OpenAI wire format: a web page or another API at LLM_BASE_URL. */
class NotOpenAiCompatible extends Error {
  constructor(
    readonly contentType: string | undefined,
    cause?: unknown,
  ) {
    super(`the reply was not an OpenAI-compatible response (content-type ${contentType ?? 'not given'})`, { cause });
  }
}

class StreamCutShort extends Error {
  constructor() {
    super('stream ended without a finish reason');
  }
}

/** A reply that is no answer: nothing visible, stopped by the content filter, or cut off by the server. */
class NoAnswer extends Error {
  constructor(
    readonly finishReason: string,
    readonly hadText: boolean,
  ) {
    super(`the model gave no usable answer (finish_reason ${finishReason}, ${hadText ? 'some' : 'no'} text)`);
  }
}

/**
 * How a reply ended, if it is an answer at all; throws `NoAnswer` when it is not.
 * Unknown finish reasons count as `stop`: OpenAI-compatible servers add their own.
 */
function usableEnding(finishReason: string, hadText: boolean): FinishReason {
  // Checked before emptiness: a filtered reply says why there is no answer.
  if (finishReason === 'content_filter' || finishReason === 'insufficient_system_resource' || !hadText) {
    throw new NoAnswer(finishReason, hadText);
  }
  return finishReason === 'length' ? 'length' : 'stop';
}

/**
 * A limit of ours that ran out: LLM_TIMEOUT_MS (no data for that long on the current attempt),
 * or LLM_TOTAL_TIMEOUT_MS (no answer started within the whole budget, attempts included).
 * The message names which: "no data for 15000 ms" would be wrong when attempts of 8000 ms
 * each were retried until the 15000 ms budget ran out.
 */
class StallTimeout extends Error {
  constructor(
    readonly ms: number,
    readonly setting: 'LLM_TIMEOUT_MS' | 'LLM_TOTAL_TIMEOUT_MS',
    requestTimeoutMs: number,
  ) {
    super(
      setting === 'LLM_TIMEOUT_MS'
        ? `no data from the LLM for ${ms} ms (LLM_TIMEOUT_MS)`
        : `the LLM had not started answering when LLM_TOTAL_TIMEOUT_MS (${ms} ms, all attempts and retry waits included) ran out; each attempt may take up to LLM_TIMEOUT_MS (${requestTimeoutMs} ms)`,
    );
  }
}

/**
 * One abort signal for a call: fires when the caller aborts, or when `arm()`ed and
 * no further `arm()` comes within `ms` (a stalled stream).
 */
class StallWatchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** Until the first `arm()`: the whole budget for the call to start answering, retries included. */
  private budget: NodeJS.Timeout | undefined;
  private readonly onCallerAbort = () => this.controller.abort(this.caller?.reason);
  /** When the user started waiting: the budget, and the wait a timeout message names, count from here. */
  readonly startedAt: number;
  stalled = false;

  constructor(
    private readonly ms: number,
    private readonly caller?: AbortSignal,
    budgetMs?: number,
    waitingSince = Date.now(),
  ) {
    this.startedAt = waitingSince;
    if (caller?.aborted) this.controller.abort(caller.reason);
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
    if (budgetMs !== undefined) {
      // What is left of it: earlier steps of the same question spent the rest.
      this.budget = setTimeout(
        () => {
          this.stalled = true;
          this.controller.abort(new StallTimeout(budgetMs, 'LLM_TOTAL_TIMEOUT_MS', ms));
        },
        Math.max(0, budgetMs - (Date.now() - waitingSince)),
      );
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  arm(): void {
    clearTimeout(this.budget);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.stalled = true;
      this.controller.abort(new StallTimeout(this.ms, 'LLM_TIMEOUT_MS', this.ms));
    }, this.ms);
  }

  dispose(): void {
    clearTimeout(this.budget);
    clearTimeout(this.timer);
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }
}

/** Rejects as soon as `signal` aborts, even while the openai client sleeps between retries. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * A fetch that logs failed attempts and tells the openai client not to retry when
 * the server asks for a longer wait than we are willing to make a user sit through.
 */
function capRetryAfter(maxWaitMs: number, logger?: Logger): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (response.ok) return response;
    const waitMs = retryAfterMs(response.headers);
    logger?.info({ status: response.status, retryAfterMs: waitMs }, 'llm request attempt failed');
    if (waitMs === undefined || waitMs <= maxWaitMs) return response;
    const headers = new Headers(response.headers);
    headers.set('x-should-retry', 'false');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/** The wait a response asks for, read the way the openai client reads it. */
export function retryAfterMs(headers: Headers): number | undefined {
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (!Number.isNaN(ms)) return ms;
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number.parseFloat(value);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Maps an openai/network error to a plain AskdocsError and a metrics reason. */
export function toLlmError(
  error: unknown,
  config: Pick<LlmConfig, 'timeoutMs' | 'baseURL' | 'model'>,
  stalled = false,
  waitedMs?: number,
): { error: AskdocsError; reason: LlmFailureReason } {
  // The time the user really waited: the watchdog's (a stall, or the total budget), else all attempts'.
  const seconds = Math.max(1, Math.round((error instanceof StallTimeout ? error.ms : (waitedMs ?? config.timeoutMs)) / 1000));
  const make = (code: AskdocsError['code'], reason: LlmFailureReason, message: string) => ({
    error: new AskdocsError(code, message, { cause: error }),
    reason,
  });
  if (stalled || error instanceof StallTimeout || error instanceof APIConnectionTimeoutError) {
    return make('llm_timeout', 'timeout', `The language model did not respond within ${seconds} s. Please try again.`);
  }
  if (error instanceof RateLimitError) {
    // Its Retry-After says when it takes requests again: "in a minute" would be wrong for an hour.
    const waitMs = error.headers ? retryAfterMs(error.headers) : undefined;
    return make(
      'llm_rate_limited',
      'rate_limited',
      `The language model is rate-limiting requests right now. Please try again in ${inMinutes(waitMs)}.`,
    );
  }
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) {
    return make('llm_unavailable', 'auth', 'The language model rejected our API key. An administrator needs to check DEEPSEEK_API_KEY.');
  }
  if (error instanceof APIConnectionError) {
    // Chat users see this too: the setting to check, not the internal address (logged in `fail`).
    return make('llm_unavailable', 'unavailable', 'Could not reach the language model (LLM_BASE_URL). Please try again later.');
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    if (error.status === 402) {
      return make('llm_unavailable', 'billing', 'The language model account has no balance left. An administrator needs to top it up.');
    }
    if (error.status >= 500 || error.status === 408 || error.status === 409) {
      return make(
        'llm_unavailable',
        'unavailable',
        `The language model service is unavailable right now (HTTP ${error.status}). Please try again later.`,
      );
    }
    return make(
      'llm_unavailable',
      'bad_request',
      error.status === 404
        ? `The language model endpoint or model "${config.model}" was not found (HTTP 404). Check LLM_BASE_URL and LLM_MODEL.`
        : `The language model rejected the request (HTTP ${error.status}).`,
    );
  }
  if (error instanceof NoAnswer) {
    if (error.finishReason === 'content_filter') {
      return make(
        'llm_unavailable',
        'filtered',
        "The language model's content filter stopped its answer to this question. Please rephrase the question, or look in the docs directly.",
      );
    }
    if (error.finishReason === 'insufficient_system_resource') {
      // DeepSeek's own finish reason when it runs out of capacity mid-request: an outage, not an answer.
      return make('llm_unavailable', 'unavailable', 'The language model service is overloaded right now. Please try again later.');
    }
    return make('llm_unavailable', 'empty', 'The language model returned an empty answer. Please try again.');
  }
  if (error instanceof NotOpenAiCompatible) {
    // The setting to check, never the address itself (it may hold credentials) nor the body.
    return make(
      'llm_unavailable',
      'not_openai',
      'The server at LLM_BASE_URL did not answer like an OpenAI-compatible API. An administrator needs to check LLM_BASE_URL.',
    );
  }
  if (error instanceof StreamCutShort || error instanceof APIUserAbortError || isNetworkDrop(error)) {
    return make('llm_unavailable', 'dropped', 'The connection to the language model dropped mid-answer. Please try again.');
  }
  return make('llm_unavailable', 'unavailable', 'The language model failed to answer. Please try again later.');
}

/** undici reports a connection dropped mid-body as `TypeError: terminated`. */
function isNetworkDrop(error: unknown): boolean {
  return error instanceof TypeError && /terminated|socket|other side closed/i.test(`${error.message} ${String(error.cause)}`);
}
