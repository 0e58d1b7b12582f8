/**
 * Ingest against a real Milvus Lite with the real embedding model, on a few real
 * corpus pages copied to a temp folder: first ingest, unchanged re-ingest, an edited
 * page, a deleted page, and an ingest killed with SIGKILL half-way and re-run.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { AskdocsError } from '../src/errors.ts';
import { documentUrl, prepareDocument } from '../src/ingest/document.ts';
import { type IngestSummary, ingestFolder } from '../src/ingest/ingest.ts';
import { createProgressReporter, formatSkipped, formatSummary } from '../src/ingest/progress.ts';
import { scanFolder } from '../src/ingest/scan.ts';
import type { ChunkStore } from '../src/milvus/store.ts';
import { createMetrics, Registry } from '../src/observability/metrics.ts';
import { NEEDS_SHARED, testConfig } from './fakes/config.ts';
import { startTestMilvus, type TestMilvus } from './support/milvus.ts';
import { connectStore, copyCorpusPages, ingestWithDefaults, runCli, testEmbedder } from './support/retrieval-fixture.ts';

const BASE_URL = 'https://docs.example.com/milvus/';
const PAGES = ['faq/product_faq.md', 'reference/consistency.md', 'adminGuide/limit_collection_counts.md', 'userGuide/manage_databases.md'];

/** What a clean ingest of `dir` must store: every chunk id, computed without Milvus. */
async function expectedIds(dir: string, baseUrl?: string): Promise<Set<string>> {
  const config = testConfig();
  const ids = new Set<string>();
  for (const file of await scanFolder(dir)) {
    const source = await readFile(file.absolutePath, 'utf8');
    for (const chunk of prepareDocument(source, file.path, {
      maxChars: config.ingest.chunkMaxChars,
      overlapChars: config.ingest.chunkOverlapChars,
      baseUrl,
    })) {
      ids.add(chunk.id);
    }
  }
  return ids;
}

async function storedIds(store: ChunkStore): Promise<string[]> {
  const byPath = await store.idsByPath(await store.allPaths());
  return [...byPath.values()].flat();
}

