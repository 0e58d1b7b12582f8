/**
 * Page titles from a MkDocs site's navigation. Most MkDocs pages have no `# ` heading: the
 * title a reader sees (in the sidebar, the browser tab, the page's header) is the page's label
 * in mkdocs.yml's `nav` (`- Strict Mode: concepts/strict_mode.md`). Without it askdocs titled
 * such a page by its first heading of any depth ("As a validation parameter").
 *
 * The config is found beside the ingested folder (its parent holds `mkdocs.yml` and the folder
 * is its `docs_dir`, the usual layout) or in it (the project's root was given: the pages are
 * under its `docs_dir`). mkdocs.yml holds Python tags (`!!python/name:…`, `!ENV [CI, false]`,
 * `!relative`): the yaml package reads an unknown tag's value as plain YAML, which is all the
 * `nav` needs. A config that cannot be read is warned about and ingest goes on without it.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Logger } from '../logger.ts';

const CONFIG_NAMES = ['mkdocs.yml', 'mkdocs.yaml'];

/**
 * The nav label of each page listed in the MkDocs config that serves `dir`, keyed by the
 * page's path relative to `dir` (`/` separators). Empty when there is no such config.
 */
export async function mkdocsNavTitles(dir: string, logger?: Pick<Logger, 'warn'>): Promise<Map<string, string>> {
  const root = resolve(dir);
  for (const folder of [root, dirname(root)]) {
    for (const name of CONFIG_NAMES) {
      const configPath = join(folder, name);
      let text: string;
      try {
        text = await readFile(configPath, 'utf8');
      } catch {
        continue;
      }
      try {
        const titles = navTitlesOf(text, folder, root);
        if (titles) return titles;
      } catch (error) {
        logger?.warn(
          { config: configPath, err: error instanceof Error ? error.message : String(error) },
          'ingest: MkDocs config not read; pages are titled by their headings',
        );
      }
    }
  }
  return new Map();
}

/**
 * The titles a config gives, or undefined when its `docs_dir` is neither `root` nor inside it
 * (a mkdocs.yml for another folder). Throws when the text is not YAML.
 */
export function navTitlesOf(configText: string, configFolder: string, root: string): Map<string, string> | undefined {
  // uniqueKeys off: MkDocs (PyYAML) takes the last of repeated keys, and so does this.
  const config: unknown = parseYaml(configText, { logLevel: 'error', uniqueKeys: false });
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new Error('not a YAML mapping');
  const { docs_dir: docsDir, nav } = config as Record<string, unknown>;
  const docs = resolve(configFolder, typeof docsDir === 'string' && docsDir.trim() !== '' ? docsDir : 'docs');
  const under = relative(root, docs);
  if (under.startsWith('..') || resolve(root, under) !== docs) return undefined;
  const prefix = under === '' ? '' : `${under.split(sep).join('/')}/`;
  const titles = new Map<string, string>();
  collect(nav, titles, prefix);
  return titles;
}

/** Walks nav entries: `Label: page.md`, `Section: [entries]`, a bare `page.md`, `Label: https://…`. */
function collect(entries: unknown, titles: Map<string, string>, prefix: string): void {
  if (!Array.isArray(entries)) return;
  for (const entry of entries) {
    // A bare path takes its title from the page, as in MkDocs; nothing to record.
    if (!entry || typeof entry !== 'object') continue;
    for (const [label, target] of Object.entries(entry as Record<string, unknown>)) {
      if (Array.isArray(target)) collect(target, titles, prefix);
      else if (typeof target === 'string' && label.trim() !== '') {
        const page = pagePath(target);
        // The first listing of a page names it, as MkDocs's nav does.
        if (page !== undefined && !titles.has(prefix + page)) titles.set(prefix + page, label.trim());
      }
    }
  }
}

/** A nav target as a path under docs_dir, or undefined for a link elsewhere (a URL, an absolute path). */
function pagePath(target: string): string | undefined {
  const trimmed = target.trim();
  if (trimmed === '' || /^[a-z][a-z0-9+.-]*:/i.test(trimmed) || trimmed.startsWith('/') || trimmed.startsWith('#')) return undefined;
  const path = posix.normalize(trimmed.replace(/[#?].*$/, ''));
  return path.startsWith('..') ? undefined : path.replace(/^\.\//, '');
}
