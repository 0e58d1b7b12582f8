#!/usr/bin/env node
// Thin launcher: runs the TypeScript CLI through tsx so `npx askdocs` works from a
// checkout without a build step. Where bin/build-cli.js has built the CLI from the sources
// as they are now, it runs that build instead: the same code, without tsx's cost at every
// start (bin/built-cli.js). ASKDOCS_RUN_SOURCES=1 runs the sources whatever is built.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtEntry } from './built-cli.js';

const built = process.env.ASKDOCS_RUN_SOURCES === '1' ? undefined : builtEntry(resolve(dirname(fileURLToPath(import.meta.url)), '..'));
if (built) {
  // As tsx does: stack traces (in debug logs, or a crash) then name the .ts sources.
  process.setSourceMapsEnabled(true);
  await import(built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
