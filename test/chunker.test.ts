import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { frontmatterFromMarkdown } from 'mdast-util-frontmatter';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { frontmatter } from 'micromark-extension-frontmatter';
import { gfm } from 'micromark-extension-gfm';
import { chunkDocument, type TextChunk } from '../src/ingest/chunker.ts';
import { headingLinesIn, normalizeHeading } from '../src/ingest/headings.ts';
import { CORPUS_DIR, NEEDS_SHARED } from './fakes/config.ts';

const LIMITS = { maxChars: 1600, overlapChars: 200 };

function corpusFile(path: string): string {
  return readFileSync(join(CORPUS_DIR, path), 'utf8');
}

function chunk(path: string, limits = LIMITS) {
  return chunkDocument(corpusFile(path), path, limits);
}

/** All the text a document's chunks hold, one after the other. */
function chunkedText(source: string, path: string): string {
  return chunkDocument(source, path, LIMITS)
    .chunks.map((c) => c.text)
    .join('\n');
}

/** The chunks a question about `heading` could be matched to: own heading or a heading line inside. */
function chunksWithHeading(chunks: TextChunk[], heading: string): TextChunk[] {
  const wanted = normalizeHeading(heading);
  return chunks.filter(
    (c) => normalizeHeading(c.headingPath.at(-1) ?? '') === wanted || headingLinesIn(c.text).some((h) => normalizeHeading(h) === wanted),
  );
}

