/**
 * `askdocs ask` and `askdocs chat` as a user runs them: child processes of
 * bin/askdocs.js against a real Milvus Lite (the Milvus product FAQ page, ingested
 * with the real embedding model) and the fake OpenAI-compatible LLM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdtemp, open, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { runChatLoop } from '../src/cli/terminal/chat-loop.ts';
import { renderAnswer } from '../src/cli/terminal/render.ts';
import type { AnswerEvent, Engine, Question, Source } from '../src/engine/types.ts';
import { AskdocsError } from '../src/errors.ts';
import { startMilvusLite } from '../src/milvus/lite-server.ts';
import { PACKAGE_ROOT } from '../src/paths.ts';
import { CORPUS_DIR, NEEDS_SHARED } from './fakes/config.ts';
import { defaultResponder, type FakeLlm, startFakeLlm } from './fakes/llm-server.ts';
import { alive, engineOf } from './support/engine-process.ts';
import { ingestInto, startTestMilvus, type TestMilvus } from './support/milvus.ts';
import { until } from './support/until.ts';

const COLLECTION = 'cli_ask_test';
const API_KEY = 'sk-cli-test-9876';

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as it arrived, chunk by chunk. */
  chunks: string[];
}

describe('askdocs ask / chat (CLI)', { skip: NEEDS_SHARED }, () => {
  let milvus: TestMilvus;
  let llm: FakeLlm;
  let docsDir: string;

  before(async () => {
    [milvus, llm] = await Promise.all([startTestMilvus(), startFakeLlm()]);
    // One real page keeps ingest quick; copied to a temp folder, never into the repo.
    docsDir = await mkdtemp(join(tmpdir(), 'askdocs-cli-docs-'));
    await copyFile(resolve(CORPUS_DIR, 'faq/product_faq.md'), join(docsDir, 'product_faq.md'));
    await ingestInto(milvus, COLLECTION, docsDir);
  });

  after(async () => {
    await Promise.all([llm?.close(), milvus?.stop(), docsDir && rm(docsDir, { recursive: true, force: true })]);
  });

  beforeEach(() => llm.reset());

  function run(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<RunResult> {
    const child = spawnCli(args, env);
    const chunks: string[] = [];
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (data: string) => chunks.push(data));
    child.stderr.setEncoding('utf8').on('data', (data: string) => {
      stderr += data;
    });
    child.stdin.end(stdin ?? '');
    return new Promise((done) => {
      child.on('close', (code) => done({ code, stdout: chunks.join(''), stderr, chunks }));
    });
  }

  function spawnCli(args: string[], env: Record<string, string> = {}) {
    return spawn(process.execPath, [resolve(PACKAGE_ROOT, 'bin/askdocs.js'), ...args], {
      cwd: PACKAGE_ROOT,
      env: cliEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  function cliEnv(env: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      MILVUS_URI: `http://${milvus.address}`,
      MILVUS_COLLECTION: COLLECTION,
      LLM_BASE_URL: llm.url,
      DEEPSEEK_API_KEY: API_KEY,
      LLM_MAX_RETRIES: '1',
      LLM_TIMEOUT_MS: '5000',
      ...env,
    };
  }

  it('answers with the retrieved docs as context, streams the answer and lists the cited sources', async () => {
    llm.setBehaviour({ tokensPerSecond: 40 });
    const result = await run(['ask', 'What is the maximum vector dimension supported in Milvus?']);
    assert.equal(result.code, 0, result.stderr);

    // The LLM received the retrieved FAQ section, numbered, and the question.
    const request = llm.lastChatRequest();
    assert.ok(request, 'the LLM was called');
    const system = request.messages?.[0]?.content ?? '';
    assert.match(system, /<source n="1" title="[^"]+" link="product_faq\.md">/);
    assert.match(system, /32,768 dimensions/);
    assert.equal(request.messages?.at(-1)?.content, 'What is the maximum vector dimension supported in Milvus?');
    assert.equal(request.headers.authorization, `Bearer ${API_KEY}`);

    // The answer is what the model said, then only the cited source.
    const answer = defaultResponder(request);
    const [body, sources] = result.stdout.split('\nSources\n');
    assert.equal(body?.trim(), answer);
    const sourceLines = sources?.trim().split('\n') ?? [];
    assert.equal(sourceLines.length, 1, `only [1] is cited: ${sources}`);
    assert.match(sourceLines[0] ?? '', /^\[1\] Product FAQ › .+ — product_faq\.md$/);

    // Streamed: the answer reached stdout in several pieces, not in one write at the end.
    const answerChunks = result.chunks.filter((chunk) => answer.includes(chunk.trim()) && chunk.trim().length > 0);
    assert.ok(answerChunks.length >= 5, `answer arrived in ${answerChunks.length} pieces`);
    // Piped output is plain text.
    assert.ok(!result.stdout.includes('\x1b['), 'no terminal escape codes when piped');
    assert.equal(result.stderr, '');
  });

  describe('when the reader leaves (ask | head)', () => {
    // askdocs runs its own engine here (MILVUS_URI is a folder), on an index made as `askdocs ingest` makes it.
    let dataDir: string;
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'askdocs-cli-pipe-'));
      const lite = await startMilvusLite({ dataDir });
      try {
        await ingestInto(lite, COLLECTION, docsDir);
      } finally {
        await lite.stop();
      }
    });
    after(() => dataDir && rm(dataDir, { recursive: true, force: true }));

    /** Runs `ask` and closes its stdout after the first words, or before any. */
    async function askAndLeave(leave: 'after the first words' | 'at once', env: Record<string, string> = {}) {
      const child = spawnCli(['ask', 'What is the maximum vector dimension supported in Milvus?'], { MILVUS_URI: dataDir, ...env });
      child.stdin.end();
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (data: string) => {
        stderr += data;
      });
      if (leave === 'at once') child.stdout.destroy();
      else child.stdout.once('data', () => child.stdout.destroy());
      const closed = new Promise<number | null>((done) => child.on('close', (exitCode) => done(exitCode)));
      const engine = await until('askdocs to start its engine', () => engineOf(child.pid!), { timeoutMs: 60_000 });
      return { code: await closed, stderr, engine };
    }

    it('mid-stream: exits 0 without a word, its embedded engine stopped before it exits', async () => {
      // A slow stream: most of the answer is still to be written when the reader leaves.
      llm.setBehaviour({ tokensPerSecond: 10 });
      const run = await askAndLeave('after the first words');
      assert.equal(run.stderr, '', 'no stack trace, no message');
      assert.equal(run.code, 0);
      // Stopped by askdocs before it exited, not left to notice on its own.
      assert.ok(!alive(run.engine.pid), 'the engine is stopped');
    });

    it('before the answer: the same, though askdocs learns of it only while already closing', async () => {
      // Extractive: the whole answer is written at once, and the write error arrives after the close began.
      const run = await askAndLeave('at once', { DEEPSEEK_API_KEY: '' });
      assert.equal(run.stderr, '', 'no stack trace, no message');
      assert.equal(run.code, 0);
      assert.ok(!alive(run.engine.pid), 'the engine is stopped');
    });
  });

  it('prints one clear line and exits non-zero when the LLM keeps failing', async () => {
    llm.failNext(...Array.from({ length: 2 }, () => ({ type: 'status' as const, status: 500, retryAfter: 0 })));
    const result = await run(['ask', 'What is the maximum vector dimension supported in Milvus?']);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'askdocs: The language model service is unavailable right now (HTTP 500). Please try again later.\n');
    assert.equal(llm.chatRequests().length, 2, 'one try and LLM_MAX_RETRIES=1 retry');
    assert.ok(!result.stderr.includes(API_KEY));
  });

  it('answers extractively from the docs when no API key is set', async () => {
    const result = await run(['ask', 'What is the maximum vector dimension supported in Milvus?'], { DEEPSEEK_API_KEY: '' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /32,768 dimensions/);
    assert.match(result.stdout, /\[1\]/);
    assert.match(result.stdout, /set DEEPSEEK_API_KEY/);
    assert.match(result.stdout, /\nSources\n\[1\] Product FAQ › .+ — product_faq\.md/);
    assert.equal(llm.requests.length, 0);
  });

  it('refuses, in one line that says to re-ingest, when EMBEDDING_MODEL differs from the model that filled the collection', async () => {
    // The same real model under another name: a different EMBEDDING_MODEL, same dimension.
    const modelsDir = await mkdtemp(join(tmpdir(), 'askdocs-cli-models-'));
    try {
      await symlink(resolve(PACKAGE_ROOT, 'models/all-MiniLM-L6-v2'), join(modelsDir, 'other-embedder'));
      const result = await run(['ask', 'What is the maximum vector dimension supported in Milvus?'], {
        EMBEDDING_MODEL: 'other-embedder',
        EMBEDDING_MODELS_DIR: modelsDir,
      });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        `askdocs: Collection "${COLLECTION}" was built with embedding model all-MiniLM-L6-v2-int8 (384-d), but askdocs is ` +
          'configured for other-embedder (384-d). Set EMBEDDING_MODEL back, or re-ingest into a new collection: ' +
          'MILVUS_COLLECTION=<new name> askdocs ingest <docs folder>.\n',
      );
      assert.equal(result.stdout, '');
      assert.equal(llm.requests.length, 0, 'nothing was asked with the wrong vectors');
    } finally {
      await rm(modelsDir, { recursive: true, force: true });
    }
  });

  it('--path takes the prefix literally: an underscore in it is no reason to find nothing', async () => {
    const result = await run(['ask', '--path', 'product_faq', 'what is the maximum vector dimension'], { DEEPSEEK_API_KEY: '' });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /The docs don't cover this/);
    assert.match(result.stdout, /32,768 dimensions/);
    assert.match(result.stdout, /\nSources\n\[1\] Product FAQ › .+ — product_faq\.md/);
  });

  it('--path that no ingested document is under: one line saying so, before anything is searched', async () => {
    const result = await run(['ask', '--path', 'docs/faq/', 'what is the maximum vector dimension'], { DEEPSEEK_API_KEY: '' });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'askdocs: No ingested document\'s path starts with "docs/faq/": --path takes a path relative to the ingested folder, such as faq/ or faq/product_faq.md.\n',
    );
    assert.equal(result.stdout, '');
  });

  it('an answer that fails halfway: the error starts on its own line, after the half answer', async () => {
    // stdout and stderr into one file, as a terminal shows them.
    const outDir = await mkdtemp(join(tmpdir(), 'askdocs-cli-out-'));
    const out = await open(join(outDir, 'terminal.txt'), 'w');
    try {
      llm.replyNext('Milvus supports up to 32,768 dimensions per vector field [1].');
      llm.failNext({ type: 'disconnect', afterTokens: 3 });
      const child = spawn(
        process.execPath,
        [resolve(PACKAGE_ROOT, 'bin/askdocs.js'), 'ask', 'What is the maximum vector dimension supported in Milvus?'],
        {
          cwd: PACKAGE_ROOT,
          env: cliEnv({ LLM_MAX_RETRIES: '0' }),
          stdio: ['ignore', out.fd, out.fd],
        },
      );
      const [code] = (await once(child, 'close')) as [number | null];
      const terminal = await readFile(join(outDir, 'terminal.txt'), 'utf8');
      assert.equal(code, 1, terminal);
      const lines = terminal.split('\n');
      assert.equal(lines.length, 3, JSON.stringify(terminal));
      assert.ok(lines[0] && 'Milvus supports up to 32,768 dimensions per vector field [1].'.startsWith(lines[0]), lines[0]);
      assert.match(lines[1] ?? '', /^askdocs: The connection to the language model dropped mid-answer\./);
      assert.equal(lines[2], '');
    } finally {
      await out.close();
      await rm(outDir, { recursive: true, force: true });
    }
  });

  it('prints JSON with --json', async () => {
    const result = await run(['ask', '--json', 'What is the maximum vector dimension supported in Milvus?']);
    assert.equal(result.code, 0, result.stderr);
    const parsed = JSON.parse(result.stdout) as { mode: string; text: string; citations: { n: number; path: string }[] };
    assert.equal(parsed.mode, 'generated');
    assert.match(parsed.text, /\[1\]$/);
    assert.deepEqual(
      parsed.citations.map((c) => [c.n, c.path]),
      [[1, 'product_faq.md']],
    );
  });

  it('chat: abstains on off-topic questions, follow-ups use the conversation, Ctrl-D ends the session', async () => {
    const STANDALONE = 'What is the maximum vector dimension supported in Milvus and can it be increased?';
    llm.setBehaviour({
      respond(request) {
        const [system, user] = request.messages ?? [];
        if (/standalone/.test(system?.content ?? '')) {
          return /Follow-up question: can it be increased\?/.test(user?.content ?? '') ? STANDALONE : 'unexpected';
        }
        return request.messages?.at(-1)?.content === 'can it be increased?'
          ? 'Yes, raise Proxy.maxDimension [1].'
          : 'Milvus supports up to 32,768 dimensions by default [1].';
      },
    });
    const result = await run(
      ['chat'],
      {},
      [
        'anyone know good ramen spots near the office? team lunch friday',
        'What is the maximum vector dimension in Milvus?',
        'can it be increased?',
      ].join('\n'),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const [offTopic, first, second] = result.stdout.split(/\n\n(?=\S)(?!Sources|Closest pages)/);
    // Off topic: said plainly, closest pages offered, and the LLM never asked.
    assert.match(offTopic ?? '', /^The docs don't cover this[^\n]*\n\nClosest pages\n\[1\] .+ — product_faq\.md/);
    assert.match(first ?? '', /^Milvus supports up to 32,768 dimensions by default \[1\]\.\n\nSources\n\[1\] Product FAQ › /);
    assert.match(second ?? '', /^Yes, raise Proxy\.maxDimension \[1\]\.\n\nSources\n\[1\] /);

    // No LLM call for the off-topic question, no condensing for the standalone one; then condense + answer.
    const [answer1, condense2, answer2] = llm.chatRequests();
    assert.equal(llm.chatRequests().length, 3);
    assert.equal(answer1?.messages?.at(-1)?.content, 'What is the maximum vector dimension in Milvus?');
    assert.match(condense2?.messages?.[1]?.content ?? '', /User: What is the maximum vector dimension in Milvus\?/);
    assert.match(condense2?.messages?.[1]?.content ?? '', /Follow-up question: can it be increased\?/);
    // The second answer carries the thread and the context retrieved for the condensed question.
    assert.deepEqual(
      answer2?.messages?.slice(-3).map((m) => [m.role, m.content]),
      [
        ['user', 'What is the maximum vector dimension in Milvus?'],
        ['assistant', 'Milvus supports up to 32,768 dimensions by default.'],
        ['user', 'can it be increased?'],
      ],
    );
    assert.match(answer2?.messages?.[0]?.content ?? '', /Proxy\.maxDimension/);
  });
});

