/**
 * What `askdocs` prints for a bad configuration: every problem in one run (settings
 * that do not parse, checks across settings, the command's own required settings),
 * one line each, exit code 2, and nothing started.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { NO_REDIS, startTestRedis, type TestRedis } from './support/redis.ts';
import { runCli } from './support/retrieval-fixture.ts';

describe('askdocs with a bad configuration', () => {
  let work: string;
  before(async () => {
    // No .env here: only the settings each test passes.
    work = await mkdtemp(join(tmpdir(), 'askdocs-cli-config-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const problemLines = (stderr: string) => stderr.trim().split('\n');

  it('ask: a bad PORT and a chunk overlap larger than the chunk are reported together', async () => {
    const run = await runCli(['ask', 'hi'], { PORT: 'abc', CHUNK_OVERLAP_CHARS: '2000' }, { cwd: work });
    assert.equal(run.code, 2);
    assert.deepEqual(problemLines(run.stderr), [
      'askdocs: Invalid configuration:',
      '  - PORT: must be a whole number from 0 to 65535, got "abc"',
      '  - CHUNK_OVERLAP_CHARS: must be smaller than CHUNK_MAX_CHARS',
    ]);
  });

  it('slack: a bad PORT and the missing Slack tokens are reported together', async () => {
    const run = await runCli(['slack'], { PORT: 'abc', EMBEDDING_PROVIDER: 'openai' }, { cwd: work });
    assert.equal(run.code, 2);
    assert.deepEqual(problemLines(run.stderr), [
      'askdocs: Invalid configuration:',
      '  - PORT: must be a whole number from 0 to 65535, got "abc"',
      '  - EMBEDDING_BASE_URL: required when EMBEDDING_PROVIDER=openai',
      '  - EMBEDDING_MODEL: required when EMBEDDING_PROVIDER=openai',
      '  - SLACK_BOT_TOKEN: required for the Slack bot (askdocs slack)',
      '  - SLACK_SIGNING_SECRET: required for the Slack bot (askdocs slack)',
    ]);
  });

  it('ask with MILVUS_URI=ftp://…: refused before anything starts, and no folder is made for it', async () => {
    const run = await runCli(['ask', 'x'], { MILVUS_URI: 'ftp://milvus.internal:19530' }, { cwd: work });
    assert.equal(run.code, 2);
    assert.deepEqual(problemLines(run.stderr), [
      'askdocs: Invalid configuration:',
      '  - MILVUS_URI: must be a local folder for the embedded Milvus Lite (e.g. ./data/milvus) or a server address starting http:// or https:// (e.g. http://milvus:19530), got "ftp://milvus.internal:19530"',
    ]);
    assert.deepEqual(await readdir(work), []);
  });

  it('slack with a channel #name in SLACK_ALLOWED_CHANNELS: refused at start instead of answering nowhere', async () => {
    const run = await runCli(
      ['slack'],
      { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'secret', SLACK_ALLOWED_CHANNELS: '#docs-help' },
      { cwd: work },
    );
    assert.equal(run.code, 2);
    assert.deepEqual(problemLines(run.stderr), [
      'askdocs: Invalid configuration:',
      '  - SLACK_ALLOWED_CHANNELS: must be Slack channel ids, not #names (C0123ABCD: open the channel\'s details, the id is at the bottom), comma-separated, got "#docs-help"',
    ]);
  });

  it('feedback with FEEDBACK_DB set to a Redis URL: refused by name, no file named after it, no password shown', async () => {
    const run = await runCli(['feedback'], { FEEDBACK_DB: 'redis://:hunter2secret@127.0.0.1:6379' }, { cwd: work });
    assert.equal(run.code, 2);
    assert.deepEqual(problemLines(run.stderr), [
      'askdocs: Invalid configuration:',
      '  - FEEDBACK_DB: set it to redis (with REDIS_URL) or to a file path, not a URL',
    ]);
    assert.equal(run.stdout, '');
    assert.deepEqual(await readdir(work), []);
  });

  it('slack with a raw % in the REDIS_URL password and a database that is not a number: both refused before anything loads', async () => {
    const tokens = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'secret' };
    const percent = await runCli(['slack'], { ...tokens, REDIS_URL: 'redis://:Secr3t%PassD@127.0.0.1:6379' }, { cwd: work });
    assert.equal(percent.code, 2);
    assert.deepEqual(problemLines(percent.stderr), [
      'askdocs: Invalid configuration:',
      '  - REDIS_URL: has a "%" in its user name or password that starts no percent-escape: write it as %25 (and @ : / ? # as %40 %3A %2F %3F %23)',
    ]);
    const db = await runCli(['feedback'], { REDIS_URL: 'redis://127.0.0.1:6379/abc' }, { cwd: work });
    assert.equal(db.code, 2);
    assert.deepEqual(problemLines(db.stderr), [
      'askdocs: Invalid configuration:',
      '  - REDIS_URL: must end in a database number after the host, such as redis://redis:6379/0 (0 to 15 on a default Redis), or in none (database 0); got "/abc"',
    ]);
    assert.deepEqual(await readdir(work), []);
  });

  it('slack with SLACK_ALLOWED_CHANNELS=#general in .env: refused, where dotenv read it as empty (answering everywhere)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'askdocs-cli-dotenv-'));
    try {
      await writeFile(join(dir, '.env'), 'SLACK_BOT_TOKEN=xoxb-1-2-abc\nSLACK_SIGNING_SECRET=secret\nSLACK_ALLOWED_CHANNELS=#general\n');
      const run = await runCli(['slack'], {}, { cwd: dir });
      assert.equal(run.code, 2);
      assert.deepEqual(problemLines(run.stderr), [
        'askdocs: Invalid configuration:',
        '  - SLACK_ALLOWED_CHANNELS: in .env (line 3) an unquoted "#" starts a comment, so the value was cut there: put it in quotes, SLACK_ALLOWED_CHANNELS="…"',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('feedback with a misspelled setting in .env: runs, and says which setting was probably meant, once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'askdocs-cli-dotenv-'));
    try {
      await writeFile(join(dir, '.env'), 'RETREIVAL_TOP_K=8\nPOSTGRES_PASSWORD=other-tool\n');
      const run = await runCli(['feedback'], {}, { cwd: dir });
      assert.equal(run.code, 0);
      assert.deepEqual(problemLines(run.stderr), [
        'askdocs: warning: .env line 1: RETREIVAL_TOP_K is not an askdocs setting and is ignored; did you mean RETRIEVAL_TOP_K?',
      ]);
      assert.match(run.stdout, /^No feedback recorded yet/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('discord register: a bad PORT and the missing Discord settings are reported together', async () => {
    const run = await runCli(['discord', 'register'], { PORT: 'abc', DISCORD_TOKEN: 'token' }, { cwd: work });
    assert.equal(run.code, 2);
    assert.deepEqual(problemLines(run.stderr), [
      'askdocs: Invalid configuration:',
      '  - PORT: must be a whole number from 0 to 65535, got "abc"',
      '  - DISCORD_APPLICATION_ID: required for registering Discord commands',
    ]);
  });
});

describe('askdocs with a REDIS_URL that Redis refuses', { skip: NO_REDIS }, () => {
  let work: string;
  let server: TestRedis;
  const WRONG = 'wrongPassw0rd99';
  const REFUSED =
    'askdocs: Redis refused the credentials in REDIS_URL (WRONGPASS: wrong password, or no such user): correct the user name or password in REDIS_URL.';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'askdocs-cli-redis-'));
    server = await startTestRedis();
    const admin = new Redis(server.url);
    await admin.config('SET', 'requirepass', 'rightPassw0rd11');
    admin.disconnect();
  });
  after(async () => {
    await server?.close();
    await rm(work, { recursive: true, force: true });
  });
  // The bot's JSON log lines (its shutdown) aside, what a person reads.
  const plainLines = (stderr: string) =>
    stderr
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('{'));

  it('slack with a wrong password: one line naming REDIS_URL, exit non-zero, before Milvus and the model load', async () => {
    const run = await runCli(
      ['slack'],
      { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'secret', REDIS_URL: `redis://:${WRONG}@127.0.0.1:${server.port}` },
      { cwd: work, killWhen: () => false },
    );
    assert.equal(run.code, 1);
    assert.deepEqual(plainLines(run.stderr), [REFUSED]);
    assert.ok(!`${run.stdout}${run.stderr}`.includes(WRONG), run.stderr);
    assert.ok(!run.stderr.includes('redis_unavailable'), 'not reported as an outage');
    // MILVUS_URI defaults to ./data/milvus: nothing was started.
    assert.deepEqual(await readdir(work), []);
  });

  it('feedback with a wrong password: the same line, not "Could not reach Redis"', async () => {
    const run = await runCli(['feedback'], { REDIS_URL: `redis://:${WRONG}@127.0.0.1:${server.port}` }, { cwd: work });
    assert.equal(run.code, 1);
    assert.deepEqual(run.stderr.trim().split('\n'), [REFUSED]);
    assert.equal(run.stdout, '');
  });
});
