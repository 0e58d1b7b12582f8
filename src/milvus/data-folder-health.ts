/**
 * What is wrong with the embedded engine's data folder, in one line a user can act on:
 * not writable, a damaged data file, a full disk. The engine itself says these as log
 * lines or RPC errors (or, for a full disk, not at all); each message here says what to
 * do, and is marked so the CLI adds no "run the ingest again" hint where a re-run cannot help.
 */
import { accessSync, closeSync, constants, existsSync, openSync, readSync, statfsSync, statSync } from 'node:fs';
import { AskdocsError } from '../errors.ts';
import { rerunCannotHelp } from './status.ts';

/**
 * An existing data folder (or its data file) the engine cannot write to: on a read-only
 * file system, or not this user's to write. The engine writes even to answer a question
 * (its lock file, its journal), so this is said before the lock rather than as the
 * engine's "Open lock file … failed".
 */
export function writeProblem(dataDir: string, dbPath: string): AskdocsError | undefined {
  for (const path of [dataDir, dbPath]) {
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      const why =
        code === 'EROFS'
          ? 'is on a read-only file system (EROFS)'
          : code === 'EACCES' || code === 'EPERM'
            ? `is not writable by this user (${code})`
            : `cannot be written (${code ?? (error as Error).message})`;
      const what = path === dataDir ? `The Milvus data folder ${dataDir} (MILVUS_URI)` : `The Milvus data file ${path}`;
      return rerunCannotHelp(
        new AskdocsError(
          'config',
          `${what} ${why}, and the embedded engine must write there even to answer questions: make it writable for this user, or point MILVUS_URI at another folder or an http(s):// Milvus server.`,
          { cause: error },
        ),
      );
    }
  }
  return undefined;
}

/** Free space below which a failed write is put down to a full disk. */
export const LOW_SPACE_BYTES = 16 * 1024 * 1024;
/** What SQLite (and so the engine) says about a data file that is not intact. */
export const DAMAGE_PATTERN = /database disk image is malformed|file is not a database|database corruption/i;
/**
 * What the engine logs when its disk is full. Quirk: the native engine logs this for an
 * upsert's BM25 statistics and still answers the upsert with success; the rows are lost.
 */
export const FULL_PATTERN = /database or disk is full|No space left on device/i;

/** Bytes free to this user on the file system holding `dir`, if known. */
export function freeBytes(dir: string): number | undefined {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

export function diskFull(dataDir: string, free: number): AskdocsError {
  const mb = free / (1024 * 1024);
  const left = mb < 1 ? `${Math.round(free / 1024)} KB` : `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB`;
  return rerunCannotHelp(
    new AskdocsError(
      'milvus',
      `The disk holding the Milvus data folder ${dataDir} is full (${left} free): free some space on it, then run the ingest again (it resumes where it stopped).`,
    ),
  );
}

export function damagedFile(dbPath: string, detail: string, cause?: unknown): AskdocsError {
  return rerunCannotHelp(
    new AskdocsError(
      'milvus_unavailable',
      `The Milvus data file ${dbPath} is damaged (${detail}). Move it aside (e.g. mv ${dbPath} ${dbPath}.damaged; askdocs never deletes it), then run \`askdocs ingest <docs folder>\` to build the index again.`,
      { cause },
    ),
  );
}

/**
 * Why a SQLite data file is damaged, read from its header alone (cheap): not a SQLite
 * file at all, or shorter than the pages the header counts (cut short by a full disk, a
 * failed copy, `truncate`). Undefined when the header is sound or the file empty or absent.
 */
export function headerDamage(dbPath: string): string | undefined {
  const header = Buffer.alloc(100);
  let size: number;
  try {
    size = statSync(dbPath).size;
    const fd = openSync(dbPath, 'r');
    try {
      readSync(fd, header, 0, 100, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (size === 0) return undefined;
  if (size < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\0') return 'not a SQLite database';
  const pageSize = header.readUInt16BE(16) === 1 ? 65_536 : header.readUInt16BE(16);
  // The page count is valid when its "valid-for" number equals the change counter (SQLite >= 3.7).
  const pages = header.readUInt32BE(92) === header.readUInt32BE(24) ? header.readUInt32BE(28) : 0;
  // A journal left by a write cut off mid-way (a crash, kill -9) is rolled back when the
  // engine opens the file, which may make it whole again: that is SQLite's to judge.
  const journal = existsSync(`${dbPath}-journal`) || existsSync(`${dbPath}-wal`);
  if (pages > 0 && !journal && size < pages * pageSize) return `cut short: ${size} of its ${pages * pageSize} bytes`;
  return undefined;
}