/** A stream that remembers what was written and can claim to be a terminal. */
function captureStream(isTTY: boolean): PassThrough & { isTTY: boolean; text(): string } {
  const stream = new PassThrough() as PassThrough & { isTTY: boolean; text(): string };
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  stream.isTTY = isTTY;
  stream.text = () => chunks.join('');
  return stream;
}

const SOURCE: Source = {
  n: 2,
  id: 's2',
  path: 'faq/product_faq.md',
  title: 'Product FAQ',
  headingPath: ['Product FAQ', 'Is Milvus scalable?'],
  text: 'Yes.',
  url: 'https://milvus.io/docs/product_faq.md',
  score: 0.1,
  similarity: 0.6,
};

function answerEvents(text: string, mode: 'generated' | 'abstained', citations: Source[]): AnswerEvent[] {
  return [
    { type: 'status', stage: 'retrieving', message: 'Searching the docs…' },
    { type: 'sources', sources: citations },
    ...text.split(' ').map((word, i) => ({ type: 'delta' as const, text: i === 0 ? word : ` ${word}` })),
    {
      type: 'final',
      text,
      citations,
      abstained: mode === 'abstained',
      mode,
      standaloneQuery: 'q',
      requestId: 'r1',
    },
  ];
}

async function* stream(events: AnswerEvent[]): AsyncGenerator<AnswerEvent> {
  yield* events;
}

