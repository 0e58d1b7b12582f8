/**
 * The JSON log lines as an operator reads them: a password a URL carries never shows,
 * however short (too short to register as a secret) and wherever the URL is quoted; and an
 * error keeps what an operator needs to find its cause (its class, stack and causes).
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { AskdocsError } from '../src/errors.ts';
import { createLogger, type Logger, redactSecrets, registerSecrets } from '../src/logger.ts';

function capture(): { logger: Logger; lines: () => Promise<Record<string, unknown>[]> } {
  const sink = new PassThrough();
  const text: string[] = [];
  sink.on('data', (data: Buffer) => text.push(data.toString()));
  return {
    logger: createLogger({ level: 'debug', destination: sink }),
    async lines() {
      await new Promise((resolve) => setImmediate(resolve));
      return text
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
  };
}

/** The object logged under `key` (an error, or an error's cause). */
function obj(parent: Record<string, unknown> | undefined, key: string): Record<string, unknown> {
  const value = parent?.[key];
  assert.ok(value && typeof value === 'object', `no object under ${key}: ${JSON.stringify(parent)}`);
  return value as Record<string, unknown>;
}

/** The error the Milvus client wraps when the engine goes away: a gRPC error with a code and details. */
function grpcUnavailable(details: string): Error {
  return Object.assign(new Error(`14 UNAVAILABLE: ${details}`), { code: 14, details, metadata: { authorization: 'Bearer abcdefgh12345' } });
}

describe('log redaction', () => {
  it('cuts the user:password out of URLs in messages, errors and fields, keeping the host', async () => {
    const sink = new PassThrough();
    const lines: string[] = [];
    sink.on('data', (data: Buffer) => lines.push(...data.toString().split('\n').filter(Boolean)));
    const logger = createLogger({ level: 'debug', destination: sink });
    logger.warn({ err: new Error('request to http://u:PW1@127.0.0.1:9/v1/embeddings failed') }, 'embedding failed');
    logger.info({ target: { uri: 'grpcs://root:PW2@milvus.internal:19530' } }, 'connecting');
    logger.info('retrying https://svc:PW3@proxy.example/v1 (with an @ in the password: https://svc:a@PW4@proxy.example)');
    await new Promise((resolve) => setImmediate(resolve));
    const text = lines.join('\n');
    assert.equal(lines.length, 3, text);
    for (const password of ['PW1', 'PW2', 'PW3', 'PW4']) assert.ok(!text.includes(password), `${password} in ${text}`);
    assert.match(text, /http:\/\/\[REDACTED\]@127\.0\.0\.1:9\/v1\/embeddings/);
    assert.match(text, /grpcs:\/\/\[REDACTED\]@milvus\.internal:19530/);
  });

  it('redacts a registered key inside any text, and a plain-word "key" (DEEPSEEK_API_KEY=ollama) only where it stands alone', () => {
    registerSecrets('sk-live-4f9Qx81bZ', 'hunter2', 'ollama', 'changeme2024', 'abc');
    assert.equal(
      redactSecrets('401 for key sk-live-4f9Qx81bZ (Bearer-sk-live-4f9Qx81bZ, ?k=sk-live-4f9Qx81bZ&x)'),
      '401 for key [REDACTED] (Bearer-[REDACTED], ?k=[REDACTED]&x)',
    );
    assert.equal(redactSecrets('auth failed: pw=hunter2;'), 'auth failed: pw=[REDACTED];');
    assert.equal(redactSecrets('token xchangeme2024x'), 'token x[REDACTED]x', '12 characters or more: a secret wherever it is');
    // The README's Ollama setup: the "key" is the word ollama, which model and host names contain.
    assert.equal(
      redactSecrets('model "ollama-llama3" was not found at http://ollama.internal:11434/v1'),
      'model "ollama-llama3" was not found at http://ollama.internal:11434/v1',
    );
    assert.equal(redactSecrets('401: invalid api key "ollama"; key=ollama'), '401: invalid api key "[REDACTED]"; key=[REDACTED]');
    assert.equal(redactSecrets('abc is too short to be told from a word'), 'abc is too short to be told from a word');
  });
});

