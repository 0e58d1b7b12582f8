/**
 * VitePress code snippet imports: a line `<<< ./deploy.yaml#content [.github/workflows/deploy.yml]`
 * or `<<< @/snippets/plugin.ts{2,4 ts}` shows that file (or one `#region` of it) as a code
 * block where the line is. The page's reader sees the code, so it is put in place as a
 * fenced block, titled as VitePress titles it; left as written, the line was indexed as
 * literal text and the sample (a whole GitHub Pages workflow) was missing.
 *
 * Unlike a docs include (includes.ts) the file is code, which the scan does not read: it is
 * read here, under the same rules as a document (scan.ts): inside the docs folder (`@/` is
 * its top, any other path is from the page's folder), no hidden or dependency folder on the
 * way, a symlink only to a file inside the folder, a text file within INGEST_MAX_FILE_MB.
 * Never inside fenced code. A line whose file is not read that way stays as it was, and
 * site-syntax.ts blanks it.
 */
import { realpath, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { markFencedLines } from './headings.ts';
import { readDocument } from './read.ts';

// `<<< path[#region][{lines lang}][ [title]]`, as VitePress reads it (inside a list item too).
const SNIPPET_LINE = /^([ \t]*)<<<[ \t]*([^\s{#[]+)(?:#([\w-]+))?(?:[ \t]*\{([^}]*)\})?(?:[ \t]*\[([^\]]*)\])?[ \t]*$/;

interface SnippetImport {
  indent: string;
  /** Relative to the docs folder's top. */
  path: string;
  region?: string;
  language: string;
  title?: string;
}

/** The snippet a line imports, if it is a snippet line naming a file that can be inside the docs folder. */
function snippetImportOf(line: string, page: string): SnippetImport | undefined {
  const match = SNIPPET_LINE.exec(line);
  if (!match) return undefined;
  const [, indent = '', named = '', region, options = '', title] = match;
  const path = named.startsWith('@/') ? posix.normalize(named.slice(2)) : posix.join(posix.dirname(page), named);
  if (path.startsWith('..') || posix.isAbsolute(path) || path.split('/').some((part) => part.startsWith('.') || part === 'node_modules')) {
    return undefined;
  }
  // `{1,3-5 ts:line-numbers}`: highlighted lines, then the language; without one, the file's extension.
  const language = /(?:^|\s)([^\s\d,:-][^\s:]*)/.exec(options)?.[1] ?? posix.extname(path).slice(1);
  return { indent, path, language, ...(region ? { region } : {}), ...(title?.trim() ? { title: title.trim() } : {}) };
}

/** The files `text` (the page at `page`) imports as snippets, relative to the docs folder's top. */
export function snippetsOf(text: string, page: string): string[] {
  const found = new Set<string>();
  for (const { line, fence, inCode } of markFencedLines(text)) {
    const snippet = fence || inCode ? undefined : snippetImportOf(line, page);
    if (snippet) found.add(snippet.path);
  }
  return [...found];
}

/** `text` with each snippet line whose file `textOf` gives replaced by a fenced code block of it (or of its region). */
export function resolveSnippets(text: string, page: string, textOf: (path: string) => string | undefined): string {
  return markFencedLines(text)
    .map(({ line, fence, inCode }) => {
      const snippet = fence || inCode ? undefined : snippetImportOf(line, page);
      const code = snippet && textOf(snippet.path);
      const shown = snippet && code !== undefined ? regionOf(code, snippet.region) : undefined;
      return snippet && shown !== undefined ? fenced(shown, snippet) : line;
    })
    .join('\n');
}

/**
 * A region's lines: `#region name` to `#endregion`, in any comment syntax (`// #region`, `# #region`,
 * `<!-- #region -->`, `#region` in YAML), the marker lines left out. No region named: the whole file,
 * markers left out too. A region the file does not have: undefined (VitePress shows nothing).
 */
function regionOf(code: string, region: string | undefined): string | undefined {
  const lines = code.replace(/\n+$/, '').split('\n');
  const marker = (line: string) => REGION_MARKER.exec(line);
  if (region === undefined) return lines.filter((line) => !marker(line)).join('\n');
  const start = lines.findIndex((line) => {
    const found = marker(line);
    return found?.[1] === undefined && found?.[2] === region;
  });
  if (start === -1) return undefined;
  // Its own `#endregion name`, or a bare `#endregion`.
  const end = lines.findIndex((line, i) => {
    const found = i > start ? marker(line) : null;
    return found?.[1] !== undefined && (found[2] === region || found[2] === '');
  });
  return lines
    .slice(start + 1, end === -1 ? undefined : end)
    .filter((line) => !marker(line))
    .join('\n');
}

// A comment (`//`, `/*`, `<!--`, `#`, `--`, `;`) starting with `#region name` or `#endregion name` (`region` after
// `//` and the like too, as VitePress reads it); `region = 1` in code is none.
const REGION_MARKER = /^\s*(?:(?:\/\/|\/\*|<!--|--|;)\s*#?|#\s*#?)(end\s?)?region\b[ \t]*([\w-]*)/i;

function fenced(code: string, snippet: SnippetImport): string {
  // Longer than any run of backticks in the code, so none of them closes the block.
  const longest = (code.match(/`{3,}/g) ?? []).reduce((most, run) => Math.max(most, run.length), 2);
  const fence = '`'.repeat(longest + 1);
  const info = [snippet.language, snippet.title && `[${snippet.title}]`].filter(Boolean).join(' ');
  return [`${fence}${info}`, ...code.split('\n'), fence].map((line) => (line === '' ? line : snippet.indent + line)).join('\n');
}

/**
 * Reads snippet files as ingest reads a document, each once however many pages show it. A
 * file that cannot be read inside `root` (missing, a symlink out of the folder, binary, too
 * large) has no text.
 */
export function snippetReader(root: string, maxBytes: number): (paths: string[]) => Promise<(path: string) => string | undefined> {
  const known = new Map<string, Promise<string | undefined>>();
  let realRoot: Promise<string> | undefined;
  return async (paths) => {
    realRoot ??= realpath(root);
    for (const path of paths) if (!known.has(path)) known.set(path, readSnippet(root, path, maxBytes, realRoot));
    const texts = new Map<string, string | undefined>();
    for (const path of paths) texts.set(path, await known.get(path));
    return (path) => texts.get(path);
  };
}

async function readSnippet(root: string, path: string, maxBytes: number, realRoot: Promise<string>): Promise<string | undefined> {
  try {
    const target = await realpath(join(root, ...path.split('/')));
    const inside = relative(await realRoot, target);
    if (inside === '' || inside.startsWith('..') || inside.startsWith(sep) || /^[A-Za-z]:/.test(inside)) return undefined;
    if (!(await stat(target)).isFile()) return undefined;
    const read = await readDocument(target, maxBytes);
    return read.ok ? read.text : undefined;
  } catch {
    // Missing or unreadable: the line stays as written, and is blanked.
    return undefined;
  }
}