/** An answer stream that writes `partial`, then fails with `error`. */
async function* failingHalfway(partial: string, error: Error): AsyncGenerator<AnswerEvent> {
  yield { type: 'status', stage: 'retrieving', message: 'Searching the docs…' };
  for (const word of partial.split(/(?= )/)) yield { type: 'delta', text: word };
  throw error;
}

describe('terminal rendering', () => {
  it('on a terminal: shows progress on stderr, clears it, and styles the sources heading', async () => {
    const stdout = captureStream(true);
    const stderr = captureStream(true);
    await renderAnswer(stream(answerEvents('Yes, it scales [2].', 'generated', [SOURCE])), { stdout, stderr, fancy: true });
    assert.match(stderr.text(), /Searching the docs…/);
    assert.ok(stderr.text().endsWith('\r\x1b[2K'), 'progress line cleared');
    assert.equal(
      stdout.text(),
      'Yes, it scales [2].\n\n\x1b[1mSources\x1b[22m\n[2] Product FAQ › Is Milvus scalable? — https://milvus.io/docs/product_faq.md\n',
    );
  });

  it('never passes terminal escape sequences from an answer or its sources to the terminal', async () => {
    const hostile: Source = { ...SOURCE, title: 'FAQ\x1b]0;pwned\x07', headingPath: ['FAQ', 'Scale\x1b[2J'] };
    const text = 'Clear\x1b[2J\x1b[H screen, \x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ and bell\x07 [2].';
    for (const fancy of [true, false]) {
      const stdout = captureStream(fancy);
      const stderr = captureStream(fancy);
      await renderAnswer(stream(answerEvents(text, 'generated', [hostile])), { stdout, stderr, fancy });
      const answer = stdout.text().replace(/\x1b\[(1|22)m/g, ''); // our own bold Sources heading
      assert.doesNotMatch(answer, /[\x00-\x08\x0b-\x1f\x7f]/, JSON.stringify(answer));
      assert.match(answer, /^Clear screen, link and bell \[2\]\.\n/);
      assert.match(answer, /\[2\] FAQ › Scale — https:\/\/milvus\.io/);
    }
  });

  it('an answer that fails halfway ends its line before the error, which `ask` prints on stderr', async () => {
    // One stream for both, as a terminal shows stdout and stderr.
    const terminal = captureStream(false);
    const events = failingHalfway(
      'Milvus supports up to',
      new AskdocsError('llm_timeout', 'The language model did not respond within 3 s.'),
    );
    await assert.rejects(renderAnswer(events, { stdout: terminal, stderr: terminal }), /did not respond/);
    terminal.write('askdocs: The language model did not respond within 3 s.\n');
    assert.equal(terminal.text(), 'Milvus supports up to\naskdocs: The language model did not respond within 3 s.\n');
  });

  it("labels an abstention's pages as the closest pages, not sources", async () => {
    const stdout = captureStream(false);
    const stderr = captureStream(false);
    await renderAnswer(stream(answerEvents("The docs don't cover this.", 'abstained', [SOURCE])), { stdout, stderr });
    assert.match(stdout.text(), /\n\nClosest pages\n\[2\] Product FAQ › Is Milvus scalable\?/);
    assert.equal(stderr.text(), '');
  });
});

describe('chat loop', () => {
  it('an answer that fails halfway: the error line starts on its own line, and the chat goes on', async () => {
    const engine: Engine = {
      answer: (question) =>
        question.text === 'break'
          ? failingHalfway('Milvus supports up to', new AskdocsError('llm_timeout', 'The language model did not respond within 3 s.'))
          : stream(answerEvents('Fine [2].', 'generated', [])),
      retrieve: () => Promise.reject(new Error('not used')),
    };
    const input = new PassThrough();
    const terminal = captureStream(false);
    const done = runChatLoop({ engine, input, io: { stdout: terminal, stderr: terminal } });
    input.end('break\nnext\n');
    await done;
    assert.equal(terminal.text(), 'Milvus supports up to\naskdocs: The language model did not respond within 3 s.\n\nFine [2].\n\n');
  });

  it('keeps the thread for follow-ups, /new starts over, and a failure prints one line without ending the chat', async () => {
    const asked: Question[] = [];
    const engine: Engine = {
      async *answer(question) {
        asked.push(question);
        if (question.text === 'break') throw new AskdocsError('llm_unavailable', 'The language model is down.');
        yield* answerEvents(`answer to ${question.text} [2]`, 'generated', [SOURCE]);
      },
      retrieve: () => Promise.reject(new Error('not used')),
    };
    const input = new PassThrough();
    const stdout = captureStream(false);
    const stderr = captureStream(false);
    const done = runChatLoop({ engine, input, io: { stdout, stderr } });
    // A line of control or zero-width characters is a blank line: nothing is asked.
    input.end(['first', '\u200b\x07', 'second\u200b\x01', 'break', '/new', 'third', '/exit', 'never'].join('\n'));
    await done;

    assert.deepEqual(
      asked.map((q) => [q.text, q.history?.map((t) => t.content)]),
      [
        ['first', []],
        ['second', ['first', 'answer to first [2]']],
        ['break', ['first', 'answer to first [2]', 'second', 'answer to second [2]']],
        ['third', []],
      ],
    );
    assert.equal(stderr.text(), 'askdocs: The language model is down.\n');
    assert.match(stdout.text(), /answer to third \[2\]/);
    assert.ok(!stdout.text().includes('never'));
  });
});
