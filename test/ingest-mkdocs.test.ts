/**
 * A MkDocs site's pages are titled by their labels in mkdocs.yml's `nav`, as the site shows
 * them: most MkDocs pages have no `# ` heading, and their first `## ` heading was taken for
 * the page's title in every source label.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ingestToMemory, type StoredRow } from './support/ingest-to-memory.ts';

const MKDOCS_YML = [
  'site_name: Pydantic Validation',
  'theme:',
  '  name: material',
  'nav:',
  '  - Get Started:',
  '      - Welcome to Pydantic: index.md',
  '      - install.md',
  '  - Concepts:',
  '      - Strict Mode: concepts/strict_mode.md',
  '      - Models: concepts/models.md',
  '  - Integrations:',
  '      - Dev Tools:',
  '          - Mypy: integrations/mypy.md',
  '  - Blog: https://blog.pydantic.dev/',
  'markdown_extensions:',
  '  - pymdownx.emoji:',
  '      emoji_index: !!python/name:material.extensions.emoji.twemoji',
  'plugins:',
  '  - llmstxt:',
  '      enabled: !ENV [CI, false]',
  '',
].join('\n');

const PAGES: Record<string, string> = {
  'index.md': '# Pydantic\n\nData validation.\n',
  'install.md': '## Installing with pip\n\nRun pip install pydantic.\n',
  'concepts/strict_mode.md': '## As a validation parameter\n\nPass strict=True.\n\n## On a field\n\nUse Field(strict=True).\n',
  'concepts/models.md': '---\ntitle: Models and Fields\n---\n\n## Basic model usage\n\nSubclass BaseModel.\n',
  'integrations/mypy.md': '## Enabling the Plugin\n\nAdd it to mypy.ini.\n',
  'extra/unlisted.md': '## Not in the nav\n\nStill indexed.\n',
};

async function ingestTitles(dir: string): Promise<{ titles: Record<string, string>; rows: StoredRow[]; warnings: string[] }> {
  const warnings: string[] = [];
  const logger = { debug: () => {}, info: () => {}, warn: (_: unknown, message: string) => void warnings.push(message) } as never;
  const rows = await ingestToMemory(dir, logger);
  return { titles: Object.fromEntries(rows.map((row) => [row.path, row.title])), rows, warnings };
}

describe('askdocs ingest: MkDocs nav titles', () => {
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'askdocs-ingest-mkdocs-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function site(name: string, config: string | undefined, docsFolder = 'docs', configName = 'mkdocs.yml'): Promise<string> {
    const root = join(work, name);
    await mkdir(root, { recursive: true });
    if (config !== undefined) await writeFile(join(root, configName), config);
    for (const [path, text] of Object.entries(PAGES)) {
      await mkdir(dirname(join(root, docsFolder, path)), { recursive: true });
      await writeFile(join(root, docsFolder, path), text);
    }
    return root;
  }

  it('titles each page in the nav by its label; a `# ` heading and front matter win; other pages keep their first heading', async () => {
    const root = await site('pydantic', MKDOCS_YML);
    const { titles, rows, warnings } = await ingestTitles(join(root, 'docs'));
    assert.deepEqual(titles, {
      'concepts/models.md': 'Models and Fields',
      'concepts/strict_mode.md': 'Strict Mode',
      'extra/unlisted.md': 'Not in the nav',
      'index.md': 'Pydantic',
      'install.md': 'Installing with pip',
      'integrations/mypy.md': 'Mypy',
    });
    // The title starts what is embedded and searched.
    assert.match(rows.find((row) => row.path === 'integrations/mypy.md')?.searchText ?? '', /^Mypy > Enabling the Plugin\n/);
    assert.deepEqual(warnings, []);
  });

  it('reads mkdocs.yaml, a docs_dir of its own, and a project folder given with the config inside it', async () => {
    const custom = await site('custom', `docs_dir: content\n${MKDOCS_YML}`, 'content', 'mkdocs.yaml');
    assert.equal((await ingestTitles(join(custom, 'content'))).titles['concepts/strict_mode.md'], 'Strict Mode');
    const project = await site('project', MKDOCS_YML);
    assert.equal((await ingestTitles(project)).titles['docs/concepts/strict_mode.md'], 'Strict Mode');
  });

  it('a config for another folder is not used', async () => {
    const other = await site('other', `docs_dir: elsewhere\n${MKDOCS_YML}`);
    assert.equal((await ingestTitles(join(other, 'docs'))).titles['concepts/strict_mode.md'], 'As a validation parameter');
  });

  it('a broken mkdocs.yml is warned about and ingest goes on with heading titles', async () => {
    const broken = await site('broken', 'nav: [\n  - Strict Mode: concepts/strict_mode.md\n');
    const { titles, warnings } = await ingestTitles(join(broken, 'docs'));
    assert.equal(titles['concepts/strict_mode.md'], 'As a validation parameter');
    assert.equal(Object.keys(titles).length, Object.keys(PAGES).length);
    assert.deepEqual(warnings, ['ingest: MkDocs config not read; pages are titled by their headings']);
  });
});
