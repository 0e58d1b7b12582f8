import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The askdocs checkout / package root: where the venv and bundled model live by default. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
