/**
 * How `askdocs` commands fail (issue 10): one line on stderr that names what failed in
 * words fitting the command, a non-zero exit, no stack trace, and never the chat
 * bot's "while answering" for an ingest or the feedback listing.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CORPUS_DIR, NEEDS_SHARED } from './fakes/config.ts';
import { startFakeMilvusAuth } from './fakes/milvus-auth.ts';
import { startTestMilvus, type TestMilvus } from './support/milvus.ts';
import { runCli } from './support/retrieval-fixture.ts';

describe('askdocs CLI failures', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'askdocs-cli-failures-'));
    await mkdir(join(work, 'docs'));
    await writeFile(join(work, 'docs/a.md'), '# A\n\nA page about collections.\n');
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('ingest with MILVUS_URI pointing at a regular file: one line naming the setting and what it needs', async () => {
    const file = join(work, 'not-a-folder');
    await writeFile(file, 'x');
    const run = await runCli(['ingest', join(work, 'docs')], { MILVUS_URI: file }, { cwd: work });
    assert.equal(run.code, 1);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(
      lines[0] ?? '',
      /^askdocs: MILVUS_URI .*not-a-folder is a file, or inside one, not a folder: point MILVUS_URI at a folder for the embedded engine, or at an http\(s\):\/\/ Milvus server\.$/,
    );
    assert.doesNotMatch(run.stderr, /while answering/);
  });

  it('ask "", a question of only invisible characters, and an over-long question are refused before Milvus and the model start', async () => {
    // Nothing listens on port 1: were Milvus contacted first, that would be the error.
    const env = { MILVUS_URI: 'http://127.0.0.1:1' };
    const empty = await runCli(['ask', ''], env, { cwd: work });
    assert.deepEqual([empty.code, empty.stderr], [1, 'askdocs: Please type a question.\n']);
    // Control and zero-width characters show nothing: such a question is as empty as "".
    for (const invisible of ['\x01\x02\x07\x7f', '\u200b\u200b', '\x1b[2J\ufeff \u2060']) {
      const run = await runCli(['ask', invisible], env, { cwd: work });
      assert.deepEqual([run.code, run.stderr], [1, 'askdocs: Please type a question.\n'], JSON.stringify(invisible));
    }
    const long = await runCli(['ask', 'why '.repeat(1_500)], env, { cwd: work });
    assert.equal(long.code, 1);
    assert.equal(long.stderr, 'askdocs: That question is too long (5999 characters; the limit is 4000). Please shorten it.\n');
  });

  it("a wrong argument or option: one line naming the command's help, not the whole usage text", async () => {
    const cases: [string[], string][] = [
      [['ask'], "askdocs: missing required argument 'question' (see `askdocs ask --help`)\n"],
      [['eval', '--k', '5'], "askdocs: required option '--set <file>' not specified (see `askdocs eval --help`)\n"],
      [['ingest', 'a', 'b'], "askdocs: too many arguments for 'ingest'. Expected 1 argument but got 2 (see `askdocs ingest --help`)\n"],
      [['askk', 'hi'], "askdocs: unknown command 'askk' (Did you mean ask?) (see `askdocs --help`)\n"],
    ];
    for (const [args, stderr] of cases) {
      const run = await runCli(args, {}, { cwd: work });
      assert.deepEqual([run.code, run.stderr], [1, stderr], args.join(' '));
    }
  });

  it('ingest "" (or only spaces) is refused in one line, instead of indexing the current folder', async () => {
    // Nothing listens on port 1: were the folder ingested, connecting would be the error.
    for (const dir of ['', '  ']) {
      const run = await runCli(['ingest', dir], { MILVUS_URI: 'http://127.0.0.1:1' }, { cwd: work });
      assert.deepEqual(
        [run.code, run.stderr],
        [
          1,
          `askdocs: command-argument value '${dir}' is invalid for argument 'dir'. must name the folder that holds the docs (see \`askdocs ingest --help\`)\n`,
        ],
      );
    }
  });

  it('ingest --base-url with a query, a fragment or a password: one line saying what is wrong with it', async () => {
    const because = "each link is this URL followed by the page's path";
    const cases: [string, string][] = [
      ['https://docs.example.com/?lang=en', `must not have a query ("?…"): ${because}`],
      ['https://docs.example.com/docs#top', `must not have a fragment ("#…"): ${because}`],
      ['https://reader:pw@docs.example.com/', 'must not contain a user name or password: every link would show them in chat'],
    ];
    for (const [url, problem] of cases) {
      const run = await runCli(['ingest', join(work, 'docs'), '--base-url', url], { MILVUS_URI: 'http://127.0.0.1:1' }, { cwd: work });
      // The password is not repeated in the message, nor a query's values (one may be a token).
      const shown = url.replace('reader:pw@', '[REDACTED]@').replace('?lang=en', '?lang=[REDACTED]');
      assert.deepEqual(
        [run.code, run.stderr],
        [1, `askdocs: option '--base-url <url>' argument '${shown}' is invalid. ${problem} (see \`askdocs ingest --help\`)\n`],
      );
    }
  });

  it('a password in MILVUS_URI is sent to Milvus as credentials, and printed nowhere', async () => {
    const milvus = await startFakeMilvusAuth();
    try {
      const run = await runCli(
        ['ask', 'hi'],
        { MILVUS_URI: `http://root:MilvusPW123@${milvus.address}`, LOG_LEVEL: 'debug' },
        { cwd: work },
      );
      assert.equal(run.code, 1);
      assert.ok(
        run.stderr.includes(
          `askdocs: Milvus at ${milvus.address} refused the credentials (user:password in MILVUS_URI, or MILVUS_TOKEN): 16 UNAUTHENTICATED: auth check failure`,
        ),
        run.stderr,
      );
      assert.doesNotMatch(run.stdout + run.stderr, /MilvusPW123/);
      // Sent the way the SDK sends a username and password: base64 of user:password.
      assert.ok(milvus.calls.length > 0);
      for (const call of milvus.calls) assert.equal(call.authorization, Buffer.from('root:MilvusPW123').toString('base64'));
    } finally {
      await milvus.close();
    }
  });

  it('an ingest that cannot reach Milvus, or loses it, says a re-run resumes it; ask does not', async () => {
    const env = { MILVUS_URI: 'http://127.0.0.1:1' };
    const ingest = await runCli(['ingest', join(work, 'docs')], env, { cwd: work });
    assert.equal(ingest.code, 1);
    assert.match(
      ingest.stderr,
      /^askdocs: Cannot reach Milvus at 127\.0\.0\.1:1\b.* Run the ingest again once Milvus answers: it resumes where it stopped\.\n$/,
    );
    const ask = await runCli(['ask', 'what is milvus?'], env, { cwd: work });
    assert.match(ask.stderr, /^askdocs: Cannot reach Milvus/);
    assert.doesNotMatch(ask.stderr, /resumes/);
  });

  it('a password in EMBEDDING_BASE_URL: says it cannot be sent, and prints it nowhere', async () => {
    const run = await runCli(
      ['ask', 'hi'],
      {
        MILVUS_URI: 'http://127.0.0.1:1',
        EMBEDDING_PROVIDER: 'openai',
        EMBEDDING_MODEL: 'x',
        EMBEDDING_BASE_URL: 'http://u:EMBPW@127.0.0.1:9/v1',
        LOG_LEVEL: 'debug',
      },
      { cwd: work },
    );
    assert.equal(run.code, 2, 'a configuration problem');
    assert.ok(
      run.stderr.endsWith(
        '  - EMBEDDING_BASE_URL: contains a user name or password, which askdocs cannot send (HTTP clients refuse credentials in a URL). ' +
          'Remove them from the URL; an API key goes in EMBEDDING_API_KEY.\n',
      ),
      run.stderr,
    );
    assert.doesNotMatch(run.stdout + run.stderr, /EMBPW/);
  });

  it('feedback on a corrupt database: says which file and why', async () => {
    const db = join(work, 'corrupt.sqlite');
    await writeFile(db, 'this is not an SQLite database, just some text that is long enough to look like a header');
    const run = await runCli(['feedback'], { FEEDBACK_DB: db }, { cwd: work });
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `askdocs: Could not read the feedback database ${db} (file is not a database). Check FEEDBACK_DB.\n`);
  });

  it('feedback with FEEDBACK_DB naming a folder: says it is a folder and what to write', async () => {
    const run = await runCli(['feedback'], { FEEDBACK_DB: work }, { cwd: work });
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `askdocs: Could not read the feedback database ${work} (it is a folder; FEEDBACK_DB names the database file, such as ${join(work, 'feedback.sqlite')}). Check FEEDBACK_DB.\n`,
    );
  });

  it('feedback on a database it may not open: says which file and why', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'askdocs-cli-unreadable-'));
    try {
      await chmod(folder, 0o755);
      const db = join(folder, 'unreadable.sqlite');
      await writeFile(db, '');
      await chmod(db, 0o000);
      // root opens anything: run as an unprivileged user, as the bot runs in a container.
      const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const run = await runCli(['feedback'], { FEEDBACK_DB: db }, asUser);
      assert.equal(run.code, 1);
      assert.equal(run.stderr, `askdocs: Could not read the feedback database ${db} (unable to open database file). Check FEEDBACK_DB.\n`);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('askdocs ingest interrupted', { skip: NEEDS_SHARED }, () => {
  let milvus: TestMilvus;
  before(async () => {
    milvus = await startTestMilvus();
  });
  after(async () => {
    await milvus?.stop();
  });

  it('Ctrl-C during an ingest says the ingest was interrupted and how to resume', async () => {
    // One folder of the corpus: hundreds of chunks are still to embed when "ingest planned"
    // is logged, so the Ctrl-C lands mid-ingest, without chunking the whole corpus first.
    const run = await runCli(
      ['ingest', resolve(CORPUS_DIR, 'userGuide')],
      { MILVUS_URI: `http://${milvus.address}`, MILVUS_COLLECTION: 'cli_interrupted', LOG_LEVEL: 'info' },
      { killWhen: (stderr) => stderr.includes('"msg":"ingest planned"'), killSignal: 'SIGINT' },
    );
    assert.equal(run.code, 130, run.stderr.slice(-2000));
    assert.ok(run.stderr.includes('askdocs: ingest interrupted; run it again to resume where it stopped.\n'), run.stderr.slice(-2000));
    assert.doesNotMatch(run.stderr, /while answering|Something went wrong/);
  });

  it('Ctrl-C in a terminal reaches the embedded engine too: no warning that it died, only the one line', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'askdocs-interrupted-lite-'));
    try {
      const run = await runCli(
        ['ingest', resolve(CORPUS_DIR, 'userGuide')],
        { MILVUS_URI: dataDir, LOG_LEVEL: 'info' },
        { killWhen: (stderr) => stderr.includes('"msg":"ingest planned"'), killSignal: 'SIGINT', processGroup: true },
      );
      assert.equal(run.code, 130, run.stderr.slice(-2000));
      assert.ok(run.stderr.includes('askdocs: ingest interrupted; run it again to resume where it stopped.\n'), run.stderr.slice(-2000));
      assert.doesNotMatch(run.stderr, /exited unexpectedly|restart/, run.stderr.slice(-2000));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('failure lines read as sentences', () => {
  it('a Milvus status failure ends with a full stop before the resume hint', async () => {
    const { cliFailureMessage } = await import('../src/cli/failure.ts');
    const { check } = await import('../src/milvus/status.ts');
    const failure = (() => {
      try {
        check({ error_code: 'Success', code: 65535, reason: 'internal error' }, 'upsert');
      } catch (error) {
        return error;
      }
      assert.fail('check() accepted a failed status');
    })();
    assert.equal(
      cliFailureMessage(failure, 'ingest'),
      'Milvus upsert failed: internal error. Run the ingest again once Milvus answers: it resumes where it stopped.',
    );
    assert.equal(cliFailureMessage(failure, 'ask'), 'Milvus upsert failed: internal error.');
    // A message that already ends a sentence gets no second full stop.
    const { AskdocsError } = await import('../src/errors.ts');
    assert.equal(
      cliFailureMessage(new AskdocsError('milvus_unavailable', 'Lost the connection to Milvus (request: upsert).'), 'ingest'),
      'Lost the connection to Milvus (request: upsert). Run the ingest again once Milvus answers: it resumes where it stopped.',
    );
  });
});
