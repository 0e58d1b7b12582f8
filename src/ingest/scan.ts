/**
 * Finds the documents to ingest under a folder: markdown, MDX and plain text, skipping
 * dependency folders and hidden files. Symlinked documents are followed when they stay
 * inside the folder (see symlinkProblem); symlinked folders are named and not followed.
 * Paths are relative, with `/` on every OS, and sorted so runs (and their progress
 * output) are reproducible.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { AskdocsError } from '../errors.ts';
import { readFailure } from './read.ts';

export const DOCUMENT_EXTENSIONS = ['.md', '.mdx', '.markdown', '.txt'];
/**
 * Documentation in markups askdocs does not read. Found beside Markdown (a Sphinx page, an
 * AsciiDoc guide) they were left out without a word, and their questions then "were not
 * covered"; they are counted and named by format instead (images and the like are not docs).
 */
const UNREAD_DOC_EXTENSIONS = ['.rst', '.adoc', '.asciidoc', '.org', '.textile', '.rdoc', '.pod', '.html', '.htm'];
const SKIPPED_FOLDERS = new Set(['node_modules']);

export interface ScannedFile {
  /** Relative to the scanned folder, with forward slashes (e.g. `faq/product_faq.md`). */
  path: string;
  absolutePath: string;
}

export interface ScanOptions {
  /** A sub-folder that cannot be listed (EACCES) is reported here and skipped; without it, the scan fails. */
  onSkip?: (path: string, reason: string) => void;
  /** A documentation file in a markup askdocs does not read (UNREAD_DOC_EXTENSIONS). */
  onUnread?: (path: string) => void;
}

export async function scanFolder(root: string, options: ScanOptions = {}): Promise<ScannedFile[]> {
  const files: ScannedFile[] = [];
  let realRoot: string | undefined;
  /** Relative to the root, with `/` on every OS. */
  const pathOf = (absolute: string) => relative(root, absolute).split(sep).join('/');
  const walk = async (dir: string) => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (dir === root) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason =
          code === 'ENOENT'
            ? 'does not exist'
            : code === 'ENOTDIR'
              ? 'is a file, not a folder: give the folder that holds the docs'
              : code === 'EACCES' || code === 'EPERM'
                ? 'cannot be read (permission denied)'
                : 'cannot be read';
        throw new AskdocsError('input', `Docs folder ${root} ${reason}.`, { cause: error });
      }
      if (!options.onSkip) throw error;
      options.onSkip(`${pathOf(dir)}/`, readFailure(error));
      return;
    }
    for (const entry of entries) {
      // Hidden entries (.git, .github, .DS_Store, editor swap files) are never docs.
      if (entry.name.startsWith('.')) continue;
      const absolutePath = join(dir, entry.name);
      const badName = nameProblem(entry.name);
      if (badName && (entry.isDirectory() || isDocument(entry.name))) {
        const path = pathOf(absolutePath);
        options.onSkip?.(entry.isDirectory() ? `${path}/` : path, badName);
        continue;
      }
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) await walk(absolutePath);
      } else if (entry.isFile() && isDocument(entry.name)) {
        files.push({ path: pathOf(absolutePath), absolutePath });
      } else if (entry.isFile() && unreadFormat(entry.name)) {
        options.onUnread?.(pathOf(absolutePath));
      } else if (entry.isSymbolicLink() && isDocument(entry.name)) {
        realRoot ??= await realpath(root);
        const path = pathOf(absolutePath);
        const problem = await symlinkProblem(absolutePath, realRoot);
        if (problem) options.onSkip?.(path, problem);
        else files.push({ path, absolutePath });
      } else if (entry.isSymbolicLink() && !SKIPPED_FOLDERS.has(entry.name) && (await isFolder(absolutePath))) {
        // Named without the `/` of a folder that could not be listed: that one keeps its
        // earlier chunks until it can be read again, and this one is never read.
        options.onSkip?.(pathOf(absolutePath), 'symlink to a folder, not followed');
      }
    }
  };
  await walk(root);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * A symlinked document is followed when it resolves to a file inside the docs folder.
 * One pointing outside is not: a link must not pull /etc/passwd or a home folder into
 * an index that chat users can query. Symlinked folders are never followed (loops).
 */
async function symlinkProblem(link: string, realRoot: string): Promise<string | undefined> {
  let target: string;
  try {
    target = await realpath(link);
  } catch {
    return 'broken symlink (its target does not exist)';
  }
  const inside = relative(realRoot, target);
  if (inside.startsWith('..') || inside === '' || inside.startsWith(sep) || /^[A-Za-z]:/.test(inside)) {
    return 'symlink to a file outside the docs folder, not followed';
  }
  return (await stat(target)).isFile() ? undefined : 'symlink to something that is not a file, not followed';
}

/**
 * Why a file or folder name cannot be indexed, if it cannot. Node decodes names as
 * UTF-8; a name in another encoding comes back with U+FFFD in it, a path that cannot
 * be opened again. A control character (tab, newline, ESC) can be stored, but the
 * engine does not decode the escapes its filters are written with (`"a\tb.md"`), so
 * such a file could never be found again to be updated or deleted: each run would add
 * it once more, and a deleted one would stay answerable.
 */
function nameProblem(name: string): string | undefined {
  if (name.includes('\uFFFD')) return 'its name is not valid UTF-8; rename it';
  if (/\p{Cc}/u.test(name)) return 'its name contains a control character (a tab, a line break, an escape); rename it';
  return undefined;
}

/** Whether a symlink leads to a folder (a broken link or a loop does not). */
async function isFolder(link: string): Promise<boolean> {
  try {
    return (await stat(link)).isDirectory();
  } catch {
    return false;
  }
}

/** The extension of a documentation file askdocs does not read (`.rst`), if it is one. */
export function unreadFormat(name: string): string | undefined {
  const lower = name.toLowerCase();
  return UNREAD_DOC_EXTENSIONS.find((ext) => lower.endsWith(ext));
}

function isDocument(name: string): boolean {
  const lower = name.toLowerCase();
  return DOCUMENT_EXTENSIONS.some((ext) => lower.endsWith(ext));
}
