/**
 * `askdocs ask` on a team's own docs, as an outside tester adopted it (their report's
 * `mini/` folder): what each source is called and where its link goes when the docs have
 * a changelog, headings that set their own ids, and Docusaurus tabs. Child processes of
 * bin/askdocs.js on the embedded Milvus Lite engine with the real embedding model, and the
 * fake LLM server for the prompt; the corpus is not needed.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FakeLlm, startFakeLlm } from './fakes/llm-server.ts';
import { runCli } from './support/retrieval-fixture.ts';

const BASE_URL = 'https://docs.example.com/';

const PAGES: Record<string, string> = {
  // Keep a Changelog: every version has its own `### Added` and `### Fixed`.
  'CHANGELOG.md': [
    '# Changelog',
    '',
    '## [2.1.0] - 2024-09-02',
    '',
    '### Added',
    '',
    '- The `export` command writes a CSV of every widget.',
    '',
    '### Fixed',
    '',
    '- `acme deploy` no longer hangs when the network drops.',
    '',
    '## [2.0.0] - 2024-06-10',
    '',
    '### Removed',
    '',
    '- The `--legacy-auth` flag of `acme login`; use `acme login --sso` instead.',
    '',
    '### Fixed',
    '',
    '- Dark mode colors in bar charts.',
    '',
    '## [1.9.0] - 2024-03-15',
    '',
    '### Added',
    '',
    '- The `acme projects transfer` command.',
    '',
    '### Fixed',
    '',
    '- A crash when a widget had no query.',
    '',
  ].join('\n'),
  // A heading that sets its own id (Docusaurus, MkDocs attr_list, Pandoc).
  'api.md': [
    '---',
    'title: Projects API',
    '---',
    '',
    '## Archive a project {#archive}',
    '',
    '`POST /projects/{id}/archive` archives a project. The optional `notify_owners` boolean (default `true`) emails the project owners. Archived projects can be restored for 30 days.',
    '',
  ].join('\n'),
  // Docusaurus tabs: the tab's label is all that says which OS a command is for.
  'install.mdx': [
    '---',
    'title: Install the CLI',
    '---',
    '',
    "import Tabs from '@theme/Tabs';",
    "import TabItem from '@theme/TabItem';",
    '',
    '## Install',
    '',
    '<Tabs>',
    '  <TabItem value="mac" label="macOS">',
    '',
    '```bash',
    'brew install acme/tap/acme-cli',
    '```',
    '',
    '  </TabItem>',
    '  <TabItem value="win" label="Windows">',
    '',
    '```powershell',
    'winget install Acme.Cli',
    '```',
    '',
    '  </TabItem>',
    '</Tabs>',
    '',
  ].join('\n'),
};

describe('askdocs ask on a team’s own docs: source labels and links (CLI, embedded Milvus Lite)', () => {
  let work: string;
  let env: Record<string, string>;
  let llm: FakeLlm;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'askdocs-own-docs-'));
    const docs = join(work, 'docs');
    await mkdir(docs);
    for (const [path, text] of Object.entries(PAGES)) await writeFile(join(docs, path), text);
    env = { MILVUS_URI: join(work, 'milvus'), FEEDBACK_DB: join(work, 'feedback.sqlite') };
    const ingest = await runCli(['ingest', docs, '--base-url', BASE_URL], env, { cwd: work });
    assert.equal(ingest.code, 0, ingest.stderr);
    llm = await startFakeLlm();
  });
  after(async () => {
    await llm?.close();
    await rm(work, { recursive: true, force: true });
  });

  /** The extractive answer's text and its "Sources" lines. */
  async function ask(question: string): Promise<{ answer: string; sources: string[] }> {
    const run = await runCli(['ask', question], env, { cwd: work });
    assert.equal(run.code, 0, run.stderr);
    const [answer = '', sources = ''] = run.stdout.split(/\n(?:Sources|Closest pages)\n/);
    return { answer, sources: sources.trim().split('\n') };
  }

  it('a changelog: each source names its version, and links to its own section, numbered as GitHub and Docusaurus number a repeated heading', async () => {
    // Was "Changelog › Fixed — …/CHANGELOG#fixed" for every version's fixes: the newest one's section.
    const fixed = await ask('Which release fixed the dark mode colors in bar charts?');
    assert.match(fixed.answer, /^\*\*Changelog › \[2\.0\.0\] - 2024-06-10 › Fixed\*\* \[1\]\n- Dark mode colors in bar charts\./);
    assert.equal(fixed.sources[0], '[1] Changelog › [2.0.0] - 2024-06-10 › Fixed — https://docs.example.com/CHANGELOG#fixed-1');

    const crash = await ask('Which release fixed the crash when a widget had no query?');
    assert.equal(crash.sources[0], '[1] Changelog › [1.9.0] - 2024-03-15 › Fixed — https://docs.example.com/CHANGELOG#fixed-2');

    // The first of them keeps the plain anchor; a heading that appears once keeps its own.
    const hang = await ask('Does acme deploy still hang when the network drops?');
    assert.equal(hang.sources[0], '[1] Changelog › [2.1.0] - 2024-09-02 › Fixed — https://docs.example.com/CHANGELOG#fixed');
    const removed = await ask('When was the --legacy-auth flag removed?');
    assert.equal(removed.sources[0], '[1] Changelog › [2.0.0] - 2024-06-10 › Removed — https://docs.example.com/CHANGELOG#removed');
  });

  it('the LLM is told which version each source is (its prompt titled every one "Changelog › Fixed")', async () => {
    llm.replyNext('Dark mode colors in bar charts [1].');
    const run = await runCli(
      ['ask', 'What was fixed in 2.0.0?'],
      { ...env, LLM_BASE_URL: llm.url, DEEPSEEK_API_KEY: 'test' },
      { cwd: work },
    );
    assert.equal(run.code, 0, run.stderr);
    const system = llm.lastChatRequest()?.messages?.[0]?.content ?? '';
    const titles = [...system.matchAll(/<source n="\d+" title="([^"]*)" link="([^"]*)">/g)].map(([, title, link]) => `${title} ${link}`);
    assert.ok(titles.includes('Changelog › [2.0.0] - 2024-06-10 › Fixed https://docs.example.com/CHANGELOG#fixed-1'), titles.join('\n'));
    assert.ok(titles.includes('Changelog › [1.9.0] - 2024-03-15 › Fixed https://docs.example.com/CHANGELOG#fixed-2'), titles.join('\n'));
  });

  it("a heading's own id is its anchor, and no part of its label (was 'Archive a project {#archive}' at #archive-a-project-archive)", async () => {
    const archive = await ask('How do I archive a project?');
    assert.match(archive.answer, /^\*\*Projects API › Archive a project\*\* \[1\]\n`POST \/projects\/\{id\}\/archive`/);
    assert.equal(archive.sources[0], '[1] Projects API › Archive a project — https://docs.example.com/api#archive');
  });

  it('an eval item names the section by its heading as the page shows it (was scored a miss with that very section on top)', async () => {
    const set = join(work, 'eval.jsonl');
    await writeFile(
      set,
      `${JSON.stringify({ id: 'archive', kind: 'single', question: 'how do I archive a project', expected: [{ path: 'api.md', heading: 'Archive a project' }] })}\n`,
    );
    const run = await runCli(['eval', '--set', set, '--json'], env, { cwd: work });
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { by_kind: Record<string, { recall_at_k: number }> };
    assert.equal(report.by_kind.single?.recall_at_k, 1, run.stdout);
  });

  it("a Docusaurus tab's label stays with its commands: the Windows question is answered, and says which command is Windows'", async () => {
    // Was declined ("The docs don't cover this"), the label gone with its <TabItem> tag.
    const windows = await ask('How do I install the CLI on Windows?');
    assert.match(windows.answer, /^\*\*Install the CLI › Install\*\* \[1\]\n/);
    assert.match(windows.answer, /\nWindows\n+```powershell\nwinget install Acme\.Cli\n```/);
    assert.match(windows.answer, /\nmacOS\n+```bash\nbrew install/);
    assert.doesNotMatch(windows.answer, /<\/?Tab/);
  });
});