describe('logged errors', () => {
  it('keep their class, a redacted stack and the redacted cause under them', async () => {
    registerSecrets('sk-cause-9fQx81bZ');
    const { logger, lines } = capture();
    const grpc = grpcUnavailable('connect ECONNREFUSED grpc://root:PW5@127.0.0.1:19530 key sk-cause-9fQx81bZ');
    const wrapped = new AskdocsError('milvus_unavailable', 'Lost the connection to Milvus (request: search).', { cause: grpc });
    logger.error({ err: wrapped, requestId: 'r1' }, 'answer failed');
    const [line] = await lines();
    const text = JSON.stringify(line);
    for (const secret of ['PW5', 'sk-cause-9fQx81bZ', 'abcdefgh12345']) assert.ok(!text.includes(secret), `${secret} in ${text}`);
    const err = obj(line, 'err');
    assert.equal(err.type, 'AskdocsError');
    assert.equal(err.code, 'milvus_unavailable');
    assert.equal(err.message, 'Lost the connection to Milvus (request: search).');
    assert.match(String(err.stack), /^AskdocsError: Lost the connection to Milvus[^\n]*\n\s+at .*logger\.test\.ts/);
    const cause = obj(err, 'cause');
    assert.equal(cause.type, 'Error');
    assert.equal(cause.code, 14);
    assert.equal(cause.details, 'connect ECONNREFUSED grpc://[REDACTED]@127.0.0.1:19530 key [REDACTED]');
    assert.match(
      String(cause.stack),
      /^Error: 14 UNAVAILABLE: connect ECONNREFUSED grpc:\/\/\[REDACTED\]@127\.0\.0\.1:19530 key \[REDACTED\]\n\s+at /,
    );
    assert.equal(cause.metadata, undefined, 'gRPC metadata can carry headers: not logged');
  });

  it('are the same under any key and as the first argument', async () => {
    const { logger, lines } = capture();
    const timeout = new Error('Command timed out');
    logger.warn({ err: new TypeError('fetch failed', { cause: timeout }), firstError: timeout }, 'claims: Redis did not answer');
    logger.error(new RangeError('too far http://u:PW6@host/x'));
    logger.error(new RangeError('again'), 'with its own message');
    const [first, second, third] = await lines();
    assert.equal(obj(first, 'err').type, 'TypeError');
    assert.equal(obj(obj(first, 'err'), 'cause').message, 'Command timed out');
    const firstError = obj(first, 'firstError');
    assert.equal(firstError.type, 'Error');
    assert.match(String(firstError.stack), /^Error: Command timed out\n\s+at /);
    assert.equal(second?.msg, 'too far http://[REDACTED]@host/x');
    assert.equal(obj(second, 'err').type, 'RangeError');
    assert.ok(!JSON.stringify(second).includes('PW6'));
    assert.equal(third?.msg, 'with its own message');
    assert.equal(obj(third, 'err').message, 'again');
  });

  it('follow a cause chain a few levels down, and stop at a loop', async () => {
    const { logger, lines } = capture();
    let deep: Error = new Error('level 0');
    for (let level = 1; level <= 20; level++) deep = new Error(`level ${level}`, { cause: deep });
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    logger.warn({ err: deep }, 'deep');
    logger.warn({ err: a }, 'loop');
    const [deepLine, loopLine] = await lines();
    const messages: string[] = [];
    let at = deepLine?.err as Record<string, unknown> | string | undefined;
    while (at && typeof at === 'object') {
      messages.push(String(at.message));
      at = at.cause as Record<string, unknown> | string | undefined;
    }
    assert.deepEqual(messages, ['level 20', 'level 19', 'level 18', 'level 17', 'level 16', 'level 15']);
    assert.equal(at, '[further causes not logged]');
    const loop = obj(loopLine, 'err');
    assert.equal(obj(loop, 'cause').message, 'b');
    assert.equal(obj(loop, 'cause').cause, '[circular cause]');
  });
});
