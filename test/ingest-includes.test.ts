/**
 * Pages that include other docs files (`{{fragments/x.md}}`, `{% include %}`, `--8<--`):
 * the included text is indexed as part of the page, where the site shows it, and the
 * included file is not a page of its own.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { includesOf, resolveIncludes } from '../src/ingest/includes.ts';
import type { ChunkStore } from '../src/milvus/store.ts';
import { startTestMilvus, type TestMilvus } from './support/milvus.ts';
import { connectStore, ingestWithDefaults, testEmbedder } from './support/retrieval-fixture.ts';

const files: Record<string, string> = {
  'faq.md': '# FAQ\n\n## Does my CPU support Acme?\n\n{{fragments/cpu.md}}\n\n## Where are logs?\n\nIn /var/log/acme.\n',
  'fragments/cpu.md': 'Acme needs a CPU with AVX2. Run `lscpu | grep avx2` to check.\n',
  'guide/setup.md': '# Setup\n\n{% include "../fragments/cpu.md" %}\n\n--8<-- "snippets/env.md"\n\n```md\n{{fragments/cpu.md}}\n```\n',
  'snippets/env.md': 'Set ACME_HOME first.\n{{fragments/cpu.md}}\n',
};
const textOf = (path: string) => files[path];

describe('include lines', () => {
  it('put the included file in place, by the page folder or the top folder, and never inside fenced code', () => {
    assert.equal(
      resolveIncludes(files['faq.md']!, 'faq.md', textOf),
      '# FAQ\n\n## Does my CPU support Acme?\n\nAcme needs a CPU with AVX2. Run `lscpu | grep avx2` to check.\n\n## Where are logs?\n\nIn /var/log/acme.\n',
    );
    const setup = resolveIncludes(files['guide/setup.md']!, 'guide/setup.md', textOf);
    assert.equal(
      setup,
      '# Setup\n\nAcme needs a CPU with AVX2. Run `lscpu | grep avx2` to check.\n\n' +
        'Set ACME_HOME first.\nAcme needs a CPU with AVX2. Run `lscpu | grep avx2` to check.\n\n```md\n{{fragments/cpu.md}}\n```\n',
    );
    assert.deepEqual(
      includesOf(files['guide/setup.md']!, 'guide/setup.md', (path) => path in files),
      ['fragments/cpu.md', 'snippets/env.md'],
    );
  });

  it('leave a line alone when it names no docs file of the folder: a missing file, a file outside it, a template variable', () => {
    for (const line of ['{{fragments/missing.md}}', '{{../../etc/passwd.md}}', '{{ site.version }}', '{{< tabs >}}']) {
      assert.equal(resolveIncludes(`# Page\n\n${line}\n`, 'page.md', textOf), `# Page\n\n${line}\n`);
    }
  });

  it('stop after a few levels when files include each other', () => {
    const loop = { 'a.md': 'A\n{{b.md}}', 'b.md': 'B\n{{a.md}}' } as Record<string, string>;
    const resolved = resolveIncludes('{{a.md}}', 'page.md', (path) => loop[path]);
    assert.equal(resolved.split('\n').length, 5, resolved);
  });
});

describe('ingesting pages with includes (real Milvus Lite, real embeddings)', () => {
  let milvus: TestMilvus;
  let store: ChunkStore;
  let docs: string;

  before(async () => {
    [milvus, docs] = await Promise.all([startTestMilvus(), mkdtemp(join(tmpdir(), 'askdocs-includes-')), testEmbedder()]);
    store = await connectStore(milvus.address, 'includes_test');
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(docs, path)), { recursive: true });
      await writeFile(join(docs, path), text);
    }
  });

  after(async () => {
    await store?.close();
    await Promise.all([milvus?.stop(), docs && rm(docs, { recursive: true, force: true })]);
  });

  async function top(question: string) {
    const embedder = await testEmbedder();
    const [hit] = await store.hybridSearch({ vector: await embedder.embedQuery(question), text: question, limit: 3 });
    return hit;
  }

  it('answers from the section that shows the included text, and never cites the included file', async () => {
    const summary = await ingestWithDefaults(docs, store, { baseUrl: 'https://docs.acme.io/' });
    assert.deepEqual(summary.files, { added: 2, changed: 0, unchanged: 0, removed: 0, skipped: 0 });
    assert.deepEqual((await store.allPaths()).sort(), ['faq.md', 'guide/setup.md']);
    const hit = await top('does my cpu support acme? how do i check for avx2');
    assert.deepEqual(hit?.headingPath, ['FAQ', 'Does my CPU support Acme?']);
    assert.match(hit?.text ?? '', /AVX2/);
    assert.equal(hit?.url, 'https://docs.acme.io/faq', 'the FAQ page, not the fragment');
  });

  it('re-indexes the pages that include a file when only that file changed', async () => {
    await writeFile(join(docs, 'fragments/cpu.md'), 'Acme needs a CPU with AVX-512. Run `lscpu | grep avx512` to check.\n');
    const summary = await ingestWithDefaults(docs, store, { baseUrl: 'https://docs.acme.io/' });
    assert.deepEqual(summary.files, { added: 0, changed: 2, unchanged: 0, removed: 0, skipped: 0 });
    assert.match((await top('does my cpu support acme? avx'))?.text ?? '', /AVX-512/);
  });

  it('indexes a file as a page again once no page includes it', async () => {
    await writeFile(join(docs, 'faq.md'), '# FAQ\n\n## Where are logs?\n\nIn /var/log/acme.\n');
    await writeFile(join(docs, 'guide/setup.md'), '# Setup\n\nInstall Acme.\n');
    const summaryWhileEnvIncludesIt = await ingestWithDefaults(docs, store, { baseUrl: 'https://docs.acme.io/' });
    assert.equal(summaryWhileEnvIncludesIt.files.added, 1, 'snippets/env.md is a page now; it still includes the CPU note');
    assert.ok(!(await store.allPaths()).includes('fragments/cpu.md'));
    await writeFile(join(docs, 'snippets/env.md'), 'Set ACME_HOME first.\n');
    const summary = await ingestWithDefaults(docs, store, { baseUrl: 'https://docs.acme.io/' });
    assert.deepEqual(summary.files, { added: 1, changed: 1, unchanged: 2, removed: 0, skipped: 0 });
    assert.deepEqual((await store.allPaths()).sort(), ['faq.md', 'fragments/cpu.md', 'guide/setup.md', 'snippets/env.md']);
  });
});
