/**
 * The LLM client against the fake OpenAI-compatible server: real HTTP, real SSE,
 * real openai client retries.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createLlmClient, type LlmClient, type LlmStreamEvent } from '../src/answer/llm.ts';
import { AskdocsError } from '../src/errors.ts';
import { createLogger } from '../src/logger.ts';
import { testConfig } from './fakes/config.ts';
import { type FakeLlm, startFakeLlm } from './fakes/llm-server.ts';

const messages = [
  {
    role: 'system' as const,
    content: 'Answer from <sources>\n<source n="1" title="t" link="l">\nMilvus supports partitions. More text.\n</source>\n</sources>',
  },
  { role: 'user' as const, content: 'Does Milvus support partitions?' },
];

function client(llm: FakeLlm, overrides: Record<string, string> = {}, onError?: (reason: string) => void): LlmClient {
  const config = testConfig({
    LLM_BASE_URL: llm.url,
    DEEPSEEK_API_KEY: 'sk-test-key-123',
    LLM_MODEL: 'deepseek-chat',
    LLM_TIMEOUT_MS: '1000',
    LLM_MAX_RETRIES: '2',
    ...overrides,
  });
  return createLlmClient(config.llm, { onError });
}

async function collect(stream: AsyncIterable<LlmStreamEvent>): Promise<{ text: string; deltas: number; usage?: unknown; finish?: string }> {
  let text = '';
  let deltas = 0;
  let usage: unknown;
  let finish: string | undefined;
  for await (const event of stream) {
    if (event.type === 'delta') {
      text += event.text;
      deltas++;
    } else if (event.type === 'usage') usage = event.usage;
    else finish = event.reason;
  }
  return { text, deltas, usage, finish };
}

/** A log destination that keeps each line. */
function sinkInto(lines: string[]): PassThrough {
  const sink = new PassThrough();
  sink.on('data', (data: Buffer) => lines.push(...data.toString().split('\n').filter(Boolean)));
  return sink;
}

