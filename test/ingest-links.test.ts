/**
 * `askdocs ingest` as a user re-runs it (outside tester's report): the links of an
 * index, the link a `{path}` template gives an index page, and a folder with nothing to
 * ingest. Child processes of bin/askdocs.js on the embedded Milvus Lite engine (MILVUS_URI
 * is a folder, as in the README) with the real embedding model; the corpus is not needed.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { documentUrl } from '../src/ingest/document.ts';
import { startMilvusLite } from '../src/milvus/lite-server.ts';
import { ChunkStore } from '../src/milvus/store.ts';
import { runCli } from './support/retrieval-fixture.ts';

const START = '# Starting\n\n## Launch the frobnicator\n\nRun frob start.\n';
const QUESTION = 'How do I launch the frobnicator?';

async function writePages(dir: string, pages: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(pages)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

/** The one line the CLI printed, and that it was only one. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  return lines[0] ?? '';
}

/** Whether the embedded engine in `MILVUS_URI` holds the chunk collection (askdocs' default name). */
async function hasCollection(env: Record<string, string>): Promise<boolean> {
  const lite = await startMilvusLite({ dataDir: env.MILVUS_URI! });
  const store = await ChunkStore.connect({ address: lite.address, collection: 'askdocs' });
  try {
    return await store.exists();
  } finally {
    await store.close();
    await lite.stop();
  }
}

