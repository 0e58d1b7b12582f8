/**
 * bin/askdocs.js runs the CLI built into dist/ (bin/build-cli.js) when it was built from the
 * sources as they are, and the sources through tsx otherwise: the same CLI either way.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILD_DIR, builtEntry, MANIFEST } from '../bin/built-cli.js';
import { PACKAGE_ROOT } from '../src/paths.ts';
import { runCli } from './support/retrieval-fixture.ts';

interface Manifest {
  entry: string;
  outputs: string[];
  inputs: Record<string, string>;
}

describe('the CLI build (bin/build-cli.js)', () => {
  // A package of its own with a two-line CLI: the real dist/ stays as it is while other test files run it.
  let root: string;
  let build: (root: string) => Promise<Manifest>;
  const run = (args: string[] = []) => {
    const entry = builtEntry(root);
    assert.ok(entry, 'the build is fresh');
    const child = spawnSync(process.execPath, [fileURLToPath(entry), ...args], { cwd: root, encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    return child.stdout;
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'askdocs-cli-build-'));
    await mkdir(join(root, 'bin'));
    await mkdir(join(root, 'src', 'cli'), { recursive: true });
    for (const file of ['bin/build-cli.js', 'bin/built-cli.js', 'tsconfig.json'])
      await copyFile(join(PACKAGE_ROOT, file), join(root, file));
    await writeFile(join(root, 'package.json'), '{ "type": "module" }\n');
    await symlink(join(PACKAGE_ROOT, 'node_modules'), join(root, 'node_modules'));
    await writeFile(join(root, 'src', 'greeting.ts'), "export const greeting = (who: string): string => 'hello ' + who;\n");
    await writeFile(join(root, 'src', 'lazy.ts'), "export class Lazy {}\nexport const lazy = (): string => 'lazy';\n");
    await writeFile(
      join(root, 'src', 'cli', 'main.ts'),
      [
        "import { greeting } from '../greeting.ts';",
        "console.log(greeting('eager'));",
        "if (process.argv[2] === 'lazy') {",
        "  const { Lazy, lazy } = await import('../lazy.ts');",
        '  console.log(lazy(), Lazy.name);',
        '}',
        '',
      ].join('\n'),
    );
    ({ buildCli: build } = await import(pathToFileURL(join(root, 'bin', 'build-cli.js')).href));
  });
  after(() => root && rm(root, { recursive: true, force: true }));

  it('builds the entry, what it imports lazily as a chunk of its own, and a manifest of every input', async () => {
    const manifest = await build(root);
    assert.deepEqual(Object.keys(manifest.inputs).sort(), [
      'bin/build-cli.js',
      'src/cli/main.ts',
      'src/greeting.ts',
      'src/lazy.ts',
      'tsconfig.json',
    ]);
    assert.equal(run(), 'hello eager\n');
    assert.equal(run(['lazy']), 'hello eager\nlazy Lazy\n');
    const entry = await readFile(join(root, BUILD_DIR, manifest.entry), 'utf8');
    assert.doesNotMatch(entry, /'lazy'/, 'the lazily imported module is not in the entry');
  });

  it('is stale once an input changes or an output is gone, and fresh again with the same content', async () => {
    const manifest = await build(root);
    const lazy = join(root, 'src', 'lazy.ts');
    const before = await readFile(lazy, 'utf8');
    await writeFile(lazy, before.replace("'lazy'", "'changed'"));
    assert.equal(builtEntry(root), undefined, 'a changed input');
    await writeFile(lazy, before);
    assert.ok(builtEntry(root), 'the same content again (only its time changed)');
    const chunk = manifest.outputs.find((file) => file !== manifest.entry && file.endsWith('.js'));
    assert.ok(chunk);
    const chunkText = await readFile(join(root, BUILD_DIR, chunk));
    await unlink(join(root, BUILD_DIR, chunk));
    assert.equal(builtEntry(root), undefined, 'a missing output');
    await writeFile(join(root, BUILD_DIR, chunk), chunkText);
    await unlink(join(root, 'src', 'greeting.ts'));
    assert.equal(builtEntry(root), undefined, 'a missing input');
  });

  it('replaces an earlier build, leaving none of its files behind', async () => {
    await writeFile(join(root, 'src', 'greeting.ts'), "export const greeting = (who: string): string => 'hi ' + who;\n");
    const manifest = await build(root);
    assert.equal(run(['lazy']), 'hi eager\nlazy Lazy\n');
    assert.deepEqual((await readdir(join(root, BUILD_DIR))).sort(), [...manifest.outputs, MANIFEST].sort());
  });
});

describe('bin/askdocs.js, from the build and from the sources (ASKDOCS_RUN_SOURCES=1)', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'askdocs-cli-launcher-'));
  });
  after(() => work && rm(work, { recursive: true, force: true }));

  /** Runs the command both ways; they must agree on every byte and the exit code. */
  async function same(args: string[], env: Record<string, string> = {}) {
    const [built, sources] = await Promise.all([
      runCli(args, env, { cwd: work }),
      runCli(args, { ...env, ASKDOCS_RUN_SOURCES: '1' }, { cwd: work }),
    ]);
    assert.deepEqual(built, sources);
    return built;
  }

  it('prints the same help, version and usage errors', async (t) => {
    if (!builtEntry(PACKAGE_ROOT)) t.diagnostic('dist/ is not built from these sources: both runs went through tsx');
    assert.match((await same(['--help'])).stdout, /^Usage: askdocs/);
    assert.equal((await same(['--version'])).stdout, '0.1.0\n');
    assert.match((await same(['ask', '--help'])).stdout, /^Usage: askdocs ask/);
    assert.equal((await same(['nope'])).code, 1);
  });

  it('fails the same way on a bad setting and on an empty data folder (which loads the lazily imported runtime)', async () => {
    assert.equal((await same(['ask', 'x'], { MILVUS_URI: 'ftp://milvus.internal:19530' })).code, 2);
    const empty = join(work, 'empty');
    const run = await same(['ask', 'what is milvus?'], { MILVUS_URI: empty });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Nothing is ingested yet/);
  });

  it('names the TypeScript sources in stack traces, as tsx does', async () => {
    const run = await runCli(['ask', 'what is milvus?'], { MILVUS_URI: join(work, 'empty'), LOG_LEVEL: 'debug' }, { cwd: work });
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`${PACKAGE_ROOT}/src/milvus/lite-server\\.ts:\\d+`));
  });
});
