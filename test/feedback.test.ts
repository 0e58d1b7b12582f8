import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { formatRecord, register } from '../src/cli/commands/feedback.ts';
import type { CliContext } from '../src/cli/context.ts';
import { loadConfig } from '../src/config.ts';
import type { Source } from '../src/engine/types.ts';
import { FeedbackStore, feedbackSourcesFrom, UnknownAnswerError } from '../src/feedback/store.ts';
import { PACKAGE_ROOT } from '../src/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'askdocs-feedback-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const source = (n: number, path: string, title: string, heading: string, url?: string): Source => ({
  n,
  id: `${path}#${n}`,
  path,
  title,
  headingPath: [title, heading],
  text: 'chunk text',
  url,
  score: 0.5,
  similarity: 0.7,
});

describe('FeedbackStore', () => {
  it('records who voted on which answer, durably, and a second click updates the vote', () => {
    const file = join(dir, 'nested', 'feedback.sqlite');
    const store = FeedbackStore.open(file);
    store.saveAnswer({
      platform: 'slack',
      messageRef: 'C1:1700000000.000100',
      channelId: 'C1',
      userId: 'U_ASKER',
      question: 'How do I create an index?',
      answer: 'Use create_index [1].',
      sources: feedbackSourcesFrom([source(1, 'userGuide/index.md', 'Index', 'Create an index', 'https://d/x')]),
      requestId: 'req12345',
    });
    store.recordVote({
      platform: 'slack',
      messageRef: 'C1:1700000000.000100',
      userId: 'U_VOTER',
      vote: 'up',
      at: new Date('2026-01-01T00:00:00Z'),
    });
    store.close();

    // Reopened: the vote survived, and a second click by the same user replaces it.
    const again = FeedbackStore.open(file);
    const updated = again.recordVote({
      platform: 'slack',
      messageRef: 'C1:1700000000.000100',
      userId: 'U_VOTER',
      vote: 'down',
      at: new Date('2026-01-01T00:05:00Z'),
    });
    assert.equal(updated.vote, 'down');
    assert.equal(updated.createdAt, '2026-01-01T00:00:00.000Z');
    assert.equal(updated.at, '2026-01-01T00:05:00.000Z');
    again.recordVote({
      platform: 'slack',
      messageRef: 'C1:1700000000.000100',
      userId: 'U_OTHER',
      vote: 'up',
      at: new Date('2026-01-01T00:06:00Z'),
    });
    const records = again.list();
    assert.equal(records.length, 2);
    assert.deepEqual(
      records.map((r) => [r.userId, r.vote]),
      [
        ['U_OTHER', 'up'],
        ['U_VOTER', 'down'],
      ],
    );
    const voter = records[1];
    assert.equal(voter?.question, 'How do I create an index?');
    assert.equal(voter?.answer, 'Use create_index [1].');
    assert.equal(voter?.requestId, 'req12345');
    assert.equal(voter?.channelId, 'C1');
    assert.deepEqual(voter?.sources, [
      { n: 1, title: 'Index', path: 'userGuide/index.md', heading: 'Create an index', url: 'https://d/x' },
    ]);
    assert.equal(again.list({ limit: 1 }).length, 1);
    again.close();
  });

  it('once closed, the database file alone holds every vote (a copy of just that file loses nothing)', () => {
    const path = join(dir, 'backup', 'feedback.sqlite');
    const store = FeedbackStore.open(path);
    store.saveAnswer({ platform: 'slack', messageRef: 'C1:1.0', question: 'How do I back up?', answer: 'Copy the file.', sources: [] });
    for (const userId of ['U1', 'U2', 'U3']) store.recordVote({ platform: 'slack', messageRef: 'C1:1.0', userId, vote: 'up' });
    store.close();
    const copy = join(dir, 'backup', 'copy.sqlite');
    copyFileSync(path, copy);
    const restored = FeedbackStore.openExisting(copy);
    assert.ok(restored);
    assert.deepEqual(
      restored.list().map((r) => [r.userId, r.question]),
      [
        ['U3', 'How do I back up?'],
        ['U2', 'How do I back up?'],
        ['U1', 'How do I back up?'],
      ],
    );
    restored.close();
  });

  it('lists only the votes cast since a given time, for a report over a window', () => {
    const store = FeedbackStore.open(join(dir, 'window.sqlite'));
    for (const day of [1, 5, 9]) {
      store.saveAnswer({ platform: 'slack', messageRef: `C1:${day}`, question: `question ${day}`, answer: 'a.', sources: [] });
      store.recordVote({ platform: 'slack', messageRef: `C1:${day}`, userId: 'U1', vote: 'up', at: new Date(Date.UTC(2026, 0, day)) });
    }
    assert.deepEqual(
      store.list({ since: new Date(Date.UTC(2026, 0, 5)) }).map((r) => r.question),
      ['question 9', 'question 5'],
    );
    assert.equal(store.list().length, 3, 'no window: every vote');
    store.close();
  });

  it('refuses a vote on an answer that was never saved, so none is listed with an unknown question (as in Redis)', () => {
    const store = FeedbackStore.open(join(dir, 'orphan.sqlite'));
    assert.throws(() => store.recordVote({ platform: 'discord', messageRef: 'm1', userId: 'u1', vote: 'up' }), UnknownAnswerError);
    assert.deepEqual(store.list(), []);
    store.close();
  });
});