describe('askdocs ingest: links, index pages, empty folders (CLI, embedded Milvus Lite)', () => {
  let work: string;
  let runs = 0;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'askdocs-ingest-links-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** A docs folder and an embedded-engine data folder of their own. */
  async function project(pages: Record<string, string>): Promise<{ docs: string; env: Record<string, string> }> {
    runs++;
    const docs = join(work, `docs-${runs}`);
    await mkdir(docs, { recursive: true });
    await writePages(docs, pages);
    return { docs, env: { MILVUS_URI: join(work, `milvus-${runs}`) } };
  }

  async function askLinks(env: Record<string, string>): Promise<{ urls: (string | undefined)[]; text: string }> {
    const run = await runCli(['ask', '--json', QUESTION], env, { cwd: work });
    assert.equal(run.code, 0, run.stderr);
    const answer = JSON.parse(run.stdout) as { text: string; citations: { url?: string }[] };
    assert.ok(answer.citations.length > 0, run.stdout);
    return { urls: answer.citations.map((c) => c.url), text: answer.text };
  }

  it('a re-run without --base-url over a linked index is refused in one line, and the links stay', async () => {
    const { docs, env } = await project({ 'start.md': START });
    const first = await runCli(['ingest', docs, '--base-url', 'https://docs.example.com/'], env, { cwd: work });
    assert.equal(first.code, 0, first.stderr);

    // The README's "re-run ingest" after an edit, without repeating --base-url.
    await appendFile(join(docs, 'start.md'), 'More text.\n');
    const rerun = await runCli(['ingest', docs], env, { cwd: work });
    assert.equal(rerun.code, 1, rerun.stderr);
    assert.equal(
      oneLine(rerun.stderr),
      'askdocs: Refusing to drop every link: the index links its sources (e.g. https://docs.example.com/start), ' +
        'and this run has no base URL. Pass --base-url again or set DOCS_BASE_URL, or pass --yes to drop the links.',
    );
    const kept = await askLinks(env);
    assert.deepEqual(kept.urls, ['https://docs.example.com/start#launch-the-frobnicator']);
    assert.doesNotMatch(kept.text, /More text/, 'nothing was written');

    // The base URL again, from the environment: the edit is picked up, links and all.
    const withEnv = await runCli(['ingest', docs], { ...env, DOCS_BASE_URL: 'https://docs.example.com/' }, { cwd: work });
    assert.equal(withEnv.code, 0, withEnv.stderr);
    assert.match(oneLine(withEnv.stderr), /^Ingested 1 file \(0 added, 1 changed, 0 unchanged, 0 removed\)/);
    assert.deepEqual((await askLinks(env)).urls, ['https://docs.example.com/start#launch-the-frobnicator']);

    // Another base URL on purpose is an ordinary change.
    const moved = await runCli(['ingest', docs, '--base-url', 'https://docs.example.org/v2/'], env, { cwd: work });
    assert.equal(moved.code, 0, moved.stderr);
    assert.deepEqual((await askLinks(env)).urls, ['https://docs.example.org/v2/start#launch-the-frobnicator']);

    // --yes drops them on purpose; --prune alone is about deleting files, not links.
    const pruned = await runCli(['ingest', docs, '--prune'], env, { cwd: work });
    assert.equal(pruned.code, 1, pruned.stderr);
    assert.match(oneLine(pruned.stderr), /^askdocs: Refusing to drop every link: .*docs\.example\.org\/v2\/start\)/);
    const dropped = await runCli(['ingest', docs, '--yes'], env, { cwd: work });
    assert.equal(dropped.code, 0, dropped.stderr);
    assert.deepEqual((await askLinks(env)).urls, [undefined]);
    // An index without links is re-ingested without a base URL as before.
    const unlinked = await runCli(['ingest', docs], env, { cwd: work });
    assert.equal(unlinked.code, 0, unlinked.stderr);
    assert.match(oneLine(unlinked.stderr), /^Ingested 1 file \(0 added, 0 changed, 1 unchanged, 0 removed\)/);
  });

  it("a {path} template with a suffix links an index page at its index file, not at '<folder>/.html'", async () => {
    const { docs, env } = await project({ 'guide/index.md': START });
    const run = await runCli(['ingest', docs, '--base-url', 'https://docs.example.com/base/{path}.html'], env, { cwd: work });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((await askLinks(env)).urls, ['https://docs.example.com/base/guide/index.html#launch-the-frobnicator']);
  });

  it('index and README pages: kept before a suffix, a folder link otherwise, and never a doubled slash', () => {
    const link = (base: string, path: string, published = {}) => documentUrl(base, path, published);
    // A suffix after the placeholder: the folder's index file.
    assert.equal(link('https://d.example/base/{path}.html', 'guide/index.md'), 'https://d.example/base/guide/index.html');
    assert.equal(link('https://d.example/base/{path}.html', 'index.mdx'), 'https://d.example/base/index.html');
    assert.equal(link('https://d.example/base/{path}.html', 'guide/README.md'), 'https://d.example/base/guide/index.html');
    assert.equal(link('https://d.example/base/{path}.html', 'guide/setup.md'), 'https://d.example/base/guide/setup.html');
    assert.equal(link('https://d.example/base/{path}.html', 'intro.md', { slug: '/' }), 'https://d.example/base/index.html');
    // A plain prefix, or the placeholder at the end: the folder link, as before.
    assert.equal(link('https://d.example/base/', 'guide/index.md'), 'https://d.example/base/guide/');
    assert.equal(link('https://d.example/base/{path}', 'guide/index.md'), 'https://d.example/base/guide/');
    assert.equal(link('https://d.example/base/{path}', 'index.md'), 'https://d.example/base/');
    // `/` after the placeholder (pretty URLs): one slash, not `guide//`.
    assert.equal(link('https://d.example/base/{path}/', 'guide/index.md'), 'https://d.example/base/guide/');
    assert.equal(link('https://d.example/base/{path}/', 'index.md'), 'https://d.example/base/');
    assert.equal(link('https://d.example/base/{path}/', 'guide/setup.md'), 'https://d.example/base/guide/setup/');
    // {id}: the file's name keeps `index`; an id that is empty or a folder is treated alike.
    assert.equal(link('https://d.example/docs/{id}.html', 'guide/index.md'), 'https://d.example/docs/index.html');
    assert.equal(link('https://d.example/docs/{id}', 'guide/index.md'), 'https://d.example/docs/index');
    assert.equal(link('https://d.example/docs/{id}.html', 'guide/start.md', { id: '/' }), 'https://d.example/docs/start.html');
    assert.equal(link('https://d.example/docs/{id}.html', 'guide/start.md', { id: 'guide/' }), 'https://d.example/docs/guide/index.html');
  });

  it("a text page's link drops its .txt as a Markdown page's drops .md; Hugo's _index.md is its folder's page (outside tester's report)", () => {
    const link = (base: string, path: string) => documentUrl(base, path);
    // Was `glossary.txt.html`, a page no site publishes; every page's link now drops its file's extension alike.
    assert.equal(link('https://d.example/{path}.html', 'reference/glossary.txt'), 'https://d.example/reference/glossary.html');
    assert.equal(link('https://d.example/', 'reference/glossary.txt'), 'https://d.example/reference/glossary');
    assert.equal(link('https://d.example/', 'notes.MARKDOWN'), 'https://d.example/notes');
    // Was `/guides/_index`: Hugo publishes a section page at its folder.
    assert.equal(link('https://d.example/', 'guides/_index.md'), 'https://d.example/guides/');
    assert.equal(link('https://d.example/{path}.html', 'guides/_index.md'), 'https://d.example/guides/index.html');
    assert.equal(link('https://d.example/', '_index.md'), 'https://d.example/');
    // Only the whole name: a page called `my_index.md` is a page of its own.
    assert.equal(link('https://d.example/', 'guides/my_index.md'), 'https://d.example/guides/my_index');
  });

  it('an empty folder, or one without docs files, is refused on a fresh index in one line, and nothing is created', async () => {
    const folders: Record<string, string>[] = [{}, { 'notes.pdf': 'not a document type askdocs reads', 'img/logo.png': 'png' }];
    for (const pages of folders) {
      const { docs, env } = await project(pages);
      const run = await runCli(['ingest', docs], env, { cwd: work });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(
        oneLine(run.stderr),
        `askdocs: No docs files found in ${docs}: askdocs reads .md, .mdx, .markdown and .txt files.`,
        JSON.stringify(pages),
      );
      assert.equal(await hasCollection(env), false, 'no collection was created');
    }
  });

  it('an empty file is skipped as empty, not counted as unchanged; a folder of only empty files is refused on a fresh index', async () => {
    const { docs, env } = await project({ 'start.md': START, 'empty.md': '', 'draft.md': '---\ntitle: Draft\n---\n' });
    const skips = ['Skipped draft.md: no text to index (front matter, comments or markup only)', 'Skipped empty.md: empty'];
    for (const run of [1, 2]) {
      const ingest = await runCli(['ingest', docs], env, { cwd: work });
      assert.equal(ingest.code, 0, ingest.stderr);
      const lines = ingest.stderr.trim().split('\n');
      const summary = lines.pop()?.replace(/in [\d.]+ s$/, 'in … s');
      assert.deepEqual(lines, skips, `run ${run}`);
      assert.equal(
        summary,
        run === 1
          ? 'Ingested 1 file (1 added, 0 changed, 0 unchanged, 0 removed, 2 skipped): 1 chunk, 1 embedded, 0 deleted in … s'
          : 'Ingested 1 file (0 added, 0 changed, 1 unchanged, 0 removed, 2 skipped): 1 chunk, 0 embedded, 0 deleted in … s',
      );
    }

    const empty = await project({ 'empty.md': '', 'draft.md': '---\ntitle: Draft\n---\n' });
    const refused = await runCli(['ingest', empty.docs], empty.env, { cwd: work });
    assert.equal(refused.code, 1, refused.stderr);
    assert.deepEqual(refused.stderr.trim().split('\n'), [
      ...skips,
      `askdocs: Nothing to ingest in ${empty.docs}: every docs file in it was skipped (see above).`,
    ]);
    assert.equal(await hasCollection(empty.env), false, 'no collection was created');
  });
});
