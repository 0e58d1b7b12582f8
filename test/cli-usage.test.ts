/**
 * What `askdocs` prints for an option value it refuses: one line naming the option and the
 * command's help, exit 1, nothing started, and never a token the value carries.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './support/retrieval-fixture.ts';

describe('askdocs with an option value it refuses', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'askdocs-cli-usage-'));
    await mkdir(join(work, 'docs'));
    await writeFile(join(work, 'docs', 'index.md'), '# Docs\n');
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('gaps --since 999999999999d: says how long the window may be, not "Invalid time value"', async () => {
    const run = await runCli(['gaps', '--since', '999999999999d'], {}, { cwd: work });
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      "askdocs: option '--since <age>' argument '999999999999d' is invalid. must be at most 3650d (10 years, the longest the question log keeps), such as 30d (see `askdocs gaps --help`)\n",
    );
    const longest = await runCli(['gaps', '--since', '3651d'], {}, { cwd: work });
    assert.match(longest.stderr, /must be at most 3650d/);
  });

  it('ingest --base-url with a token in its query: refused without showing the token', async () => {
    const run = await runCli(['ingest', 'docs', '--base-url', 'https://docs.example/?token=tok3nS3cretValue&lang=en'], {}, { cwd: work });
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      "askdocs: option '--base-url <url>' argument 'https://docs.example/?token=[REDACTED]&lang=[REDACTED]' is invalid. must not have a query (\"?…\"): each link is this URL followed by the page's path (see `askdocs ingest --help`)\n",
    );
    assert.deepEqual((await readdir(work)).sort(), ['docs'], 'nothing was started');
  });
});
