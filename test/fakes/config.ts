/**
 * Settings for tests and benchmarks: a Config that never reads the developer's .env,
 * and where the shared Milvus docs corpus and eval set are.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Config, loadConfig } from '../../src/config.ts';
import { PACKAGE_ROOT } from '../../src/paths.ts';

/** A Config built from defaults plus `overrides` (env-style names), ignoring .env and the real environment. */
export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', ...overrides } as NodeJS.ProcessEnv, { envFile: false });
}

/** The Milvus 2.4 docs corpus beside the project (read-only; never copied into the repo). */
export const CORPUS_DIR = process.env.ASKDOCS_CORPUS ?? resolve(PACKAGE_ROOT, '../shared/corpus/milvus-docs-2.4.x');
export const EVAL_SET = process.env.ASKDOCS_EVAL_SET ?? resolve(PACKAGE_ROOT, '../shared/eval/dev.jsonl');

/**
 * `describe(..., { skip: NEEDS_SHARED })`: tests built on the corpus or the eval set
 * are skipped, with this reason, in a checkout that has no ../shared beside it.
 */
export const NEEDS_SHARED: string | false =
  existsSync(CORPUS_DIR) && existsSync(EVAL_SET)
    ? false
    : `needs the Milvus docs corpus and eval set beside the checkout (../shared), or ASKDOCS_CORPUS and ASKDOCS_EVAL_SET`;