describe('chunker on real corpus pages', { skip: NEEDS_SHARED }, () => {
  it('faq/product_faq.md: front-matter title, heading paths, every question findable', () => {
    const { title, chunks } = chunk('faq/product_faq.md');
    assert.equal(title, 'Product FAQ');
    const storage = chunks.find((c) => c.headingPath.at(-1) === 'Where does Milvus store data?');
    assert.ok(storage, 'a chunk owned by "Where does Milvus store data?"');
    assert.deepEqual(storage.headingPath, ['Product FAQ', 'Where does Milvus store data?']);
    assert.match(storage.text, /^#### {2}Where does Milvus store data\?/);
    assert.match(storage.text, /stored in etcd/);
    // Every question of the FAQ is either a chunk's own heading or a heading line in one.
    const questions = corpusFile('faq/product_faq.md')
      .split('\n')
      .filter((line) => line.startsWith('#### '))
      .map((line) => line.replace(/^#+\s+/, ''));
    assert.ok(questions.length > 25);
    for (const question of questions) assert.ok(chunksWithHeading(chunks, question).length > 0, question);
    // Code spans in headings are kept as written.
    assert.ok(chunks.some((c) => c.headingPath.at(-1) === 'Why do I get fewer than k vectors when searching for `topk` vectors?'));
  });

  it('reference/index.md: nested heading paths, HTML tables kept, split sections respect the cap', () => {
    const { title, chunks } = chunk('reference/index.md');
    assert.equal(title, 'In-memory Index');
    const sq8 = chunks.filter((c) => c.headingPath.at(-1) === 'IVF_SQ8');
    assert.ok(sq8.length >= 1);
    assert.deepEqual(sq8[0]!.headingPath, ['In-memory Index', 'Indexes supported in Milvus', 'IVF_SQ8']);
    assert.ok(sq8[0]!.text.startsWith('### IVF_SQ8'), 'the first piece starts with its heading line');
    assert.ok(
      sq8.some((c) => c.text.includes('| `nlist`   | Number of cluster units | [1, 65536] |')),
      'table row kept verbatim',
    );
    assert.ok(
      chunks.some((c) => c.text.includes('<table id="floating">')),
      'HTML tables stay in the text',
    );
    for (const c of chunks) assert.ok(c.text.length <= LIMITS.maxChars, `chunk of ${c.text.length} chars`);
  });

  it('faq/troubleshooting.md: finds headings indented inside a list', () => {
    const { chunks } = chunk('faq/troubleshooting.md');
    const crash = chunksWithHeading(chunks, '2. etcd pod crash');
    assert.equal(crash.length, 1);
    assert.match(crash[0]!.text, /member_id/);
    // Its short sibling item keeps a chunk of its own too, instead of joining the page intro.
    const pending = chunks.find((c) => c.headingPath.at(-1) === '1. etcd pod pending');
    assert.deepEqual(pending?.headingPath, ['Troubleshooting', 'etcd crash issues', '1. etcd pod pending']);
    assert.match(pending!.text, /StorageClass needs to be preconfigured/);
    assert.doesNotMatch(chunks.find((c) => c.headingPath.length === 1)!.text, /StorageClass/);
    const allPods = chunks.find((c) => c.headingPath.at(-1) === '4. All pods crash');
    assert.deepEqual(allPods?.headingPath, ['Troubleshooting', 'etcd crash issues', '4. All pods crash']);
    // The fenced block inside the list item is kept whole, fences included.
    assert.match(allPods!.text, /```\n {2}kubectl kubectl scale sts <etcd-sts> --replicas=0[\s\S]*# restore the backup data\n {2}```/);
  });

  it('reference/sys_config/configure_log.md: title from the first heading when front matter has none', () => {
    const { title, chunks } = chunk('reference/sys_config/configure_log.md');
    assert.equal(title, 'log-related Configurations');
    assert.ok(chunksWithHeading(chunks, '`log.file.rootPath`').length > 0);
  });

  it('splits a long code-heavy page within the cap, with overlap between prose pieces', () => {
    const path = 'userGuide/search-query-get/single-vector-search.md';
    const { chunks } = chunk(path, { maxChars: 800, overlapChars: 150 });
    for (const c of chunks) assert.ok(c.text.length <= 800, `chunk of ${c.text.length} chars`);
    const pieces = chunks.filter((c) => c.headingPath.at(-1) === 'Grouping search');
    assert.ok(pieces.length > 1, 'a long section is split into several pieces');
    assert.ok(pieces[0]!.text.startsWith('## Grouping search'));
    const overlapping = chunks.some((c, i) => {
      const next = chunks[i + 1];
      if (!next) return false;
      const head = next.text.slice(0, 60);
      return head.length === 60 && !next.text.startsWith('#') && c.text.includes(head);
    });
    assert.ok(overlapping, 'a continuation piece repeats the end of the previous one');
  });
});

describe('chunker on the whole corpus', { skip: NEEDS_SHARED }, () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.md')) files.push(relative(CORPUS_DIR, full));
    }
  };
  walk(CORPUS_DIR);

  it('keeps the cap, every heading, every code block that fits, and every line of text', () => {
    assert.ok(files.length > 200);
    for (const path of files) {
      const source = corpusFile(path);
      const { chunks } = chunkDocument(source, path, LIMITS);
      const all = chunks.map((c) => c.text).join('\n');
      for (const c of chunks) assert.ok(c.text.length <= LIMITS.maxChars, `${path}: chunk of ${c.text.length} chars`);
      // A notebook's `<style scoped>` is no text (site-syntax.ts), nor the "code" its indented CSS parses as.
      const styles = [...source.matchAll(/^<(script|style)\b[\s\S]*?<\/\1>/gim)].map((m) => [m.index, m.index + m[0].length]);
      const styled = (offset: number) => styles.some(([from, to]) => offset >= from! && offset < to!);
      const tree = fromMarkdown(source, {
        extensions: [gfm(), frontmatter(['yaml'])],
        mdastExtensions: [gfmFromMarkdown(), frontmatterFromMarkdown(['yaml'])],
      });
      const visit = (node: import('mdast').Nodes) => {
        const start = node.position?.start.offset ?? 0;
        const end = node.position?.end.offset ?? 0;
        if (node.type === 'heading') {
          const line = source.slice(start, end).replace(/^\s*#+\s*/, '');
          assert.ok(
            chunks.some((c) => headingLinesIn(c.text).some((h) => normalizeHeading(h) === normalizeHeading(line))),
            `${path}: heading "${line}" is a heading line in some chunk`,
          );
        }
        if (node.type === 'code' && end - start <= LIMITS.maxChars - 300 && !styled(start)) {
          assert.ok(
            chunks.some((c) => c.text.includes(source.slice(start, end).trimEnd())),
            `${path}: code block at line ${node.position?.start.line} kept whole`,
          );
        }
        if ('children' in node) for (const child of node.children) visit(child);
      };
      visit(tree);
      const body = source.replace(/^---\n[\s\S]*?\n---\n/, '').replace(/^<(script|style)\b[\s\S]*?<\/\1>/gim, '');
      for (const line of body.split('\n')) {
        const text = line.trim();
        // Markup, `<script>` and `<style>` blocks, and template tags alone on a line (site-syntax.ts), are not text.
        const markupOnly = text.replace(/<[^>]*>|\{\{[^{}]*\}\}|\{%.*?%\}/g, '').trim() === '';
        if (markupOnly || text.length > LIMITS.maxChars / 2) continue;
        assert.ok(all.includes(text), `${path}: line kept: ${text.slice(0, 80)}`);
      }
    }
  });
});

describe('chunker on other formats and edge cases', () => {
  it('a plain-text file whose first line is underlined takes it as its title', () => {
    assert.equal(
      chunkDocument('ZEPHYR OPERATIONS NOTES\n=======================\n\nRestore a backup with zephyr restore.\n', 'notes.txt', LIMITS)
        .title,
      'ZEPHYR OPERATIONS NOTES',
    );
    assert.equal(chunkDocument('Restore a backup with zephyr restore.\n', 'ops/notes.txt', LIMITS).title, 'Notes');
  });

  it('titles fall back to the file name; plain text is split by paragraphs within the cap', () => {
    const paragraphs = Array.from({ length: 30 }, (_, i) => `Paragraph ${i}. ${'Some words here. '.repeat(6)}`);
    const { title, chunks } = chunkDocument(paragraphs.join('\n\n'), 'notes/release-plan.txt', {
      maxChars: 400,
      overlapChars: 80,
    });
    assert.equal(title, 'Release plan', 'named as MkDocs names a page without a title');
    assert.ok(chunks.length > 5);
    for (const c of chunks) {
      assert.ok(c.text.length <= 400);
      assert.deepEqual(c.headingPath, []);
    }
    for (const p of paragraphs)
      assert.ok(
        chunks.some((c) => c.text.includes(p.trim())),
        p,
      );
  });

  it('MDX: drops import/export lines and comments, keeps components and headings', () => {
    const source = [
      "import Tabs from '@theme/Tabs';",
      "import { Note } from '../components';",
      '',
      '# Setup guide',
      '',
      '{/* internal: keep in sync with install.md */}',
      '',
      '## Install',
      '',
      'Run the installer.',
      '',
      '<Note>Needs Docker 20 or later.</Note>',
      '',
      'export const meta = { hidden: true };',
    ].join('\n');
    const { title, chunks } = chunkDocument(source, 'guide/setup.mdx', LIMITS);
    assert.equal(title, 'Setup guide');
    const text = chunks.map((c) => c.text).join('\n');
    assert.doesNotMatch(text, /import|export|internal:/);
    assert.match(text, /<Note>Needs Docker 20 or later.<\/Note>/);
    assert.ok(chunks.some((c) => c.headingPath.join(' > ') === 'Setup guide > Install'));
  });

  it('VitePress and notebook pages: <script> and <style> blocks are not text, an HTML sample in code keeps them', () => {
    const source = [
      '# Troubleshooting',
      '',
      '<script setup>',
      "import graphSvg from '../images/graph.svg?raw'",
      '</script>',
      '<svg-image :svg="graphSvg" />',
      '',
      '## Default import returns an object',
      '',
      'Use the named export instead.',
      '',
      '<script setup lang="ts">',
      '// redirect old links with hash to old version docs',
      "if (typeof window !== 'undefined') {",
      '  location.href = `https://v6.example.dev` + location.pathname',
      '  const fence = `',
      '```',
      '`',
      '}',
      '</script>',
      '',
      '## Index page',
      '',
      'Reference the entry from your index.html:',
      '',
      '```html',
      '<script type="module" src="/src/main.js"></script>',
      '<style scoped>',
      '.app { color: red }',
      '</style>',
      '```',
      '',
      '<div>',
      '<style scoped>',
      '    .dataframe tbody tr th { vertical-align: top; }',
      '</style>',
      '<table><tr><td>Output row</td></tr></table>',
      '</div>',
    ].join('\n');
    const { chunks } = chunkDocument(source, 'guide/troubleshooting.md', { ...LIMITS, minChars: 0 });
    const text = chunks.map((c) => c.text).join('\n');
    for (const gone of ['graphSvg', 'redirect old links', 'location.href', 'vertical-align']) assert.ok(!text.includes(gone), gone);
    assert.match(text, /Use the named export instead\./);
    assert.match(
      text,
      /```html\n<script type="module" src="\/src\/main.js"><\/script>\n<style scoped>\n\.app \{ color: red \}\n<\/style>\n```/,
    );
    assert.match(text, /Output row/);
    assert.deepEqual(
      chunks.map((c) => c.headingPath.at(-1)),
      ['Default import returns an object', 'Index page'],
    );
  });

  it('MDX and Docusaurus .md: code samples keep their export and import lines; ESM, comments and admonition fences go', () => {
    const source = [
      '---',
      'title: Setup',
      '---',
      "import Tabs from '@theme/Tabs';",
      'export const Highlight = ({ children }) => (',
      "  <span style={{ color: 'red' }}>{children}</span>",
      ');',
      '',
      '## Set your API key',
      '',
      '```bash',
      'export ACME_API_KEY=sk-live-your-key',
      'export ACME_REGION=eu-west-1',
      '```',
      '',
      '{/* TODO: document key rotation */}',
      '',
      ':::tip[Keep it secret]',
      'Never commit the key.',
      ':::',
      '',
      '## Python',
      '',
      '```python',
      'import os',
      'from acme import Client',
      '```',
    ].join('\n');
    for (const path of ['setup.mdx', 'setup.md']) {
      const { title, chunks } = chunkDocument(source, path, LIMITS);
      assert.equal(title, 'Setup', path);
      assert.deepEqual(
        chunks.map((c) => c.headingPath.join(' > ')),
        ['Set your API key', 'Python'],
        path,
      );
      const [key, python] = chunks.map((c) => c.text);
      assert.match(key ?? '', /```bash\nexport ACME_API_KEY=sk-live-your-key\nexport ACME_REGION=eu-west-1\n```/, path);
      assert.match(key ?? '', /Keep it secret\s*\nNever commit the key\./, path);
      assert.doesNotMatch(key ?? '', /TODO|:::|@theme|Highlight/, path);
      assert.match(python ?? '', /```python\nimport os\nfrom acme import Client\n```/, path);
    }
  });

  it('prose lines that begin with import or export inside a paragraph stay; nested admonition fences go whole', () => {
    const source = [
      '# Upgrade',
      '',
      'You can',
      'export default settings with the CLI before upgrading, then',
      'import them from "backup.json" on the new machine.',
      '',
      '::::info Outer title',
      ':::tip Inner title',
      'Keep a backup.',
      ':::',
      '::::',
    ].join('\n');
    const text = chunkedText(source, 'upgrade.md');
    assert.match(
      text,
      /You can\nexport default settings with the CLI before upgrading, then\nimport them from "backup\.json" on the new machine\./,
    );
    const lines = text.split('\n').map((line) => line.trimEnd());
    assert.ok(lines.includes('Outer title') && lines.includes('Inner title') && lines.includes('Keep a backup.'));
    assert.doesNotMatch(text, /:/);
  });

  it('MkDocs Material: admonition and tab bodies are text, not indented code; [TOC] and snippet lines go', () => {
    const source = [
      '# Orbit',
      '',
      '[TOC]',
      '',
      '!!! note "Supported platforms"',
      '    Orbit runs on Linux and macOS.',
      '',
      '=== "conda"',
      '',
      '    conda install -c forge orbit',
      '',
      '--8<-- "includes/abbreviations.md"',
      '',
      'Back to normal text.',
    ].join('\n');
    const [chunk] = chunkDocument(source, 'index.md', LIMITS).chunks;
    const lines = (chunk?.text ?? '').split('\n').map((line) => line.trimEnd());
    assert.ok(lines.includes('Supported platforms'));
    assert.ok(lines.includes('Orbit runs on Linux and macOS.'));
    assert.ok(lines.includes('conda'));
    assert.ok(lines.includes('conda install -c forge orbit'));
    assert.doesNotMatch(chunk?.text ?? '', /\[TOC\]|!!!|===|--8<--/);
  });

  it('MkDocs Material: icon shortcodes and attribute lists are decoration; the source-link line is no chunk', () => {
    const source = [
      '[:octicons-file-code-24:][_source]{: .source-link }',
      '',
      '# Tabbed',
      '',
      'Tabs group content. [Get started](start.md){ .md-button } Write `:smile:` for a smile, at 10:30:00.',
      '',
      '## Become a Sponsor :octicons-heart-fill-16:{: .heart-throb}',
      '',
      'Sponsors keep it going.',
    ].join('\n');
    const { title, chunks } = chunkDocument(source, 'tabbed.md', { ...LIMITS, minChars: 0 });
    assert.equal(title, 'Tabbed');
    assert.deepEqual(
      chunks.map((c) => c.headingPath),
      [['Tabbed'], ['Tabbed', 'Become a Sponsor']],
    );
    assert.equal(chunks[1]!.anchor, 'become-a-sponsor');
    const text = chunks.map((c) => c.text).join('\n');
    assert.doesNotMatch(text, /octicons|source-link|md-button|heart-throb/);
    assert.match(text, /\[Get started\]\(start\.md\)/, 'the link stays');
    assert.match(text, /`:smile:` for a smile, at 10:30:00\./, 'code spans and times stay');
  });

  it("Docusaurus and Starlight tabs: the tags go, each tab's label stays as a line of text before its body", () => {
    const source = [
      '## Install',
      '',
      '<Tabs groupId="os">',
      '  <TabItem value="linux">',
      '',
      '```bash',
      'curl -fsSL https://get.example.com | sh',
      '```',
      '',
      '  </TabItem>',
      '  <TabItem value="win" label=\'Windows\' default>',
      '',
      'Run `winget install Acme.Cli`.',
      '',
      '  </TabItem>',
      '</Tabs>',
      '',
      '<Tab title="npm">Tag and text on one line stay as written.</Tab>',
    ].join('\n');
    const [chunk] = chunkDocument(source, 'install.mdx', LIMITS).chunks;
    const lines = (chunk?.text ?? '').split('\n').map((line) => line.trimEnd());
    // No label: Docusaurus shows the tab's value.
    assert.deepEqual(lines.slice(0, 4), ['## Install', '', 'linux', '']);
    assert.ok(lines.includes('Windows'));
    assert.doesNotMatch(chunk?.text ?? '', /<\/?Tabs|TabItem/);
    assert.match(chunk?.text ?? '', /<Tab title="npm">Tag and text/);
  });

  it('a heading of only dashes or stars is a separator, not a section', () => {
    const source = [
      '# Column types',
      '',
      'Intro text. '.repeat(40),
      '',
      '## ---',
      '',
      '## Identity Columns',
      '',
      'Identity columns are generated. '.repeat(40),
      '',
      '### * * *',
      '',
      'More. '.repeat(60),
    ].join('\n');
    const { chunks } = chunkDocument(source, 'column-types.md', LIMITS);
    const paths = chunks.map((c) => c.headingPath);
    assert.ok(
      paths.some((p) => p.join(' › ') === 'Column types › Identity Columns'),
      JSON.stringify(paths),
    );
    assert.ok(!paths.flat().some((h) => !/[\p{L}\p{N}]/u.test(h)), JSON.stringify(paths));
  });

  it('MDX components alone on a line (Mintlify): the tags go, titles stay, and a code group is code, not headings', () => {
    const source = [
      '## Filtering',
      '',
      'Using `$eq` is equivalent to the bare field.',
      '',
      '<CodeGroup>',
      '```python Python',
      '{"field": "value"}',
      '',
      '# is equivalent to',
      '',
      '{"field": {"$eq": "value"}}',
      '```',
      '</CodeGroup>',
      '',
      '<AccordionGroup>',
      '  <Accordion title="Is there a free tier?">',
      'Yes: the first 5 GB are free.',
      '  </Accordion>',
      '</AccordionGroup>',
      '',
      '<Note>',
      'Filters run before the search.',
      '</Note>',
      '<Card title="Quickstart" href="/start" />',
    ].join('\n');
    const { chunks } = chunkDocument(source, 'filter.mdx', LIMITS);
    assert.deepEqual(
      chunks.map((c) => c.headingPath),
      [['Filtering']],
      'the comment in the code group is no heading',
    );
    const text = chunks[0]!.text;
    assert.match(text, /```python Python\n\{"field": "value"\}\n\n# is equivalent to/);
    assert.match(text, /Is there a free tier\?\s+Yes: the first 5 GB are free\./);
    assert.match(text, /Filters run before the search\./);
    assert.match(text, /Quickstart/);
    assert.doesNotMatch(text, /<\/?(?:CodeGroup|AccordionGroup|Accordion|Note|Card)\b/);
  });

  it('a heading that sets its own id: the id is its anchor, and no part of its text, its heading lines or its title', () => {
    const source = [
      '# Projects API \\{#api}',
      '',
      'The projects API. '.repeat(12),
      '',
      '## Archive a project {#archive}',
      '',
      'Archives a project. '.repeat(12),
      '',
      '### Options {: #archive-options .wide }',
      '',
      'Only `notify_owners`. '.repeat(12),
      '',
      '## Use {braces} in templates',
      '',
      'A brace group that is not an id is heading text. '.repeat(5),
    ].join('\n');
    const { title, chunks } = chunkDocument(source, 'api.md', LIMITS);
    assert.equal(title, 'Projects API');
    assert.deepEqual(
      chunks.map((c) => [c.headingPath.at(-1), c.anchor]),
      [
        ['Projects API', 'api'],
        ['Archive a project', 'archive'],
        ['Options', 'archive-options'],
        ['Use {braces} in templates', 'use-braces-in-templates'],
      ],
    );
    assert.deepEqual(headingLinesIn(chunks.map((c) => c.text).join('\n\n')), [
      'Projects API',
      'Archive a project',
      'Options',
      'Use {braces} in templates',
    ]);
  });

  it('a heading repeated on the page gets the anchor GitHub and Docusaurus give it: #fixed, #fixed-1, #fixed-2', () => {
    const versions = ['2.1.0', '2.0.0', '1.9.0'].map(
      (v) =>
        `## ${v}\n\n### Fixed\n\n- A fix of ${v}, described at some length so the section is long enough to be a chunk of its own and then some more.`,
    );
    const { chunks } = chunkDocument(['# Changelog', ...versions].join('\n\n'), 'CHANGELOG.md', LIMITS);
    assert.deepEqual(
      chunks.map((c) => [c.headingPath.join(' › '), c.anchor]),
      [
        ['Changelog › 2.1.0 › Fixed', 'fixed'],
        ['Changelog › 2.0.0 › Fixed', 'fixed-1'],
        ['Changelog › 1.9.0 › Fixed', 'fixed-2'],
      ],
    );
  });

  it('a file whose inline text would take Markdown parsing minutes is read as plain text, at once; long real paragraphs are still Markdown', () => {
    const started = performance.now();
    const stars = chunkDocument(`# Stars\n\n${'*a'.repeat(100_000)}\n`, 'stars.md', LIMITS);
    assert.ok(performance.now() - started < 5_000, `took ${Math.round(performance.now() - started)} ms`);
    assert.equal(
      stars.chunks
        .map((c) => c.text)
        .join('')
        .replaceAll('\n', '').length >= 200_000,
      true,
      'the text is all there',
    );
    const list = Array.from({ length: 400 }, (_, i) => `- item ${i} with **bold** and [a link](https://example.com/${i})`).join('\n');
    const paragraph = 'A long paragraph with *emphasis* and [links](https://example.com). '.repeat(120);
    const long = chunkDocument(`# Notes\n\n${paragraph}\n\n## Changes\n\n${list}\n`, 'notes.md', LIMITS);
    assert.ok(
      long.chunks.some((c) => c.headingPath.join(' › ') === 'Notes › Changes'),
      'parsed as Markdown: headings found',
    );
  });

  it('lines that are only template tags go; a tag inside a line, and tags in code, stay', () => {
    const source = [
      '# Install',
      '',
      '{{tab}}',
      '',
      '{{< tabs >}} {{< tab "Docker" >}}',
      'Download the compose file:',
      '',
      '```bash',
      '{{ doc.content }}',
      'wget https://example.com/releases/v{{var.release_tag}}/compose.yml',
      '```',
      '{{< /tab >}}',
      '{% include "fragments/cpu_support.md" %}',
      '{{fragments/cpu_support.md}}',
      '',
      'The release is v{{var.release}} today.',
    ].join('\n');
    const text = chunkedText(source, 'install.md');
    assert.doesNotMatch(text, /\{\{tab\}\}|\{\{<|\{%|fragments/);
    assert.match(text, /Download the compose file:/);
    assert.match(
      text,
      /```bash\n\{\{ doc\.content \}\}\nwget https:\/\/example\.com\/releases\/v\{\{var\.release_tag\}\}\/compose\.yml\n```/,
    );
    assert.match(text, /The release is v\{\{var\.release\}\} today\./);
  });

  it("titles: TOML front matter (Hugo) is read, and a heading's badges are no part of it", () => {
    const hugo = chunkDocument('+++\ntitle = "Hugo \\"guide\\""\ndraft = false\n+++\n\nIntro.\n\n## Details\n\nText.\n', 'hugo.md', LIMITS);
    assert.equal(hugo.title, 'Hugo "guide"');
    assert.doesNotMatch(hugo.chunks.map((c) => c.text).join('\n'), /\+\+\+|draft/);
    const readme = chunkDocument(
      '# Zephyr [![CI](https://ci.example/badge.svg)](https://ci.example) ![npm](https://npm.example/v.svg)\n\nA job runner.\n',
      'README.md',
      LIMITS,
    );
    assert.equal(readme.title, 'Zephyr');
    const logo = chunkDocument('# ![Zephyr](logo.svg)\n\nA job runner.\n', 'README.md', LIMITS);
    assert.equal(logo.title, 'Zephyr', 'an image alone still names the heading');
  });

  it('a long table is cut between rows, each piece a table of its own: its header first, no rows of the piece before it', () => {
    const rows = Array.from({ length: 120 }, (_, i) => `| E${1001 + i} | Failure number ${i + 1} of the worker. |`);
    const source = ['## Error codes', '', '| Code | Meaning |', '| --- | --- |', ...rows, '', 'Every error is logged.'].join('\n');
    const { chunks } = chunkDocument(source, 'errors.md', LIMITS);
    assert.ok(chunks.length > 2);
    for (const [i, chunk] of chunks.entries()) {
      const lines = chunk.text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
      const firstRow = lines.findIndex((line) => line.startsWith('|'));
      if (firstRow < 0) continue;
      assert.equal(lines[firstRow], '| Code | Meaning |', `piece ${i} starts its table with the header`);
      assert.equal(lines[firstRow + 1], '| --- | --- |', `piece ${i}`);
    }
    const shown = chunks.flatMap((c) => c.text.split('\n')).filter((line) => /^\| E\d+/.test(line));
    assert.deepEqual(shown, rows, 'every row once, in order');
  });

  it('merges a heading-only parent into its first child and keeps both heading lines', () => {
    const source = '# Guide\n\n## Part A\n\n### Step 1\n\nDo the first thing.\n\n### Step 2\n\nDo the second thing.\n';
    const { chunks } = chunkDocument(source, 'guide.md', { ...LIMITS, minChars: 0 });
    assert.deepEqual(
      chunks.map((c) => c.headingPath),
      [
        ['Guide', 'Part A', 'Step 1'],
        ['Guide', 'Part A', 'Step 2'],
      ],
    );
    assert.deepEqual(headingLinesIn(chunks[0]!.text), ['Guide', 'Part A', 'Step 1']);
  });

  it('a short section joins its parent, never its grandparent', () => {
    const source = [
      '# Guide\n\nAn intro that is long enough to stand alone as a chunk of its own, '.repeat(2),
      '## Notes\n\nA short note.',
      '## Known issues\n\n### 1. Pod pending\n\nSet a StorageClass.\n\n### 2. Pod crash\n\nDelete the member file.',
    ].join('\n\n');
    const { chunks } = chunkDocument(source, 'guide.md', LIMITS);
    assert.deepEqual(
      chunks.map((c) => c.headingPath),
      [['Guide'], ['Guide', 'Known issues', '1. Pod pending'], ['Guide', 'Known issues', '2. Pod crash']],
    );
    assert.match(chunks[0]!.text, /A short note\.\n\n## Known issues$/);
  });

  it('text before the first heading (a banner) does not take the heading from the page intro', () => {
    const source =
      'Beta feature.\n\n# Install the thing\n\nThis topic describes how to install it.\n\n## Prerequisites\n\nCheck the requirements.\n';
    const { chunks } = chunkDocument(source, 'install.md', LIMITS);
    assert.deepEqual(
      chunks.map((c) => c.headingPath),
      [['Install the thing']],
    );
    assert.match(chunks[0]!.text, /^Beta feature\.[\s\S]*## Prerequisites/);
  });

  it('the intro of a page without a `# ` heading stays under the page title, not under its first `## ` section', () => {
    const source = [
      '---',
      'title: What About Formatting?',
      '---',
      '',
      'We recommend against using ESLint for formatting.',
      '',
      '## Formatters vs. Linters',
      '',
      'Formatters fix whitespace; linters find logic bugs. '.repeat(5),
      '',
      '## Suggested Usage',
      '',
      'Run a formatter, then ESLint, and leave spacing rules off. '.repeat(5),
    ].join('\n');
    const { title, chunks } = chunkDocument(source, 'users/What_About_Formatting.mdx', LIMITS);
    assert.equal(title, 'What About Formatting?');
    assert.deepEqual(
      chunks.map((c) => c.headingPath),
      [[], ['Suggested Usage']],
    );
    assert.match(chunks[0]!.text, /^We recommend against[\s\S]*## Formatters vs\. Linters\n\nFormatters fix whitespace/);
  });

  it('a banner of markup before the first heading (an HTML title, badges) is no chunk; words written as text stay', () => {
    for (const banner of ['<h1 align="center">Acme</h1>', '[![CI](https://ci.example/badge.svg)](https://ci.example) ![npm](npm.svg)']) {
      const { chunks } = chunkDocument(`${banner}\n\n## Install\n\nRun the installer.\n`, 'install.md', LIMITS);
      assert.deepEqual(
        chunks.map((c) => c.headingPath),
        [['Install']],
        banner,
      );
      assert.doesNotMatch(chunks[0]!.text, /Acme|badge/);
    }
    const { chunks } = chunkDocument('Only a banner-sized page.\n', 'short.md', LIMITS);
    assert.equal(chunks.length, 1, 'a page with no heading keeps its text');
  });

  it('a heading followed only by its HTML anchor joins the section below it instead of being an empty one', () => {
    const source =
      '# API\n\n### Reply\n\n<a id="reply-object"></a>\n\n#### Properties\n\n<a id="properties"></a>\n\n##### .code\n\nThe status code.\n';
    const { chunks } = chunkDocument(source, 'api.md', { ...LIMITS, minChars: 0 });
    assert.deepEqual(
      chunks.map((c) => c.headingPath),
      [['API', 'Reply', 'Properties', '.code']],
    );
  });

  it("a heading inside a block quote is a callout's title: it stays in its section and does not re-parent the page", () => {
    const source =
      '# API\n\n## Logging\n\n#### Errors\n\nErrors can be logged.\n\n> ## Note\n> This describes the default configuration.\n\n' +
      '### `logger.child(bindings)`\n\nCreates a child logger.\n';
    const { chunks } = chunkDocument(source, 'api.md', { ...LIMITS, minChars: 0 });
    assert.deepEqual(
      chunks.map((c) => c.headingPath),
      [
        ['API', 'Logging', 'Errors'],
        ['API', 'Logging', '`logger.child(bindings)`'],
      ],
    );
    assert.match(chunks[0]!.text, /> ## Note\n> This describes the default configuration\./, 'the callout is kept, as written');
  });

  it("a folder's index page with no heading is named after the folder; the top one is Home", () => {
    assert.equal(chunkDocument('Start with the guides below.\n', 'guides/index.md', LIMITS).title, 'Guides');
    assert.equal(chunkDocument('Start with the guides below.\n', 'getting-started/README.md', LIMITS).title, 'Getting started');
    assert.equal(chunkDocument('Start with the guides below.\n', 'index.mdx', LIMITS).title, 'Home');
  });

  it('cuts a code block only when it alone exceeds the cap, re-fencing every piece', () => {
    const code = ['```python', ...Array.from({ length: 80 }, (_, i) => `value_${i} = compute(${i})  # step ${i}`), '```'].join('\n');
    const source = `# Big code\n\nIntro.\n\n${code}\n`;
    const { chunks } = chunkDocument(source, 'big.md', { maxChars: 600, overlapChars: 100 });
    const codePieces = chunks.filter((c) => c.text.includes('value_'));
    assert.ok(codePieces.length > 1);
    for (const piece of codePieces) {
      assert.ok(piece.text.length <= 600);
      assert.match(piece.text, /```python\n[\s\S]*\n```$/);
    }
    const lines = codePieces.flatMap((p) => p.text.split('\n')).filter((l) => l.startsWith('value_'));
    assert.equal(new Set(lines).size, 80, 'every code line kept');
  });

  it("never starts a piece inside code: a list split between items repeats no lines of an item's code block", () => {
    const item = (i: number) =>
      [
        `- Step ${i}: run the job for region ${i}.`,
        '',
        '    ```bash',
        ...Array.from({ length: 6 }, (_, k) => `    job --region ${i} --part ${k}`),
        '    ```',
      ].join('\n');
    const source = `# Jobs\n\n## Running\n\n${Array.from({ length: 8 }, (_, i) => item(i)).join('\n\n')}\n`;
    const { chunks } = chunkDocument(source, 'jobs.md', { maxChars: 600, overlapChars: 300 });
    assert.ok(chunks.length > 2);
    for (const piece of chunks) {
      const fences = piece.text.split('\n').filter((line) => /^\s*```/.test(line));
      assert.ok(fences.length % 2 === 0 && !/^\s*(?:```|job )/.test(piece.text), `a piece starts inside code:\n${piece.text}`);
    }
  });
});

describe('front matter oddities', () => {
  it('YAML warnings (unknown tags, odd directives) never reach stderr; the title still comes through', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const source = '---\n%FOO bar\n---\ntitle: !custom Odd Title\nextra: !!weird value\n---\n\n# Heading\n\nBody text.\n';
      const { title } = chunkDocument(source, 'odd.md', { maxChars: 1600, overlapChars: 200 });
      const tagged = chunkDocument('---\ntitle: !custom Odd Title\n---\n\nBody.\n', 'tagged.md', { maxChars: 1600, overlapChars: 200 });
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, []);
      assert.ok(title);
      assert.equal(tagged.title, 'Odd Title');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('MkDocs pages', () => {
  it('a page without a `# ` heading is titled by its nav label; front matter, then a `# ` heading, win over it', () => {
    const page = '## As a validation parameter\n\nPass `strict=True`.\n';
    assert.equal(chunkDocument(page, 'concepts/strict_mode.md', { ...LIMITS, navTitle: 'Strict Mode' }).title, 'Strict Mode');
    // A page not in the nav keeps its first heading as before.
    assert.equal(chunkDocument(page, 'concepts/strict_mode.md', LIMITS).title, 'As a validation parameter');
    const withH1 = '## Intro\n\nText.\n\n# The Page\n\nMore.\n';
    assert.equal(chunkDocument(withH1, 'page.md', { ...LIMITS, navTitle: 'Nav Label' }).title, 'The Page');
    assert.equal(
      chunkDocument(`---\ntitle: From Front Matter\n---\n\n${page}`, 'page.md', { ...LIMITS, navTitle: 'Nav' }).title,
      'From Front Matter',
    );
  });

  it('PyMdown blocks (`/// name | title` … `///`): the markers go, titles and bodies stay', () => {
    const source = [
      '# JSON',
      '',
      '## Partial JSON Parsing',
      '',
      '/// version-added | v2.7',
      '///',
      '',
      '/// tip | Use a `TypeAdapter`',
      '    type: warning',
      '',
      'The tip body.',
      '///',
      '',
      '/// details | Why partial?',
      'Streams end early.',
      '///',
      '',
      '!!! note',
      '    /// note',
      '    Nested in an admonition.',
      '    ///',
      '',
      'A line of `///` in code stays: `/// tip`.',
    ].join('\n');
    const text = chunkedText(source, 'concepts/json.md').replace(/[ \t]+$/gm, '');
    assert.equal(
      text,
      [
        '# JSON',
        '',
        '## Partial JSON Parsing',
        '',
        'version added v2.7',
        '',
        'Use a `TypeAdapter`',
        '',
        'The tip body.',
        '',
        'Why partial?',
        'Streams end early.',
        '',
        'Nested in an admonition.',
        '',
        'A line of `///` in code stays: `/// tip`.',
      ].join('\n'),
    );
  });

  it('mkdocs-autorefs links read as their text; a label the page defines, and code, stay as written', () => {
    const source = [
      '# Models',
      '',
      'Subclass [`BaseModel`][pydantic.BaseModel] and see [the config docs][pydantic.config.ConfigDict] or [`x`][].',
      'The [spec][spec] is linked; `[a][b]` is code.',
      '',
      '| Type | Notes |',
      '| --- | --- |',
      '| [`UUID`][uuid.UUID] | A UUID. |',
      '',
      '```python',
      'x = data[0][1]  # [not][a link]',
      '```',
      '',
      'A log:',
      '',
      '    E0516 [SERVER][GetCollection][] not found',
      '',
      '[spec]: https://example.org/spec',
    ].join('\n');
    // The line keeps its length (site-syntax.ts): what a link's brackets and label took is padding at its end.
    const text = chunkedText(source, 'concepts/models.md').replace(/[ \t]+$/gm, '');
    assert.match(text, /^Subclass `BaseModel` and see the config docs or `x`\.$/m);
    assert.match(text, /^The \[spec\]\[spec\] is linked; `\[a\]\[b\]` is code\.$/m);
    assert.match(text, /^\| `UUID` \| A UUID\. \|/m);
    assert.match(text, /^ {4}E0516 \[SERVER\]\[GetCollection\]\[\] not found$/m);
    assert.match(text, /^x = data\[0\]\[1\] {2}# \[not\]\[a link\]$/m);
    assert.doesNotMatch(text, /pydantic\.BaseModel|uuid\.UUID/);
  });

  it("a code fence's attributes are not indexed text; its title stays, and the fence still holds its code", () => {
    const source = [
      '# Unions',
      '',
      '```python {title="Old way" test="skip" lint="skip"}',
      '# a comment, not a heading',
      'x = 1',
      '```',
      '',
      '```py hl_lines="3 4" linenums="1"',
      'y = 2',
      '```',
      '',
      '``` {.json .copy}',
      '{}',
      '```',
      '',
      '```js{4}',
      'z()',
      '```',
    ].join('\n');
    const { chunks } = chunkDocument(source, 'concepts/unions.md', LIMITS);
    const text = chunks
      .map((c) => c.text)
      .join('\n')
      .replace(/[ \t]+$/gm, '');
    assert.deepEqual(
      chunks.map((c) => c.headingPath),
      [['Unions']],
    );
    assert.deepEqual(
      text.split('\n').filter((line) => line.startsWith('```')),
      ['```python [Old way]', '```', '```py', '```', '```json', '```', '```js{4}', '```'],
    );
  });
});