describe('ingest (real Milvus Lite, real embeddings)', { skip: NEEDS_SHARED }, () => {
  let milvus: TestMilvus;
  let store: ChunkStore;
  let docs: string;

  before(async () => {
    [milvus, docs] = await Promise.all([startTestMilvus(), copyCorpusPages(PAGES), testEmbedder()]);
    store = await connectStore(milvus.address, 'ingest_test');
  });

  after(async () => {
    await store?.close();
    await Promise.all([milvus?.stop(), docs && rm(docs, { recursive: true, force: true })]);
  });

  it('ingests a folder: every chunk stored once, with links, and searchable', async () => {
    const metrics = createMetrics(new Registry());
    const summary = await ingestWithDefaults(docs, store, { baseUrl: BASE_URL, metrics });
    const expected = await expectedIds(docs, BASE_URL);
    assert.deepEqual(summary.files, { added: 4, changed: 0, unchanged: 0, removed: 0, skipped: 0 });
    assert.equal(summary.chunks.total, expected.size);
    assert.equal(summary.chunks.embedded, expected.size);
    assert.equal(await store.count(), expected.size);
    assert.deepEqual(new Set(await storedIds(store)), expected);
    assert.deepEqual((await store.allPaths()).sort(), [...PAGES].sort());
    const counted = async (counter: typeof metrics.ingestFiles, action: string) =>
      (await counter.get()).values.find((v) => v.labels.action === action)?.value;
    assert.equal(await counted(metrics.ingestFiles, 'added'), 4);
    assert.equal(await counted(metrics.ingestChunks, 'embedded'), expected.size);

    const embedder = await testEmbedder();
    const query = 'where does milvus store the metadata and the inserted vectors?';
    const [top] = await store.hybridSearch({ vector: await embedder.embedQuery(query), text: query, limit: 3 });
    assert.equal(top?.path, 'faq/product_faq.md');
    assert.deepEqual(top?.headingPath, ['Product FAQ', 'Where does Milvus store data?']);
    assert.equal(top?.title, 'Product FAQ');
    assert.equal(top?.url, 'https://docs.example.com/milvus/faq/product_faq');
  });

  it('re-ingesting an unchanged folder embeds and deletes nothing', async () => {
    const before = await store.count();
    const summary = await ingestWithDefaults(docs, store, { baseUrl: BASE_URL });
    assert.deepEqual(summary.files, { added: 0, changed: 0, unchanged: 4, removed: 0, skipped: 0 });
    assert.equal(summary.chunks.embedded, 0);
    assert.equal(summary.chunks.deleted, 0);
    assert.equal(await store.count(), before);
  });

  it('an edited page gets its new chunk upserted and the stale one deleted', async () => {
    const file = join(docs, 'faq/product_faq.md');
    const original = await readFile(file, 'utf8');
    const edited = original.replace(
      'Milvus is a 100% free open-source project.',
      'Milvus is a 100% free open-source project, maintained by the LF AI & Data Foundation.',
    );
    assert.notEqual(edited, original);
    await writeFile(file, edited);
    const before = new Set(await storedIds(store));

    const summary = await ingestWithDefaults(docs, store, { baseUrl: BASE_URL });
    assert.deepEqual(summary.files, { added: 0, changed: 1, unchanged: 3, removed: 0, skipped: 0 });
    assert.equal(summary.chunks.embedded, 1);
    assert.equal(summary.chunks.deleted, 1);
    const after = new Set(await storedIds(store));
    assert.deepEqual(after, await expectedIds(docs, BASE_URL));
    assert.equal([...after].filter((id) => !before.has(id)).length, 1);

    const embedder = await testEmbedder();
    const query = 'how much does milvus cost';
    const hits = await store.hybridSearch({ vector: await embedder.embedQuery(query), text: query, limit: 3 });
    const cost = hits.find((hit) => hit.headingPath.at(-1) === 'How much does Milvus cost?');
    assert.match(cost?.text ?? '', /LF AI & Data Foundation/);
  });

  it('a section added at the top of a page is the only new text embedded: the sections it moved down keep their vectors', async () => {
    const file = join(docs, 'reference/consistency.md');
    const original = await readFile(file, 'utf8');
    const edited = original.replace(
      '## Overview',
      '## Before you start\n\nRead the architecture overview first; this page assumes you know what a segment is.\n\n## Overview',
    );
    assert.notEqual(edited, original);
    await writeFile(file, edited);
    const before = new Set(await storedIds(store));

    const config = testConfig();
    const prepare = (source: string) =>
      prepareDocument(source, 'reference/consistency.md', {
        maxChars: config.ingest.chunkMaxChars,
        overlapChars: config.ingest.chunkOverlapChars,
        baseUrl: BASE_URL,
      });
    const [was, now] = [prepare(original), prepare(edited)];
    const oldTexts = new Set(was.map((chunk) => chunk.embeddingText));
    const oldIds = new Set(was.map((chunk) => chunk.id));
    const newText = now.filter((chunk) => !oldTexts.has(chunk.embeddingText)).length;
    const moved = now.filter((chunk) => !oldIds.has(chunk.id) && oldTexts.has(chunk.embeddingText)).length;
    assert.ok(moved >= 3 && newText < moved, `the edit moves more chunks than it changes (${newText} new, ${moved} moved)`);

    const summary = await ingestWithDefaults(docs, store, { baseUrl: BASE_URL });
    assert.deepEqual(summary.files, { added: 0, changed: 1, unchanged: 3, removed: 0, skipped: 0 });
    assert.equal(summary.chunks.embedded, newText, 'only the new text goes through the model');
    assert.equal(summary.chunks.reused, moved, 'the chunks it moved down are re-stored with their vectors');
    const after = await storedIds(store);
    assert.deepEqual(new Set(after), await expectedIds(docs, BASE_URL));

    // Every chunk written, moved or new, is stored with the vector the model gives its own text.
    const written = after.filter((id) => !before.has(id));
    const vectors = await store.vectorsByEmbeddedText(written);
    assert.equal(vectors.size, written.length);
    const fresh = await (await testEmbedder()).embedDocuments([...vectors.keys()]);
    for (const [i, stored] of [...vectors.values()].entries()) {
      const cosine = stored.reduce((sum, value, d) => sum + value * fresh[i]![d]!, 0);
      assert.ok(cosine > 0.9999, `a moved chunk's vector belongs to its own text (cosine ${cosine})`);
    }
  });

  it('a new --base-url links every chunk to the new site without embedding any of them', async () => {
    const newBase = 'https://docs.example.org/v2/';
    const total = await store.count();
    const summary = await ingestWithDefaults(docs, store, { baseUrl: newBase });
    assert.deepEqual(summary.files, { added: 0, changed: 4, unchanged: 0, removed: 0, skipped: 0 });
    assert.deepEqual(summary.chunks, { total, embedded: 0, reused: total, deleted: total });
    assert.match(formatSummary(summary), new RegExp(`, 0 embedded, ${total} re-stored with their vectors, ${total} deleted in `));
    assert.deepEqual(new Set(await storedIds(store)), await expectedIds(docs, newBase));

    const embedder = await testEmbedder();
    const query = 'where does milvus store the metadata and the inserted vectors?';
    const [top] = await store.hybridSearch({ vector: await embedder.embedQuery(query), text: query, limit: 3 });
    assert.deepEqual(top?.headingPath, ['Product FAQ', 'Where does Milvus store data?']);
    assert.equal(top?.url, 'https://docs.example.org/v2/faq/product_faq');

    // And back, for the tests below.
    assert.equal((await ingestWithDefaults(docs, store, { baseUrl: BASE_URL })).chunks.embedded, 0);
  });

  it('a deleted page has its chunks removed', async () => {
    await unlink(join(docs, 'adminGuide/limit_collection_counts.md'));
    const gone = (await store.idsByPath(['adminGuide/limit_collection_counts.md'])).get('adminGuide/limit_collection_counts.md');
    assert.ok(gone && gone.length > 0);

    const summary = await ingestWithDefaults(docs, store, { baseUrl: BASE_URL });
    assert.deepEqual(summary.files, { added: 0, changed: 0, unchanged: 3, removed: 1, skipped: 0 });
    assert.equal(summary.chunks.embedded, 0);
    assert.equal(summary.chunks.deleted, gone.length);
    assert.equal((await store.idsByPath(['adminGuide/limit_collection_counts.md'])).size, 0);
    assert.deepEqual(new Set(await storedIds(store)), await expectedIds(docs, BASE_URL));
  });

  it('an ingest killed with SIGKILL half-way is completed by running it again, without duplicates', async () => {
    const collection = 'ingest_interrupted';
    const env = {
      MILVUS_URI: `http://${milvus.address}`,
      MILVUS_COLLECTION: collection,
      EMBEDDING_BATCH_SIZE: '4',
      LOG_LEVEL: 'debug',
    };
    const killed = await runCli(['ingest', docs], env, {
      killWhen: (stderr) => stderr.includes('ingest batch written'),
    });
    assert.equal(killed.signal, 'SIGKILL', `the ingest was killed mid-way (exit ${killed.code}): ${killed.stderr.slice(-500)}`);

    const partial = await connectStore(milvus.address, collection);
    try {
      const expected = await expectedIds(docs);
      const stored = await partial.count();
      assert.ok(stored > 0 && stored < expected.size, `partly ingested: ${stored} of ${expected.size}`);

      const rerun = await runCli(['ingest', docs], { ...env, LOG_LEVEL: 'warn' });
      assert.equal(rerun.code, 0, rerun.stderr);
      // Not a terminal: one summary line, and only the missing chunks were embedded.
      const summaryLine = rerun.stderr.trim();
      assert.match(
        summaryLine,
        /^Ingested 3 files \(\d+ added, \d+ changed, \d+ unchanged, 0 removed\): \d+ chunks, \d+ embedded, 0 deleted in [\d.]+ s$/,
      );
      const embedded = Number(/(\d+) embedded/.exec(summaryLine)?.[1]);
      assert.equal(embedded, expected.size - stored);

      const ids = await storedIds(partial);
      assert.equal(ids.length, new Set(ids).size, 'no duplicate ids');
      assert.deepEqual(new Set(ids), expected);
      assert.equal(await partial.count(), expected.size);

      const embedder = await testEmbedder();
      const query = 'what does bounded staleness consistency mean';
      const [top] = await partial.hybridSearch({ vector: await embedder.embedQuery(query), text: query, limit: 1 });
      assert.equal(top?.path, 'reference/consistency.md');
      assert.equal(top?.url, undefined, 'no DOCS_BASE_URL, no link');
    } finally {
      await partial.close();
    }
  });

  it('shows a progress bar on a terminal and only a summary line elsewhere', () => {
    const summary: IngestSummary = {
      files: { added: 2, changed: 1, unchanged: 5, removed: 1, skipped: 0 },
      chunks: { total: 120, embedded: 40, reused: 0, deleted: 12 },
      seconds: 3.25,
    };
    const drive = (isTTY: boolean) => {
      const stream = Object.assign(new PassThrough(), { isTTY, columns: 120 }) as unknown as NodeJS.WriteStream;
      let output = '';
      stream.on('data', (data: Buffer) => {
        output += data.toString();
      });
      const reporter = createProgressReporter(stream);
      reporter.onProgress({ type: 'planned', files: 8, chunks: 120, toEmbed: 40 });
      reporter.onProgress({ type: 'progress', written: 20, toEmbed: 40, filesDone: 5, files: 8 });
      reporter.onProgress({ type: 'progress', written: 40, toEmbed: 40, filesDone: 8, files: 8 });
      reporter.onProgress({ type: 'done', summary });
      return output;
    };
    assert.equal(
      formatSummary({
        files: { added: 1, changed: 0, unchanged: 0, removed: 0, skipped: 0 },
        chunks: { total: 1, embedded: 1, reused: 0, deleted: 0 },
        seconds: 1,
      }),
      'Ingested 1 file (1 added, 0 changed, 0 unchanged, 0 removed): 1 chunk, 1 embedded, 0 deleted in 1.0 s',
    );
    const line = 'Ingested 8 files (2 added, 1 changed, 5 unchanged, 1 removed): 120 chunks, 40 embedded, 12 deleted in 3.3 s\n';
    assert.equal(drive(false), line);
    const tty = drive(true);
    assert.match(tty, /Embedding \|.*\| 0\/40 chunks \| files 0\/8 \| 0\.0 chunks\/s/);
    assert.ok(tty.endsWith(line));
  });

  it('builds links from a base URL and the page path', () => {
    assert.equal(documentUrl('https://d.example/docs', 'faq/product_faq.md'), 'https://d.example/docs/faq/product_faq');
    assert.equal(documentUrl('https://d.example/docs/', 'guide/index.mdx'), 'https://d.example/docs/guide/');
    // A text page drops its extension as a Markdown page does (test/ingest-links.test.ts).
    assert.equal(documentUrl('https://d.example', 'notes/Release Plan.txt'), 'https://d.example/notes/Release%20Plan');
    assert.equal(documentUrl(undefined, 'faq/product_faq.md'), undefined);
  });

  it("a page's front-matter slug decides its link, as Docusaurus and Hugo publish it; an id does not", () => {
    const linkOf = (path: string, source: string) =>
      prepareDocument(source, path, { maxChars: 1600, overlapChars: 200, baseUrl: 'https://d.example/docs/' })[0]?.url;
    assert.equal(linkOf('intro.md', '---\nslug: /\n---\n# Intro\n\nHello.\n'), 'https://d.example/docs/');
    assert.equal(
      linkOf('guides/retention.mdx', '---\nslug: /retention-policy\n---\n# Retention\n\nKept.\n'),
      'https://d.example/docs/retention-policy',
    );
    assert.equal(linkOf('guides/hello.md', '+++\nslug = "bonjour"\n+++\n# Hello\n\nHi.\n'), 'https://d.example/docs/guides/bonjour');
    for (const escaping of ['../../outside', '//evil.example/x', 'https://evil.example/x']) {
      assert.equal(
        linkOf('guides/hello.md', `---\nslug: ${escaping}\n---\n# Hello\n\nHi.\n`),
        'https://d.example/docs/guides/hello',
        escaping,
      );
    }
    assert.equal(linkOf('guides/quotas.md', '---\nid: quota-limits\ntitle: Quotas\n---\nText.\n'), 'https://d.example/docs/guides/quotas');
  });

  it('a base URL with {id} or {path} is a link template: the Milvus site publishes each page at its front-matter id', () => {
    const linkOf = (baseUrl: string, path: string, source: string) =>
      prepareDocument(source, path, { maxChars: 1600, overlapChars: 200, baseUrl })[0]?.url;
    const milvus = 'https://milvus.io/docs/{id}';
    assert.equal(
      linkOf(milvus, 'reference/metric.md', '---\nid: metric.md\n---\n# Metric Types\n\nText.\n'),
      'https://milvus.io/docs/metric.md',
    );
    // Without an id: the file's name, as Docusaurus names a page.
    assert.equal(linkOf(milvus, 'reference/Release Plan.md', '# Plan\n\nText.\n'), 'https://milvus.io/docs/Release%20Plan');
    assert.equal(
      linkOf(milvus, 'a/b.md', '---\nid: ../../outside\n---\n# B\n\nText.\n'),
      'https://milvus.io/docs/b',
      'an id leaving the site',
    );
    assert.equal(
      linkOf('https://d.example/v2/{path}.html', 'guide/setup.md', '# Setup\n\nText.\n'),
      'https://d.example/v2/guide/setup.html',
    );
  });
});

