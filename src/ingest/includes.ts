/**
 * Pages that pull another docs file in where a line names it, as the site shows them:
 * `{{fragments/cpu_support.md}}` (the Milvus site), `{% include "shared/note.md" %}`
 * (Jinja, Liquid) and `--8<-- "snippets/setup.md"` (MkDocs snippets). The included text
 * becomes part of the page, in place: "How do I know if my CPU supports Milvus?" is then
 * answered by the FAQ section that shows it, linked to the FAQ page, and not by the bare
 * fragment file, which the site never publishes as a page (its link was a 404). So a file
 * that some page includes is not indexed as a page of its own.
 *
 * Only files of the docs folder are read (a path is tried from the including page's folder,
 * then from the folder's top), never inside fenced code, and includes nest to a few levels;
 * a line whose file is not found stays as it was (site-syntax.ts then hides the tag).
 */
import { posix } from 'node:path';
import { markFencedLines } from './headings.ts';
import { DOCUMENT_EXTENSIONS } from './scan.ts';

const MAX_DEPTH = 4;
const INCLUDE_LINE = [
  /^ {0,3}\{\{\s*([^{}\s]+)\s*\}\}[ \t]*$/,
  /^ {0,3}\{%-?\s*include\s+["']?([^"'\s%]+)["']?\s*-?%\}[ \t]*$/,
  /^ {0,3}-{1,}8<-{1,}\s+["']([^"']+)["'][ \t]*$/,
];

/** The docs file a line includes, as a path relative to the folder's top; undefined when it is not an include of one. */
function includedPath(line: string, page: string, known: (path: string) => boolean): string | undefined {
  for (const pattern of INCLUDE_LINE) {
    const named = pattern.exec(line)?.[1];
    if (!named) continue;
    const lower = named.toLowerCase();
    if (!DOCUMENT_EXTENSIONS.some((extension) => lower.endsWith(extension))) return undefined;
    const candidates = [posix.join(posix.dirname(page), named), posix.normalize(named.replace(/^\/+/, ''))];
    return candidates.find((path) => !path.startsWith('..') && known(path));
  }
  return undefined;
}

/** The docs files `text` (the page at `page`) includes directly. */
export function includesOf(text: string, page: string, known: (path: string) => boolean): string[] {
  const found: string[] = [];
  for (const { line, inCode, fence } of markFencedLines(text)) {
    if (inCode || fence) continue;
    const path = includedPath(line, page, known);
    if (path) found.push(path);
  }
  return found;
}

/** `text` with each include line replaced by the included file's text (itself resolved), `textOf` giving a file's text. */
export function resolveIncludes(text: string, page: string, textOf: (path: string) => string | undefined, depth = 0): string {
  if (depth >= MAX_DEPTH) return text;
  const known = (path: string) => textOf(path) !== undefined;
  return markFencedLines(text)
    .map(({ line, inCode, fence }) => {
      const path = inCode || fence ? undefined : includedPath(line, page, known);
      return path === undefined ? line : resolveIncludes(textOf(path)!, path, textOf, depth + 1).replace(/\n+$/, '');
    })
    .join('\n');
}
