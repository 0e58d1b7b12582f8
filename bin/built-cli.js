// Whether dist/ holds a build of the CLI made from the sources as they are now (bin/build-cli.js
// makes it). Running that build skips tsx, which costs about 1.9 s of CPU per command: its
// loader thread sees every module, and every module of the SDKs gets its source map parsed.
// Checked on every start, so it only reads and hashes files (about 5 ms for the ~170 inputs).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The build's folder: directly under the package root, where src/paths.ts finds the root from import.meta.url. */
export const BUILD_DIR = 'dist';
export const MANIFEST = 'askdocs-cli.json';
/** Bumped when the manifest's shape changes: a manifest of another version is stale. */
export const MANIFEST_VERSION = 1;

/** A file's content digest, as the manifest records it. */
export function digestOf(file) {
  return createHash('sha1').update(readFileSync(file)).digest('hex');
}

/**
 * The file URL of the built entry when dist/ holds a build of exactly the current inputs
 * (every source file it bundled, the tsconfig and the build script, byte for byte) and all
 * of its output files; otherwise undefined, and the caller runs the sources through tsx.
 */
export function builtEntry(root) {
  const dir = join(root, BUILD_DIR);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
  } catch {
    return undefined;
  }
  if (manifest?.version !== MANIFEST_VERSION || typeof manifest.entry !== 'string') return undefined;
  try {
    for (const [file, digest] of Object.entries(manifest.inputs ?? {})) if (digestOf(join(root, file)) !== digest) return undefined;
  } catch {
    return undefined; // an input is gone
  }
  if (![manifest.entry, ...(manifest.outputs ?? [])].every((file) => existsSync(join(dir, file)))) return undefined;
  return pathToFileURL(join(dir, manifest.entry)).href;
}
