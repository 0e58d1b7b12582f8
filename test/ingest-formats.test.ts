/**
 * `askdocs ingest` (the CLI, embedded engine) on a folder that mixes Markdown with docs in
 * markups askdocs does not read (reStructuredText, AsciiDoc, HTML): they were left out
 * without a word, and the questions they answer were then "not covered".
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './support/retrieval-fixture.ts';

describe('askdocs ingest: documentation in other markups', () => {
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'askdocs-ingest-formats-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function folder(name: string, pages: Record<string, string>): Promise<string> {
    const docs = join(work, name);
    for (const [path, text] of Object.entries(pages)) {
      await mkdir(dirname(join(docs, path)), { recursive: true });
      await writeFile(join(docs, path), text);
    }
    return docs;
  }

  it('names the files it does not read, by format, in one line, and ingests the rest', async () => {
    const docs = await folder('mixed', {
      'start.md': '# Starting\n\n## Launch the frobnicator\n\nRun frob start.\n',
      'reference/cli.rst': 'CLI\n===\n\nRun ``frob stop`` to stop.\n',
      'reference/api.rst': 'API\n===\n\nCall ``/v1/frob``.\n',
      'guides/webhooks.adoc': '= Webhooks\n\nFrob posts events.\n',
      'img/logo.png': 'not docs, not mentioned',
    });
    const run = await runCli(['ingest', docs], { MILVUS_URI: join(work, 'milvus-mixed') }, { cwd: work });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.deepEqual(lines.slice(0, -1), [
      'Not read: 1 .adoc file and 2 .rst files (askdocs reads Markdown, MDX and plain text; convert them to include them).',
    ]);
    assert.match(lines.at(-1) ?? '', /^Ingested 1 file \(1 added/);
  });

  it('a folder of only such files is refused, saying what it holds', async () => {
    const docs = await folder('rst-only', { 'index.rst': 'Home\n====\n\nWelcome.\n' });
    const run = await runCli(['ingest', docs], { MILVUS_URI: join(work, 'milvus-rst') }, { cwd: work });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stderr.trim().split('\n').at(-1),
      `askdocs: No docs files found in ${docs}: askdocs reads .md, .mdx, .markdown and .txt files, ` +
        'and this folder has only 1 .rst file: convert them to Markdown.',
    );
  });
});