/** A few small pages of our own (no corpus needed) for the hostile-input tests. */
async function smallDocs(pages: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'askdocs-small-docs-'));
  for (const [path, text] of Object.entries(pages)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

const HEALTHY = {
  'guide/install.md': '# Install\n\nInstall askdocs with npm and run the setup script once to fetch the embedding model.\n',
  'guide/ingest.md': '# Ingest\n\nRun askdocs ingest on the docs folder; it indexes Markdown, MDX and text files incrementally.\n',
};

describe('ingest: unlucky and hostile folders (real Milvus Lite, real embeddings)', () => {
  let milvus: TestMilvus;
  const scratch: string[] = [];
  let collections = 0;

  before(async () => {
    [milvus] = await Promise.all([startTestMilvus(), testEmbedder()]);
  });
  after(async () => {
    await Promise.all([milvus?.stop(), ...scratch.map((dir) => rm(dir, { recursive: true, force: true }))]);
  });

  async function freshStore(): Promise<ChunkStore> {
    collections++;
    return connectStore(milvus.address, `ingest_hostile_${collections}`);
  }
  async function docsFolder(pages: Record<string, string>): Promise<string> {
    const dir = await smallDocs(pages);
    scratch.push(dir);
    return dir;
  }

  it('strips terminal control sequences (ANSI, OSC titles and links, bells) from document text', async () => {
    const store = await freshStore();
    try {
      const dir = await docsFolder({
        'guide/escapes.md':
          '# Escapes\x1b]0;owned title\x07\n\nClear the screen\x1b[2J\x1b[H, then \x1b]8;;http://evil.example\x1b\\click here\x1b]8;;\x1b\\ and ring\x07 the bell.\n',
      });
      await ingestWithDefaults(dir, store);
      const embedder = await testEmbedder();
      const [hit] = await store.hybridSearch({ vector: await embedder.embedQuery('clear the screen'), text: 'clear the screen', limit: 1 });
      assert.ok(hit);
      assert.doesNotMatch(`${hit.title}\n${hit.headingPath.join('\n')}\n${hit.text}`, /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/);
      assert.equal(hit.text, '# Escapes\n\nClear the screen, then click here and ring the bell.');
    } finally {
      await store.close();
    }
  });

  it('an empty or mistyped folder does not wipe the index: refused in one line unless --prune', async () => {
    const store = await freshStore();
    try {
      await ingestWithDefaults(await docsFolder(HEALTHY), store);
      const stored = await store.count();
      assert.ok(stored >= 2);
      const empty = await docsFolder({ 'notes.pdf': 'not a document type askdocs reads' });
      await assert.rejects(ingestWithDefaults(empty, store), (error: unknown) => {
        assert.ok(error instanceof AskdocsError);
        assert.match(error.userMessage, /^Refusing to delete all \d+ indexed chunks: 2 of 2 indexed files are missing from .*--prune/);
        return true;
      });
      assert.equal(await store.count(), stored, 'nothing was deleted');
      // Losing half the files is an ordinary edit; more than half needs --prune.
      const half = await docsFolder({ 'guide/install.md': HEALTHY['guide/install.md'] });
      await ingestWithDefaults(half, store);
      await assert.rejects(ingestWithDefaults(empty, store), /Refusing to delete all/);
      const summary = await ingestWithDefaults(empty, store, { allowPrune: true });
      assert.equal(summary.files.removed, 1);
      assert.equal(await store.count(), 0);
    } finally {
      await store.close();
    }
  });

  it('re-ingests edits that replace every chunk without --prune, and refuses files emptied of their text', async () => {
    const store = await freshStore();
    try {
      const dir = await docsFolder(HEALTHY);
      await ingestWithDefaults(dir, store);
      const stored = await store.count();
      // Every page edited, and a base URL added (which changes every chunk id): an ordinary update.
      for (const [path, text] of Object.entries(HEALTHY)) await writeFile(join(dir, path), text.replace('askdocs', 'the askdocs CLI'));
      const edited = await ingestWithDefaults(dir, store, { baseUrl: BASE_URL });
      assert.deepEqual(edited.files, { added: 0, changed: 2, unchanged: 0, removed: 0, skipped: 0 });
      assert.equal(await store.count(), stored);
      // A long page cut down to one line is an edit too, however much of the index it held.
      const sections = Array.from({ length: 8 }, (_, i) => `## Step ${i}\n\n${'Run the installer and check its output. '.repeat(40)}`);
      await writeFile(join(dir, 'guide/install.md'), `# Install\n\n${sections.join('\n\n')}\n`);
      const long = await ingestWithDefaults(dir, store, { baseUrl: BASE_URL });
      assert.ok(long.chunks.total >= 8, `the long page has ${long.chunks.total - 1} chunks`);
      await writeFile(join(dir, 'guide/install.md'), '# Install\n\nSee the new guide.\n');
      const shortened = await ingestWithDefaults(dir, store, { baseUrl: BASE_URL });
      assert.equal(shortened.files.changed, 1);
      assert.equal(await store.count(), 2);
      // The same files, present but emptied (a broken sync): the index would be emptied too.
      for (const path of Object.keys(HEALTHY)) await writeFile(join(dir, path), '');
      await assert.rejects(ingestWithDefaults(dir, store, { baseUrl: BASE_URL }), (error: unknown) => {
        assert.ok(error instanceof AskdocsError);
        assert.match(error.userMessage, /^Refusing to delete all \d+ indexed chunks: 2 of 2 indexed files in .* are now empty\. .*--prune/);
        return true;
      });
      assert.equal(await store.count(), 2, 'nothing was deleted');
    } finally {
      await store.close();
    }
  });

  it('skips an empty or front-matter-only file, run after run, rather than counting it as added or unchanged', async () => {
    const store = await freshStore();
    try {
      const dir = await docsFolder({
        'page.md': HEALTHY['guide/install.md'],
        'empty.md': '',
        'draft.md': '---\ntitle: Draft\ndraft: true\n---\n',
      });
      const skips = { 'draft.md': 'no text to index (front matter, comments or markup only)', 'empty.md': 'empty' };
      const run = async () => {
        const skipped: Record<string, string> = {};
        const summary = await ingestWithDefaults(dir, store, {
          onProgress: (event) => {
            if (event.type === 'skipped') skipped[event.path] = event.reason;
          },
        });
        return { summary, skipped };
      };
      const first = await run();
      assert.deepEqual(first.summary.files, { added: 1, changed: 0, unchanged: 0, removed: 0, skipped: 2 });
      assert.deepEqual(first.skipped, skips);
      const second = await run();
      assert.deepEqual(second.summary.files, { added: 0, changed: 0, unchanged: 1, removed: 0, skipped: 2 });
      assert.deepEqual(second.skipped, skips);
      assert.equal(second.summary.chunks.embedded, 0);
      assert.deepEqual(await store.allPaths(), ['page.md']);
      // Emptied after it was indexed: changed, its chunks deleted (with --prune: it was the only page).
      await writeFile(join(dir, 'page.md'), '');
      const emptied = await ingestWithDefaults(dir, store, { allowPrune: true });
      assert.deepEqual(emptied.files, { added: 0, changed: 1, unchanged: 0, removed: 0, skipped: 2 });
      assert.equal(await store.count(), 0);
    } finally {
      await store.close();
    }
  });

  it('skips a file whose path is too long to store, run after run, and stores long non-Latin titles and headings', async () => {
    const store = await freshStore();
    try {
      const deep = `${Array.from({ length: 6 }, (_, i) => `${i}${'x'.repeat(199)}`).join('/')}/giraffes.md`;
      const title = '长颈鹿'.repeat(150); // 450 characters, 1,350 bytes of UTF-8
      const headings = Array.from({ length: 12 }, (_, i) => `${'#'.repeat(Math.min(i + 2, 6))} ${i} ${'小节'.repeat(120)}`).join('\n\n');
      const dir = await docsFolder({
        ...HEALTHY,
        [deep]: '# Giraffes\n\nA page about giraffes.\n',
        'zh/long-title.md': `# ${title}\n\n${headings}\n\nText under deep headings about elephants.\n`,
      });
      for (let run = 1; run <= 2; run++) {
        const summary = await ingestWithDefaults(dir, store);
        assert.equal(summary.files.skipped, 1, `run ${run}`);
        assert.equal(summary.files.removed, 0, `run ${run}: nothing stored is taken for a removed file`);
        assert.equal(await store.count(), summary.chunks.total, `run ${run}`);
      }
      const paths = await store.allPaths();
      assert.ok(!paths.some((path) => path.includes('giraffes')));
      const embedder = await testEmbedder();
      // Limit 5, not 1: the page's three chunks open with the same long headings and embed
      // alike, so which of them the dense search returns first goes by chunk id; with too few
      // candidates the chunk BM25 finds first (this one) ties in the fusion with the dense
      // best (another page), and that tie goes by chunk id too.
      const [hit] = await store.hybridSearch({ vector: await embedder.embedQuery('elephants'), text: 'elephants', limit: 5 });
      assert.equal(hit?.path, 'zh/long-title.md');
      assert.ok(hit.title.startsWith('长颈鹿'));
      assert.ok(hit.headingPath.length >= 2 && hit.headingPath.at(-1)!.startsWith('11 '), 'the deepest heading is kept');
    } finally {
      await store.close();
    }
  });

  it('skips a file or folder with a control character in its name, run after run, saying to rename it; it is never stored', async () => {
    const store = await freshStore();
    try {
      // Stored, such a file could never be matched again: its edits and its deletion were lost.
      const dir = await docsFolder({
        ...HEALTHY,
        'guide/a\tb.md': '# Tab\n\nThe old port is 1111.\n',
        'line\nbreak/page.md': '# Break\n\nThe old host is old.example.\n',
      });
      const reason = 'its name contains a control character (a tab, a line break, an escape); rename it';
      for (let run = 1; run <= 2; run++) {
        const skipped: Record<string, string> = {};
        const summary = await ingestWithDefaults(dir, store, {
          onProgress: (event) => {
            if (event.type === 'skipped') skipped[event.path] = event.reason;
          },
        });
        assert.deepEqual(skipped, { 'guide/a\tb.md': reason, 'line\nbreak/': reason }, `run ${run}`);
        assert.deepEqual(summary.files, { added: run === 1 ? 2 : 0, changed: 0, unchanged: run === 1 ? 0 : 2, removed: 0, skipped: 2 });
      }
      assert.deepEqual((await store.allPaths()).sort(), Object.keys(HEALTHY).sort());
    } finally {
      await store.close();
    }
  });

  it('reads Latin-1, Windows-1252 and UTF-16 pages as such, and names a file whose name is not UTF-8 instead of calling it missing', async () => {
    const store = await freshStore();
    try {
      const dir = await docsFolder(HEALTHY);
      await writeFile(join(dir, 'latin1.md'), Buffer.from('# Café\n\nA naïve résumé of the giraffe enclosure.\n', 'latin1'));
      // Short and mostly non-ASCII: not taken for binary data.
      await writeFile(join(dir, 'umlauts.md'), Buffer.from('# Größe\n\nÄÖÜ\n', 'latin1'));
      // Windows-1252's own characters (0x80-0x9F: curly quotes, dashes, the euro sign), and UTF-16 with its byte-order mark.
      await writeFile(
        join(dir, 'cp1252.md'),
        Buffer.from([
          ...Buffer.from('# Koalas\n\n'),
          0x93,
          ...Buffer.from('Koalas'),
          0x94,
          0x20,
          0x96,
          0x20,
          0x80,
          ...Buffer.from('5 a koala feed.\n'),
        ]),
      );
      await writeFile(
        join(dir, 'utf16.md'),
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('# Wombats\n\nWombats dig burrows in the eucalyptus forest.\n', 'utf16le')]),
      );
      await writeFile(Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from('.md')]), '# Menu\n\nCoffee.\n');
      const skipped: Record<string, string> = {};
      const summary = await ingestWithDefaults(dir, store, {
        onProgress: (event) => {
          if (event.type === 'skipped') skipped[event.path] = event.reason;
        },
      });
      assert.deepEqual(skipped, { 'caf\uFFFD.md': 'its name is not valid UTF-8; rename it' });
      assert.equal(summary.files.added, 6);
      const embedder = await testEmbedder();
      const [hit] = await store.hybridSearch({
        vector: await embedder.embedQuery('giraffe enclosure'),
        text: 'giraffe enclosure',
        limit: 1,
      });
      assert.equal(hit?.path, 'latin1.md');
      assert.equal(hit.title, 'Café');
      assert.match(hit.text, /A naïve résumé of the giraffe enclosure\./);
      const [koalas] = await store.hybridSearch({ vector: await embedder.embedQuery('koala feed'), text: 'koala feed', limit: 1 });
      assert.match(koalas?.text ?? '', /“Koalas” – €5 a koala feed\./);
      const [wombats] = await store.hybridSearch({ vector: await embedder.embedQuery('wombat burrows'), text: 'wombat burrows', limit: 1 });
      assert.equal(wombats?.title, 'Wombats');
      assert.match(wombats?.text ?? '', /Wombats dig burrows in the eucalyptus forest\./);
    } finally {
      await store.close();
    }
  });
});