describe('askdocs feedback', () => {
  async function run(args: string[], feedbackDb: string): Promise<string> {
    const chunks: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => {
      chunks.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      const program = new Command().exitOverride();
      const ctx = {
        loadConfig: () => loadConfig({ FEEDBACK_DB: feedbackDb }, { envFile: false }),
        fail: (error: unknown) => {
          throw error;
        },
      } as unknown as CliContext;
      register(program, ctx);
      await program.parseAsync(['node', 'askdocs', 'feedback', ...args]);
    } finally {
      process.stdout.write = write;
    }
    return chunks.join('');
  }

  it('lists votes as text and as JSON, newest first, honouring --limit', async () => {
    const file = join(dir, 'cli.sqlite');
    const store = FeedbackStore.open(file);
    for (const [i, vote] of (['up', 'down', 'up'] as const).entries()) {
      store.saveAnswer({ platform: 'slack', messageRef: `C1:${i}`, question: `question ${i}`, answer: `answer ${i}`, sources: [] });
      store.recordVote({ platform: 'slack', messageRef: `C1:${i}`, userId: `U${i}`, vote, at: new Date(Date.UTC(2026, 0, 1, 0, i)) });
    }
    store.close();

    const json = JSON.parse(await run(['--json', '--limit', '2'], file)) as { userId: string; vote: string; question: string }[];
    assert.deepEqual(
      json.map((r) => [r.userId, r.vote, r.question]),
      [
        ['U2', 'up', 'question 2'],
        ['U1', 'down', 'question 1'],
      ],
    );
    const text = await run([], file);
    assert.match(text, /👍 {2}slack {2}user U2/);
    assert.match(text, /👎 {2}slack {2}user U1/);
    assert.match(text, /Q: question 0/);
  });

  it('says so when nothing was recorded yet, without creating the database', async () => {
    const file = join(dir, 'missing', 'none.sqlite');
    assert.match(await run([], file), /No feedback recorded yet/);
    assert.equal((await run(['--json'], file)).trim(), '[]');
  });
});

describe('FeedbackStore when the database file misbehaves', () => {
  it('a database deleted while the store is open is recreated on the next write, and what is written after is kept', () => {
    const path = join(dir, 'deleted', 'feedback.sqlite');
    const store = FeedbackStore.open(path);
    const answer = (messageRef: string) => ({ platform: 'slack', messageRef, question: 'q?', answer: 'a.', sources: [] });
    try {
      store.saveAnswer(answer('C1:1.0'));
      store.recordVote({ platform: 'slack', messageRef: 'C1:1.0', userId: 'U1', vote: 'up' });
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
      store.saveAnswer(answer('C1:2.0'));
      store.recordVote({ platform: 'slack', messageRef: 'C1:2.0', userId: 'U2', vote: 'down' });
    } finally {
      store.close();
    }
    const reopened = FeedbackStore.openExisting(path);
    assert.ok(reopened, 'the database file exists again');
    assert.deepEqual(
      reopened.list().map((r) => [r.messageRef, r.vote]),
      [['C1:2.0', 'down']],
    );
    reopened.close();
  });

  it('a read-only database at start-up: a warning at once, and votes are refused plainly instead of lost', () => {
    const folder = mkdtempSync(join(tmpdir(), 'askdocs-feedback-ro-'));
    try {
      const path = join(folder, 'feedback.sqlite');
      FeedbackStore.open(path).close();
      chmodSync(path, 0o444);
      chmodSync(folder, 0o555);
      // root writes anything: open it as an unprivileged user, as the bot runs in a container.
      const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', resolve(PACKAGE_ROOT, 'test/support/feedback-readonly-worker.ts'), path],
        {
          cwd: PACKAGE_ROOT,
          encoding: 'utf8',
          ...asUser,
        },
      );
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), {
        writable: false,
        error: `The feedback database ${path} is read-only, so the vote was not recorded.`,
      });
      const warning = run.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg: string; path: string });
      assert.deepEqual(
        warning.map((w) => [w.msg, w.path]),
        [['feedback database is read-only: votes cannot be recorded until FEEDBACK_DB is writable', path]],
      );
    } finally {
      chmodSync(folder, 0o755);
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('askdocs feedback output', () => {
  it('prints no terminal control sequence or bidi override a model or a user put in the answer or the question', () => {
    const line = formatRecord({
      platform: 'slack',
      userId: 'U1',
      vote: 'down',
      at: '2026-12-03T00:00:00.000Z',
      createdAt: '2026-12-03T00:00:00.000Z',
      messageRef: 'C1:1.2',
      question: 'why \u001b[2Jred? \u202eevil\u202c',
      answer: '\u001b]0;PWNED\u0007\u001b[2J\u001b[31mRed answer [1] 👨\u200d👩\u200d👧',
      sources: [],
    });
    assert.match(line, /\n {2}Q: why red\? evil\n {2}A: Red answer \[1\] 👨\u200d👩\u200d👧\n/);
    assert.doesNotMatch(line, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  });
});