async function rejection(promise: Promise<unknown>): Promise<AskdocsError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AskdocsError, `expected an AskdocsError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('LLM client', () => {
  let llm: FakeLlm;
  before(async () => {
    llm = await startFakeLlm();
  });
  after(() => llm.close());
  beforeEach(() => llm.reset());

  it('streams the answer token by token and reports usage', async () => {
    llm.replyNext('Yes, Milvus supports partitions [1].');
    const result = await collect(client(llm).stream({ messages }));
    assert.equal(result.text, 'Yes, Milvus supports partitions [1].');
    assert.ok(result.deltas > 1, 'the answer arrives in several pieces');
    assert.deepEqual(result.usage, {
      promptTokens: result.usage && (result.usage as { promptTokens: number }).promptTokens,
      completionTokens: 5,
    });

    const request = llm.lastChatRequest();
    assert.equal(request?.model, 'deepseek-chat');
    assert.equal(request?.stream, true);
    assert.deepEqual(request?.messages, messages);
    assert.equal(request?.headers.authorization, 'Bearer sk-test-key-123');
    assert.deepEqual(request?.body?.stream_options, { include_usage: true });
  });

  it('says the answer ended normally', async () => {
    llm.replyNext('Yes [1].');
    assert.equal((await collect(client(llm).stream({ messages }))).finish, 'stop');
  });

  it('keeps the text of an answer cut at max_tokens and says it was cut (finish_reason "length")', async () => {
    llm.replyNext({ text: 'Milvus supports up to 32,768 dimensions [1] and also', finishReason: 'length' });
    const reasons: string[] = [];
    const result = await collect(client(llm, {}, (r) => reasons.push(r)).stream({ messages }));
    assert.equal(result.text, 'Milvus supports up to 32,768 dimensions [1] and also');
    assert.equal(result.finish, 'length');
    assert.ok(result.usage, 'usage still reported');
    assert.deepEqual(reasons, [], 'a cut answer is an answer, not an LLM failure');
  });

  it('fails plainly, showing nothing, when the content filter stops the answer before any text', async () => {
    llm.replyNext({ text: '', finishReason: 'content_filter' });
    const reasons: string[] = [];
    const events: LlmStreamEvent[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of client(llm, {}, (r) => reasons.push(r)).stream({ messages })) events.push(event);
      })(),
    );
    assert.equal(error.code, 'llm_unavailable');
    assert.match(error.userMessage, /content filter/);
    assert.ok(!events.some((e) => e.type === 'delta'));
    assert.deepEqual(reasons, ['filtered']);
  });

  it('fails when the content filter stops an answer part-way: what it wrote is withdrawn, not an answer', async () => {
    llm.replyNext({ text: 'To bypass the check, first', finishReason: 'content_filter' });
    const error = await rejection(collect(client(llm).stream({ messages })));
    assert.match(error.userMessage, /content filter/);
  });

  it('fails plainly, showing nothing, when the answer is only whitespace', async () => {
    llm.replyNext({ text: ' \n\n  \n', finishReason: 'stop' });
    const reasons: string[] = [];
    let deltas = 0;
    const error = await rejection(
      (async () => {
        for await (const event of client(llm, {}, (r) => reasons.push(r)).stream({ messages })) if (event.type === 'delta') deltas++;
      })(),
    );
    assert.equal(error.code, 'llm_unavailable');
    assert.equal(error.userMessage, 'The language model returned an empty answer. Please try again.');
    assert.equal(deltas, 0, 'the whitespace is never shown');
    assert.deepEqual(reasons, ['empty']);
  });

  it('an empty answer cut at max_tokens (all of it spent before any text) is empty, not cut off', async () => {
    llm.replyNext({ text: '', finishReason: 'length' });
    const error = await rejection(collect(client(llm).stream({ messages })));
    assert.equal(error.userMessage, 'The language model returned an empty answer. Please try again.');
  });

  it('keeps leading whitespace of a real answer', async () => {
    llm.replyNext('\n\nYes [1].');
    assert.equal((await collect(client(llm).stream({ messages }))).text, '\n\nYes [1].');
  });

  it("treats DeepSeek's insufficient_system_resource ending as the service being unavailable", async () => {
    llm.replyNext({ text: 'Yes, Milvus', finishReason: 'insufficient_system_resource' });
    const reasons: string[] = [];
    const error = await rejection(collect(client(llm, {}, (r) => reasons.push(r)).stream({ messages })));
    assert.equal(error.code, 'llm_unavailable');
    assert.match(error.userMessage, /overloaded/);
    assert.deepEqual(reasons, ['unavailable']);
  });

  it('a complete() call fails the same way on an empty or filtered reply', async () => {
    llm.replyNext({ text: '   ', finishReason: 'stop' }, { text: 'How many', finishReason: 'content_filter' });
    assert.match((await rejection(client(llm).complete({ messages }))).userMessage, /empty answer/);
    assert.match((await rejection(client(llm).complete({ messages }))).userMessage, /content filter/);
  });

  it('uses the fake default reply: quotes and cites the first source', async () => {
    const result = await collect(client(llm).stream({ messages }));
    assert.equal(result.text, 'According to the docs, "Milvus supports partitions." [1]');
  });

  it('works with a base URL without /v1, as DeepSeek is configured', async () => {
    const config = testConfig({ LLM_BASE_URL: llm.origin, DEEPSEEK_API_KEY: 'sk-test-key-123' });
    const completion = await createLlmClient(config.llm).complete({ messages });
    assert.match(completion.text, /\[1\]/);
    assert.equal(llm.lastChatRequest()?.path, '/chat/completions');
    assert.ok(completion.usage && completion.usage.completionTokens > 0);
  });

  it('delivers the first tokens before a slow stream ends', async () => {
    llm.setBehaviour({ tokensPerSecond: 25 });
    llm.replyNext('one two three four five six seven eight nine ten');
    const started = Date.now();
    let firstAt = 0;
    for await (const event of client(llm).stream({ messages })) {
      if (event.type === 'delta' && firstAt === 0) firstAt = Date.now() - started;
    }
    const total = Date.now() - started;
    assert.ok(total - firstAt >= 250, `first token at ${firstAt} ms, end at ${total} ms`);
  });

  it('waits for a slow first token that is within the timeout', async () => {
    llm.setBehaviour({ firstTokenDelayMs: 400 });
    const result = await collect(client(llm).stream({ messages }));
    assert.match(result.text, /\[1\]/);
  });

  it('gives up with a timeout when the first token takes longer than the timeout', async () => {
    llm.setBehaviour({ firstTokenDelayMs: 2500 });
    const reasons: string[] = [];
    const error = await rejection(collect(client(llm, {}, (r) => reasons.push(r)).stream({ messages })));
    assert.equal(error.code, 'llm_timeout');
    assert.equal(error.userMessage, 'The language model did not respond within 1 s. Please try again.');
    assert.deepEqual(reasons, ['timeout']);
  });

  it('times out a request that never answers, after bounded retries', async () => {
    llm.failNext({ type: 'hang' }, { type: 'hang' });
    const error = await rejection(client(llm, { LLM_MAX_RETRIES: '1' }).complete({ messages }));
    assert.equal(error.code, 'llm_timeout');
    assert.equal(llm.chatRequests().length, 2, 'one try plus one retry');
  });

  it('counts LLM_TOTAL_TIMEOUT_MS from when the user started waiting, and names the whole wait', async () => {
    llm.failNext({ type: 'hang' });
    const waitingSince = Date.now() - 1500;
    const started = Date.now();
    const error = await rejection(
      collect(client(llm, { LLM_TIMEOUT_MS: '5000', LLM_TOTAL_TIMEOUT_MS: '2000' }).stream({ messages, waitingSince })),
    );
    assert.equal(error.code, 'llm_timeout');
    assert.ok(Date.now() - started < 1200, `gave up after ${Date.now() - started} ms, not the whole budget again`);
    assert.equal(error.userMessage, 'The language model did not respond within 2 s. Please try again.');
  });

  for (const [what, fault] of [
    ['an HTML page', { type: 'body', body: '<!doctype html><html><body>Open WebUI</body></html>', contentType: 'text/html' }],
    [
      'an HTML page labelled JSON',
      { type: 'body', body: '<!doctype html><html><body>Login</body></html>', contentType: 'application/json' },
    ],
  ] as const) {
    it(`says LLM_BASE_URL is no OpenAI-compatible API when the server answers 200 with ${what}, not that the connection dropped`, async () => {
      const reasons: string[] = [];
      const logged: string[] = [];
      const config = testConfig({ LLM_BASE_URL: llm.url, DEEPSEEK_API_KEY: 'sk-test-key-123', LLM_TIMEOUT_MS: '1000' });
      const logger = createLogger({ level: 'debug', destination: sinkInto(logged) });
      const html = createLlmClient(config.llm, { onError: (reason) => reasons.push(reason), logger });
      for (const call of [() => collect(html.stream({ messages })), () => html.complete({ messages })]) {
        llm.failNext(fault);
        const error = await rejection(call());
        assert.equal(error.code, 'llm_unavailable');
        assert.equal(
          error.userMessage,
          'The server at LLM_BASE_URL did not answer like an OpenAI-compatible API. An administrator needs to check LLM_BASE_URL.',
        );
      }
      assert.deepEqual(reasons, ['not_openai', 'not_openai']);
      const failed = logged.map((line) => JSON.parse(line)).filter((line) => line.msg === 'llm call failed');
      assert.equal(failed[0]?.contentType, fault.contentType, logged.join('\n'));
      assert.ok(!logged.join('\n').includes('sk-test-key-123'));
    });
  }

  it('a model that never answers is given up on at LLM_TOTAL_TIMEOUT_MS, retries included, and the message says how long', async () => {
    llm.failNext({ type: 'hang' }, { type: 'hang' }, { type: 'hang' });
    const error = await rejection(
      collect(client(llm, { LLM_TIMEOUT_MS: '1000', LLM_MAX_RETRIES: '2', LLM_TOTAL_TIMEOUT_MS: '2000' }).stream({ messages })),
    );
    assert.equal(error.code, 'llm_timeout');
    assert.equal(error.userMessage, 'The language model did not respond within 2 s. Please try again.');
    assert.ok(llm.chatRequests().length < 3, 'the third attempt never started: the budget was spent');
  });

  it('logs the limit that ended the call: the total budget cutting a retry, or the per-request limit', async () => {
    const logged: string[] = [];
    const logger = createLogger({ level: 'debug', destination: sinkInto(logged) });
    const failedCall = () => {
      const lines = logged.map((line) => JSON.parse(line)).filter((line) => line.msg === 'llm call failed');
      assert.equal(lines.length, 1, logged.join('\n'));
      logged.length = 0;
      return lines[0];
    };
    const make = (overrides: Record<string, string>) =>
      createLlmClient(testConfig({ LLM_BASE_URL: llm.url, DEEPSEEK_API_KEY: 'sk-test-key-123', ...overrides }).llm, { logger });

    // The probe's case, scaled down: each attempt may take 1 s, the budget is 1.8 s; the first
    // attempt times out at 1 s, the retry is cut by the budget. The user hears the whole wait.
    llm.failNext({ type: 'hang' }, { type: 'hang' }, { type: 'hang' });
    const budget = make({ LLM_TIMEOUT_MS: '1000', LLM_TOTAL_TIMEOUT_MS: '1800', LLM_MAX_RETRIES: '2' });
    const cut = await rejection(collect(budget.stream({ messages })));
    assert.equal(cut.userMessage, 'The language model did not respond within 2 s. Please try again.');
    assert.equal(llm.chatRequests().length, 2, 'the retry had started');
    const cutLine = failedCall();
    assert.equal(cutLine.timeoutLimit, 'LLM_TOTAL_TIMEOUT_MS');
    assert.equal(cutLine.timeoutMs, 1800);
    assert.doesNotMatch(cutLine.err.message, /no data from the LLM for 1800 ms/);
    assert.match(
      cutLine.err.message,
      /LLM_TOTAL_TIMEOUT_MS \(1800 ms, all attempts and retry waits included\).*LLM_TIMEOUT_MS \(1000 ms\)/,
    );

    // The per-request limit ends the call when no retry is left.
    llm.reset();
    llm.failNext({ type: 'hang' });
    await rejection(make({ LLM_TIMEOUT_MS: '1000', LLM_TOTAL_TIMEOUT_MS: '5000', LLM_MAX_RETRIES: '0' }).complete({ messages }));
    const requestLine = failedCall();
    assert.equal(requestLine.timeoutLimit, 'LLM_TIMEOUT_MS');
    assert.equal(requestLine.timeoutMs, 1000);

    // A stream whose first token is later than LLM_TIMEOUT_MS: the stall watchdog's limit.
    llm.reset();
    llm.setBehaviour({ firstTokenDelayMs: 2500 });
    await rejection(collect(make({ LLM_TIMEOUT_MS: '1000', LLM_TOTAL_TIMEOUT_MS: '5000', LLM_MAX_RETRIES: '0' }).stream({ messages })));
    const stallLine = failedCall();
    assert.equal(stallLine.timeoutLimit, 'LLM_TIMEOUT_MS');
    assert.equal(stallLine.timeoutMs, 1000);
    assert.equal(stallLine.err.message, 'no data from the LLM for 1000 ms (LLM_TIMEOUT_MS)');
  });

  it('retries a 429 after the Retry-After the server asked for, then succeeds', async () => {
    llm.failNext({ type: 'status', status: 429, retryAfter: 1 });
    const result = await collect(client(llm).stream({ messages }));
    assert.match(result.text, /\[1\]/);
    const [first, second] = llm.chatRequests();
    assert.ok(first && second);
    // The client's own backoff would be about 0.5 s; Retry-After says 1 s.
    assert.ok(second.receivedAt - first.receivedAt >= 950, `retried after ${second.receivedAt - first.receivedAt} ms`);
  });

  it('reports rate limiting plainly when 429s persist', async () => {
    llm.failNext(...Array.from({ length: 3 }, () => ({ type: 'status' as const, status: 429, retryAfter: 0 })));
    const error = await rejection(collect(client(llm).stream({ messages })));
    assert.equal(error.code, 'llm_rate_limited');
    assert.match(error.userMessage, /rate-limiting requests right now\. Please try again in a minute\./);
    assert.equal(llm.chatRequests().length, 3);
  });

  it('does not sit through a Retry-After longer than it is willing to wait', async () => {
    llm.failNext({ type: 'status', status: 429, retryAfter: 3600 });
    const error = await rejection(client(llm).complete({ messages }));
    assert.equal(error.code, 'llm_rate_limited');
    assert.equal(llm.chatRequests().length, 1);
    assert.match(error.userMessage, /Please try again in 60 minutes\.$/, 'says when, from its Retry-After');
  });

  it('counts an account out of balance (402) as billing, not as a rejected key', async () => {
    llm.failNext({ type: 'status', status: 402 });
    const reasons: string[] = [];
    const error = await rejection(client(llm, { LLM_MAX_RETRIES: '0' }, (r) => reasons.push(r)).complete({ messages }));
    assert.match(error.userMessage, /no balance left/);
    assert.deepEqual(reasons, ['billing']);
  });

  it('turns a persistent 500 into one clear error after bounded retries', async () => {
    llm.failNext(...Array.from({ length: 3 }, () => ({ type: 'status' as const, status: 500, retryAfter: 0 })));
    const reasons: string[] = [];
    const error = await rejection(collect(client(llm, {}, (r) => reasons.push(r)).stream({ messages })));
    assert.equal(error.code, 'llm_unavailable');
    assert.equal(error.userMessage, 'The language model service is unavailable right now (HTTP 500). Please try again later.');
    assert.equal(llm.chatRequests().length, 3, 'one try plus LLM_MAX_RETRIES=2 retries');
    assert.deepEqual(reasons, ['unavailable']);
  });

  it('recovers from a single 500', async () => {
    llm.failNext({ type: 'status', status: 500, retryAfter: 0 });
    const result = await collect(client(llm).stream({ messages }));
    assert.match(result.text, /\[1\]/);
    assert.equal(llm.chatRequests().length, 2);
  });

  it('reports a connection dropped mid-stream', async () => {
    llm.failNext({ type: 'disconnect', afterTokens: 3 });
    const deltas: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of client(llm).stream({ messages })) if (event.type === 'delta') deltas.push(event.text);
      })(),
    );
    assert.equal(error.code, 'llm_unavailable');
    assert.match(error.userMessage, /dropped mid-answer/);
    assert.equal(deltas.join(''), 'According to the ');
  });

  it('names the API key setting, never the key, when the key is rejected', async () => {
    const guarded = await startFakeLlm({ apiKey: 'the-right-key' });
    try {
      const error = await rejection(client(guarded, { LLM_MAX_RETRIES: '0' }).complete({ messages }));
      assert.equal(error.code, 'llm_unavailable');
      assert.match(error.userMessage, /DEEPSEEK_API_KEY/);
      assert.ok(!error.userMessage.includes('sk-test-key-123'));
    } finally {
      await guarded.close();
    }
  });

  it('reports an unreachable endpoint plainly', async () => {
    const gone = await startFakeLlm();
    const url = gone.url;
    await gone.close();
    const config = testConfig({ LLM_BASE_URL: url, DEEPSEEK_API_KEY: 'sk-test-key-123', LLM_MAX_RETRIES: '0' });
    const error = await rejection(createLlmClient(config.llm).complete({ messages }));
    assert.equal(error.code, 'llm_unavailable');
    // Chat users read this too: the setting to check, never the internal address.
    assert.equal(error.userMessage, 'Could not reach the language model (LLM_BASE_URL). Please try again later.');
  });

  it('refuses an LLM_BASE_URL with a password in one line that names the setting, never the password', async () => {
    const withPassword = llm.url.replace('http://', 'http://user:LlmPW12345@');
    // loadConfig lists it among the config problems; the client refuses it too, for a Config built in code.
    assert.throws(() => client(llm, { LLM_BASE_URL: withPassword }), /LLM_BASE_URL: contains a user name or password/);
    const config = testConfig({ LLM_BASE_URL: llm.url, DEEPSEEK_API_KEY: 'sk-test-key-123' });
    const error = await rejection(createLlmClient({ ...config.llm, baseURL: withPassword }).complete({ messages }));
    assert.equal(error.code, 'config');
    assert.match(error.userMessage, /^LLM_BASE_URL contains a user name or password, which askdocs cannot send/);
    assert.doesNotMatch(error.userMessage, /LlmPW12345/);
    assert.equal(llm.chatRequests().length, 0);
  });

  it("stops when the caller aborts, with the caller's reason", async () => {
    llm.setBehaviour({ tokensPerSecond: 5 });
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    let deltas = 0;
    await assert.rejects(
      (async () => {
        for await (const event of client(llm).stream({ messages, signal: controller.signal })) {
          if (event.type === 'delta' && ++deltas === 2) controller.abort(reason);
        }
      })(),
      (error) => error === reason,
    );
    assert.equal(deltas, 2);
  });

  it('stops waiting out a retry when the caller aborts', async () => {
    llm.failNext({ type: 'status', status: 503, retryAfter: 1 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('bye')), 100);
    await assert.rejects(client(llm, { LLM_TIMEOUT_MS: '10000' }).complete({ messages, signal: controller.signal }), /bye/);
    assert.ok(Date.now() - started < 800, 'did not wait for Retry-After');
  });
});
