/**
 * Opens a SQLite database file with libsql: a SQLite fork whose Node binding has
 * better-sqlite3's synchronous API and ships prebuilt binaries as npm packages, so an
 * install neither compiles SQLite nor downloads anything from outside the npm registry.
 *
 *   const db = openSqlite(path, { timeoutMs: 5000 });         // read-write, created if missing
 *   const db = openSqlite(path, { readOnly: true });          // must exist; writes fail (SQLITE_READONLY)
 *
 * Where the binding differs from better-sqlite3, and what this module does about it:
 * - It ignores the `readonly` and `fileMustExist` options (and `db.readonly` is always
 *   false): read-only opens go through a `file:…?mode=ro` URI, which has both effects.
 * - A file that cannot be opened throws `ConnectionFailed("…: 14")` with an empty `code`:
 *   rethrown here as SQLite's own error (`SQLITE_CANTOPEN`, "unable to open database file").
 * - `close()` closes the connection only once every statement prepared on it is
 *   garbage-collected (`pragma()` prepares one too). Where closing must release a lock
 *   at once, use `exec()` alone, which prepares nothing that outlives the call.
 * - Only numbers, strings, bigints, buffers and null can be bound (a boolean aborts the
 *   process), and numbers are bound as REAL.
 */
import { pathToFileURL } from 'node:url';
import Database from 'libsql';

export type SqliteDatabase = Database.Database;

export interface OpenSqliteOptions {
  readOnly?: boolean;
  /** How long a statement waits for another connection's lock before SQLITE_BUSY (default 0: not at all). */
  timeoutMs?: number;
}

export function openSqlite(path: string, options: OpenSqliteOptions = {}): SqliteDatabase {
  const target = options.readOnly ? `${pathToFileURL(path).href}?mode=ro` : path;
  try {
    return new Database(target, { timeout: options.timeoutMs ?? 0 });
  } catch (error) {
    throw openError(error);
  }
}

/** SQLite's own code and message for the result codes opening a file can end with. */
const OPEN_RESULTS: Record<number, [code: string, message: string]> = {
  5: ['SQLITE_BUSY', 'database is locked'],
  8: ['SQLITE_READONLY', 'attempt to write a readonly database'],
  14: ['SQLITE_CANTOPEN', 'unable to open database file'],
  26: ['SQLITE_NOTADB', 'file is not a database'],
};

function openError(error: unknown): unknown {
  const match = error instanceof Error ? /^ConnectionFailed\(".*: (\d+)"\)$/s.exec(error.message) : null;
  if (!match) return error;
  const rawCode = Number(match[1]);
  const [code, message] = OPEN_RESULTS[rawCode] ?? ['SQLITE_ERROR', `SQLite error ${rawCode}`];
  return new Database.SqliteError(message, code, rawCode);
}