describe('scanning a docs folder', () => {
  it('says in one line when the docs folder is missing or is a file', async () => {
    const docs = await smallDocs(HEALTHY);
    try {
      await assert.rejects(scanFolder(join(docs, 'nope')), (error: unknown) => {
        assert.ok(error instanceof AskdocsError);
        assert.equal(error.userMessage, `Docs folder ${join(docs, 'nope')} does not exist.`);
        return true;
      });
      const file = join(docs, 'guide/install.md');
      await assert.rejects(scanFolder(file), (error: unknown) => {
        assert.ok(error instanceof AskdocsError);
        assert.equal(error.userMessage, `Docs folder ${file} is a file, not a folder: give the folder that holds the docs.`);
        return true;
      });
    } finally {
      await rm(docs, { recursive: true, force: true });
    }
  });

  it('follows symlinked documents inside the folder, and says why one pointing outside is not followed', async () => {
    const docs = await smallDocs(HEALTHY);
    const outside = await smallDocs({ 'secret.md': '# Secret\n\nNot part of the docs.\n' });
    try {
      await symlink(join(docs, 'guide/install.md'), join(docs, 'install-alias.md'));
      await symlink('guide/ingest.md', join(docs, 'ingest-link.md'));
      await symlink(join(outside, 'secret.md'), join(docs, 'leak.md'));
      await symlink(join(docs, 'missing.md'), join(docs, 'broken.md'));
      const skipped: Record<string, string> = {};
      const files = await scanFolder(docs, { onSkip: (path, reason) => (skipped[path] = reason) });
      assert.deepEqual(
        files.map((f) => f.path),
        ['guide/ingest.md', 'guide/install.md', 'ingest-link.md', 'install-alias.md'],
      );
      assert.deepEqual(skipped, {
        'broken.md': 'broken symlink (its target does not exist)',
        'leak.md': 'symlink to a file outside the docs folder, not followed',
      });
    } finally {
      await Promise.all([rm(docs, { recursive: true, force: true }), rm(outside, { recursive: true, force: true })]);
    }
  });

  it('names each symlinked folder, inside or outside the docs folder, as not followed', async () => {
    const docs = await smallDocs(HEALTHY);
    const outside = await smallDocs({ 'secret.md': '# Secret\n\nNot part of the docs.\n' });
    try {
      await symlink(join(docs, 'guide'), join(docs, 'guide-alias'));
      await symlink(outside, join(docs, 'elsewhere'));
      await symlink('..', join(docs, 'guide/up'));
      const skipped: Record<string, string> = {};
      const files = await scanFolder(docs, { onSkip: (path, reason) => (skipped[path] = reason) });
      assert.deepEqual(
        files.map((f) => f.path),
        ['guide/ingest.md', 'guide/install.md'],
      );
      assert.deepEqual(skipped, {
        'guide-alias': 'symlink to a folder, not followed',
        elsewhere: 'symlink to a folder, not followed',
        'guide/up': 'symlink to a folder, not followed',
      });
    } finally {
      await Promise.all([rm(docs, { recursive: true, force: true }), rm(outside, { recursive: true, force: true })]);
    }
  });

  it('names a file with control characters in its name with escapes, so it can be found and renamed without the name driving the terminal', async () => {
    const docs = await smallDocs({ ...HEALTHY, '\x1b[2J\x1b[Hwipe.md': '# Wipe\n\nx\n', 'guide/a\tb.md': '# Tab\n\nx\n' });
    try {
      for (const isTTY of [false, true]) {
        const stream = Object.assign(new PassThrough(), { isTTY, columns: 120 }) as unknown as NodeJS.WriteStream;
        let output = '';
        stream.on('data', (data: Buffer) => {
          output += data.toString();
        });
        const reporter = createProgressReporter(stream);
        await scanFolder(docs, { onSkip: (path, reason) => reporter.onProgress({ type: 'skipped', path, reason }) });
        reporter.stop();
        const reason = 'its name contains a control character (a tab, a line break, an escape); rename it';
        // In the order the folder lists them.
        assert.deepEqual(
          output.split('\n').sort(),
          ['', `Skipped \\x1b[2J\\x1b[Hwipe.md: ${reason}`, `Skipped guide/a\\tb.md: ${reason}`],
          `isTTY: ${isTTY}`,
        );
      }
      // A bidi override would show the name reversed ("md.jpg" for "gpj.md"): escaped too.
      assert.equal(formatSkipped({ path: 'guide/\u202egpj.md', reason: 'binary content' }), 'Skipped guide/\\u202egpj.md: binary content');
    } finally {
      await rm(docs, { recursive: true, force: true });
    }
  });
});

