/**
 * VitePress snippet imports (`<<< ./file.yaml#region [title]`, `<<< @/path`): the code a page
 * shows is indexed in place as a fenced block, read only from inside the docs folder; a line
 * whose file is not read that way is not indexed as text.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chunkDocument } from '../src/ingest/chunker.ts';
import { resolveSnippets, snippetReader, snippetsOf } from '../src/ingest/snippets.ts';
import { ingestToMemory } from './support/ingest-to-memory.ts';

const WORKFLOW = [
  '# Imported in static-deploy.md',
  '#',
  '#region content',
  '# Simple workflow for deploying static content to GitHub Pages',
  'name: Deploy static content to Pages',
  'on:',
  '  push:',
  "    branches: ['main']",
  '#endregion content',
  '# renovate: keep in sync',
].join('\n');

const PAGE = [
  '# Deploying a Static Site',
  '',
  '## GitHub Pages',
  '',
  '1. **Create a Workflow**',
  '',
  '   Here is a sample workflow:',
  '',
  '   <<< ./static-deploy-github-pages.yaml#content [.github/workflows/deploy.yml]',
  '',
  '## Plugin',
  '',
  '<<< @/snippets/plugin.ts{2 ts:line-numbers}',
  '',
  '```md',
  '<<< ./static-deploy-github-pages.yaml',
  '```',
  '',
].join('\n');

const files: Record<string, string> = {
  'guide/static-deploy-github-pages.yaml': `${WORKFLOW}\n`,
  'snippets/plugin.ts': "// #region setup\nexport default function plugin() {\n  return { name: 'acme' };\n}\n// #endregion setup\n",
};
const textOf = (path: string) => files[path];

describe('VitePress snippet imports', () => {
  it('put the file (or its region) in place as a fenced block, titled, indented as the line; never inside fenced code', () => {
    assert.deepEqual(snippetsOf(PAGE, 'guide/static-deploy.md'), ['guide/static-deploy-github-pages.yaml', 'snippets/plugin.ts']);
    const resolved = resolveSnippets(PAGE, 'guide/static-deploy.md', textOf);
    assert.ok(
      resolved.includes(
        [
          '   ```yaml [.github/workflows/deploy.yml]',
          '   # Simple workflow for deploying static content to GitHub Pages',
          '   name: Deploy static content to Pages',
          '   on:',
          '     push:',
          "       branches: ['main']",
          '   ```',
        ].join('\n'),
      ),
      resolved,
    );
    assert.ok(!resolved.includes('renovate'), 'only the region');
    assert.ok(resolved.includes("```ts\nexport default function plugin() {\n  return { name: 'acme' };\n}\n```"), resolved);
    assert.ok(resolved.includes('```md\n<<< ./static-deploy-github-pages.yaml\n```'), 'a sample of the syntax stays');
  });

  it('name no file outside the docs folder, in a hidden or dependency folder; a missing file or region leaves the line', () => {
    for (const line of ['<<< ../../etc/passwd', '<<< @/../secrets.ts', '<<< ./.env', '<<< @/node_modules/x/index.js']) {
      assert.deepEqual(snippetsOf(`${line}\n`, 'guide/page.md'), [], line);
    }
    for (const line of ['<<< ./missing.ts', '<<< ./static-deploy-github-pages.yaml#nope']) {
      assert.equal(resolveSnippets(`${line}\n`, 'guide/page.md', textOf), `${line}\n`, line);
    }
  });

  it('a line left as written is no text of the page', () => {
    const { chunks } = chunkDocument('# Page\n\nThe config:\n\n<<< ./missing.yaml#content [config.yaml]\n', 'page.md', {
      maxChars: 1600,
      overlapChars: 200,
    });
    assert.equal(chunks.map((c) => c.text).join('\n'), '# Page\n\nThe config:');
  });
});

describe('ingesting pages with snippet imports', () => {
  let docs: string;
  let outside: string;

  before(async () => {
    [docs, outside] = await Promise.all([mkdtemp(join(tmpdir(), 'askdocs-snippets-')), mkdtemp(join(tmpdir(), 'askdocs-outside-'))]);
    await writeFile(join(outside, 'secret.ts'), 'export const token = "sk-live-do-not-index";\n');
    const tree: Record<string, string> = {
      ...files,
      'guide/static-deploy.md': PAGE,
      'guide/leak.md': '# Leak\n\nThe token:\n\n<<< ./secret-link.ts\n\n<<< ./image.png\n',
    };
    for (const [path, text] of Object.entries(tree)) {
      await mkdir(dirname(join(docs, path)), { recursive: true });
      await writeFile(join(docs, path), text);
    }
    await symlink(join(outside, 'secret.ts'), join(docs, 'guide/secret-link.ts'));
    await writeFile(join(docs, 'guide/image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x1a, 0x0a]));
  });

  after(() => Promise.all([rm(docs, { recursive: true, force: true }), rm(outside, { recursive: true, force: true })]));

  it('reads a snippet only as a text file inside the docs folder', async () => {
    const paths = ['guide/static-deploy-github-pages.yaml', 'guide/secret-link.ts', 'guide/image.png', 'guide/gone.ts'];
    const read = await snippetReader(docs, 1e6)(paths);
    assert.deepEqual(
      paths.filter((path) => read(path) !== undefined),
      ['guide/static-deploy-github-pages.yaml'],
    );
  });

  it('stores the page with the workflow in its GitHub Pages section, and no snippet file as a page', async () => {
    const rows = await ingestToMemory(docs);
    assert.deepEqual([...new Set(rows.map((row) => row.path))].sort(), ['guide/leak.md', 'guide/static-deploy.md']);
    const github = rows.find((row) => row.headingPath.at(-1) === 'GitHub Pages');
    assert.match(github?.text ?? '', /```yaml \[\.github\/workflows\/deploy\.yml\]\n {3}# Simple workflow/);
    assert.match(github?.searchText ?? '', /name: Deploy static content to Pages/);
    const leak = rows.filter((row) => row.path === 'guide/leak.md');
    assert.equal(leak.map((row) => row.text).join('\n'), '# Leak\n\nThe token:');
  });
});
