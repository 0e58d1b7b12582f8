/**
 * Finds the documents to ingest under a folder: markdown, MDX and plain text, skipping
 * dependency folders and hidden files. Paths are relative, with `/` on every OS, and
 * sorted so runs (and their progress output) are reproducible.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { AskdocsError } from '../errors.ts';
import { readFailure } from './read.ts';

export const DOCUMENT_EXTENSIONS = ['.md', '.mdx', '.markdown', '.txt'];
const SKIPPED_FOLDERS = new Set(['node_modules']);

export interface ScannedFile {
  /** Relative to the scanned folder, with forward slashes (e.g. `faq/product_faq.md`). */
  path: string;
  absolutePath: string;
}

export interface ScanOptions {
  /** A sub-folder that cannot be listed (EACCES) is reported here and skipped; without it, the scan fails. */
  onSkip?: (path: string, reason: string) => void;
}

export async function scanFolder(root: string, options: ScanOptions = {}): Promise<ScannedFile[]> {
  const files: ScannedFile[] = [];
  const walk = async (dir: string) => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (dir === root) {
        const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
        throw new AskdocsError('input', `Docs folder ${root} ${reason}.`, { cause: error });
      }
      if (!options.onSkip) throw error;
      options.onSkip(`${relative(root, dir).split(sep).join('/')}/`, readFailure(error));
      return;
    }
    for (const entry of entries) {
      // Hidden entries (.git, .github, .DS_Store, editor swap files) are never docs.
      if (entry.name.startsWith('.')) continue;
      const absolutePath = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) await walk(absolutePath);
      } else if (entry.isFile() && isDocument(entry.name)) {
        files.push({ path: relative(root, absolutePath).split(sep).join('/'), absolutePath });
      }
    }
  };
  await walk(root);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function isDocument(name: string): boolean {
  const lower = name.toLowerCase();
  return DOCUMENT_EXTENSIONS.some((ext) => lower.endsWith(ext));
}