describe('ingest: bad files are skipped, named, and counted (real Milvus Lite, real embeddings)', () => {
  let milvus: TestMilvus;
  let store: ChunkStore;
  let docs: string;

  before(async () => {
    [milvus] = await Promise.all([startTestMilvus(), testEmbedder()]);
    store = await connectStore(milvus.address, 'ingest_bad_files');
    docs = await smallDocs({
      ...HEALTHY,
      // Each of these stopped the whole run before.
      // 1,000 list levels, each opened on the same line (`- - - …`): as deep as an indented
      // list of 1,000 levels, whose indentation alone (a million spaces) took a minute to parse.
      'deep/nested-list.md': `# Deep list\n\n${'- '.repeat(1000)}level 1000\n`,
      'deep/quotes.md': `${'>'.repeat(10_000)} quoted\n`,
      'binary/ls.md': Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\x00'), randomBytes(4096)]),
      'binary/noise.txt': Buffer.from(Array.from({ length: 4096 }, (_, i) => 0x80 + (i % 64))),
      'big/export.md': `# Export\n\n${'A line of a very large generated export file.\n'.repeat(60_000)}`,
    });
  });
  after(async () => {
    await store?.close();
    await Promise.all([milvus?.stop(), docs && rm(docs, { recursive: true, force: true })]);
  });

  it('deeply nested lists and block quotes, binary files and oversized files are skipped with a warning; the rest is ingested', async () => {
    const config = testConfig({ INGEST_MAX_FILE_MB: '2' });
    const skipped: { path: string; reason: string }[] = [];
    const summary = await ingestFolder({
      dir: docs,
      store,
      embedder: await testEmbedder(),
      maxChars: config.ingest.chunkMaxChars,
      overlapChars: config.ingest.chunkOverlapChars,
      batchSize: config.embedding.batchSize,
      maxFileBytes: config.ingest.maxFileBytes,
      onProgress: (event) => {
        if (event.type === 'skipped') skipped.push({ path: event.path, reason: event.reason });
      },
    });
    assert.deepEqual(Object.fromEntries(skipped.map((s) => [s.path, s.reason])), {
      'big/export.md': '2.6 MB is over the 2 MB limit (INGEST_MAX_FILE_MB)',
      'binary/ls.md': 'binary content (NUL bytes), not text',
      'binary/noise.txt': 'binary content (not UTF-8 text)',
      'deep/nested-list.md': 'nested too deeply to parse (lists or block quotes thousands of levels deep)',
      'deep/quotes.md': 'nested too deeply to parse (lists or block quotes thousands of levels deep)',
    });
    assert.deepEqual(summary.files, { added: 2, changed: 0, unchanged: 0, removed: 0, skipped: 5 });
    assert.deepEqual((await store.allPaths()).sort(), Object.keys(HEALTHY).sort());
  });

  it('the CLI prints one line per skipped file and counts them in the summary; an unreadable file is one of them', async () => {
    const unreadable = join(docs, 'guide/secret.md');
    await writeFile(unreadable, '# Secret\n\nNobody may read this page.\n');
    await chmod(unreadable, 0o000);
    // root reads anything: the CLI runs as an ordinary user, as it would in a container.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    await chmod(docs, 0o755);
    const run = await runCli(
      ['ingest', docs],
      { MILVUS_URI: `http://${milvus.address}`, MILVUS_COLLECTION: 'ingest_bad_files_cli', INGEST_MAX_FILE_MB: '2' },
      asUser,
    );
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.ok(lines.includes('Skipped guide/secret.md: permission denied (EACCES)'), run.stderr);
    assert.equal(run.stderr.split('guide/secret.md').length - 1, 1, `named once, in words, not again as a JSON log line:\n${run.stderr}`);
    assert.ok(
      lines.includes('Skipped deep/quotes.md: nested too deeply to parse (lists or block quotes thousands of levels deep)'),
      run.stderr,
    );
    assert.match(lines.at(-1) ?? '', /^Ingested 2 files \(2 added, 0 changed, 0 unchanged, 0 removed, 6 skipped\)/);
    assert.doesNotMatch(run.stderr, /Something went wrong|while answering|at .*\.ts:\d+/);
  });
});
