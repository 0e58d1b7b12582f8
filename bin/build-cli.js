#!/usr/bin/env node
// `node bin/build-cli.js`: builds the CLI (src/cli/main.ts and all it imports of src/ and
// adapters/) into dist/ as plain JavaScript, so that bin/askdocs.js can run it without tsx
// (bin/built-cli.js says why). npm packages stay external: they load from node_modules as
// they do under tsx. Optional: without a build, or with one older than any of its inputs,
// bin/askdocs.js runs the sources through tsx as before.
//
// esbuild transforms as tsx does (tsx runs it per file, with keepNames, which logged error
// classes rely on), and splits the code where main.ts imports lazily: `askdocs feedback`
// still loads neither the model nor the Milvus SDK. Output files are named by their content,
// and the manifest that points at them is replaced last, in one rename: a command starting
// meanwhile runs either the old build or the new one, never a mix.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_DIR, digestOf, MANIFEST, MANIFEST_VERSION } from './built-cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = 'src/cli/main.ts';
/** Inputs esbuild does not list but that change its output. */
const EXTRA_INPUTS = ['tsconfig.json', 'bin/build-cli.js'];
/** Where everything bundled lives (npm packages are not bundled). */
const SOURCE_DIRS = ['src', 'adapters'];

/** Builds dist/ from the current sources; returns the manifest written. */
export async function buildCli(root = ROOT) {
  // esbuild comes with tsx (a dependency), whose loader runs on it already.
  const esbuild = createRequire(createRequire(join(root, 'package.json')).resolve('tsx/package.json'))('esbuild');
  const outdir = join(root, BUILD_DIR);
  // Digests taken before esbuild reads the files: one edited meanwhile then differs from
  // its digest, and the build counts as stale rather than as built from the edit.
  const before = new Map();
  for (const dir of SOURCE_DIRS.filter((name) => existsSync(join(root, name)))) {
    for (const file of readdirSync(join(root, dir), { recursive: true })) {
      const path = join(dir, file);
      if (/\.[cm]?[jt]sx?$/.test(path)) before.set(path, digestOf(join(root, path)));
    }
  }
  for (const file of EXTRA_INPUTS) before.set(file, digestOf(join(root, file)));
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [ENTRY],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    // The oldest Node askdocs supports (package.json engines), so a build runs on any of them.
    target: 'node20',
    packages: 'external',
    keepNames: true,
    // Stack traces name the .ts sources, as under tsx (bin/askdocs.js enables source maps as
    // tsx does). The sources stay in the checkout: the maps only point at them.
    sourcemap: 'linked',
    sourcesContent: false,
    outdir,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  mkdirSync(outdir, { recursive: true });
  const outputs = result.outputFiles.map((file) => relative(outdir, file.path));
  for (const file of result.outputFiles) {
    // Named by their content: a file already there is this one, and may be being read by a
    // command running from it. A new one appears whole, by rename.
    if (existsSync(file.path)) continue;
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
  const entry = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint === ENTRY)?.[0];
  if (!entry) throw new Error(`esbuild produced no output for ${ENTRY}`);
  const inputs = {};
  for (const file of [...Object.keys(result.metafile.inputs), ...EXTRA_INPUTS].sort()) {
    const digest = before.get(file);
    if (!digest) throw new Error(`${file} is bundled but is outside ${SOURCE_DIRS.join(' and ')}`);
    inputs[file] = digest;
  }
  const manifest = { version: MANIFEST_VERSION, entry: relative(outdir, join(root, entry)), outputs, inputs };
  const temporary = join(outdir, `${MANIFEST}.${process.pid}.tmp`);
  writeFileSync(temporary, `${JSON.stringify(manifest, null, 1)}\n`);
  renameSync(temporary, join(outdir, MANIFEST));
  // Files of earlier builds. A command still running from one of them may yet import a lazy
  // chunk of it; removed, that import fails, as tsx's would read sources changed meanwhile.
  const kept = new Set([...outputs, MANIFEST]);
  for (const name of readdirSync(outdir)) if (!kept.has(name) && !name.endsWith('.tmp')) rmSync(join(outdir, name), { force: true });
  return manifest;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const manifest = await buildCli();
  process.stderr.write(
    `askdocs build: ${BUILD_DIR}/${manifest.entry} and ${manifest.outputs.length - 1} more files from ${Object.keys(manifest.inputs).length} inputs\n`,
  );
}
