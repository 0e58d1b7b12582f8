/**
 * The JSON log lines as an operator reads them: a password a URL carries never shows,
 * however short (too short to register as a secret) and wherever the URL is quoted.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, redactSecrets, registerSecrets } from '../src/logger.ts';

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
