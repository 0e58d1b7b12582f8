/**
 * Durable feedback (👍/👎) on chat answers, in SQLite (libsql, see ../sqlite.ts) at `config.feedbackDb`.
 *
 * API:
 *   const store = FeedbackStore.open(config.feedbackDb);    // creates the file and folder
 *   store.saveAnswer({ platform, messageRef, question, answer, sources, requestId, channelId?, userId? });
 *     - called when an answer is posted, so a later click (even after a restart) knows
 *       which question, answer and sources it is about. Upsert by (platform, messageRef).
 *   store.recordVote({ platform, messageRef, userId, vote: 'up' | 'down', at? }): FeedbackRecord
 *     - idempotent per (platform, messageRef, userId): a second click updates the vote
 *       and its time instead of adding a row.
 *     - throws UnknownAnswerError for an answer that was never saved: such a vote could
 *       only be listed as "(unknown)" and never reach `askdocs gaps`, so the voter is told
 *       it was not recorded instead of being thanked.
 *   store.list({ limit?, since? }): FeedbackRecord[]    // newest vote first; `since`: only votes cast since then
 *   store.close();
 *
 *   FeedbackRecord = { platform, userId, vote, at, createdAt, messageRef, channelId?,
 *                      question, answer, sources: FeedbackSource[], requestId? }
 *   feedbackSourcesFrom(sources: Source[]): FeedbackSource[]   // what to keep of shown sources
 *   `messageRef` is whatever identifies the answered message on its platform
 *   (e.g. "C123:1712345678.000100" or a message id).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sourceEntries } from '../chat/sources.ts';
import type { Source } from '../engine/types.ts';
import { AskdocsError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { isFolder } from '../paths.ts';
import { openSqlite, type SqliteDatabase } from '../sqlite.ts';

export type Vote = 'up' | 'down';

/** The 👍/👎 buttons under every answer's sources, in order, as every platform shows them. */
export const FEEDBACK_CHOICES: readonly { vote: Vote; emoji: string; label: string }[] = [
  { vote: 'up', emoji: '👍', label: 'Helpful' },
  { vote: 'down', emoji: '👎', label: 'Not helpful' },
];

/** What is kept of each source: enough to see what the user was shown. */
export interface FeedbackSource {
  n: number;
  title: string;
  path: string;
  heading?: string;
  url?: string;
}

export interface AnsweredMessage {
  platform: string;
  messageRef: string;
  question: string;
  answer: string;
  sources: FeedbackSource[];
  requestId?: string;
  channelId?: string;
  /** Who asked. */
  userId?: string;
}

export interface VoteInput {
  platform: string;
  messageRef: string;
  /** Who clicked. */
  userId: string;
  vote: Vote;
  at?: Date;
}

export interface ListOptions {
  /** At most this many, newest first (default 50). */
  limit?: number;
  /** Only votes cast (or last changed) since then: a report over a window reads just that. */
  since?: Date;
}

export interface FeedbackRecord {
  platform: string;
  userId: string;
  vote: Vote;
  /** When the current vote was cast (ISO 8601). */
  at: string;
  /** When this user first voted on this message. */
  createdAt: string;
  messageRef: string;
  channelId?: string;
  question: string;
  answer: string;
  sources: FeedbackSource[];
  requestId?: string;
}

/**
 * What the chat adapters and `askdocs feedback` need from a feedback store, whichever
 * holds it: SQLite (`FeedbackStore`, one replica) or Redis (`RedisFeedbackStore`, shared
 * by every replica). Await every call: the SQLite store answers synchronously, Redis not.
 */
export interface FeedbackRecorder {
  /** Where the votes live, for messages ("/data/feedback.sqlite", "Redis"). */
  readonly location: string;
  saveAnswer(answer: AnsweredMessage, at?: Date): void | Promise<void>;
  recordVote(input: VoteInput): FeedbackRecord | Promise<FeedbackRecord>;
  list(options?: ListOptions): FeedbackRecord[] | Promise<FeedbackRecord[]>;
  close(): void | Promise<void>;
}

/** A vote on an answer the store has no record of (its save failed or was lost). */
export class UnknownAnswerError extends AskdocsError {
  constructor(platform: string, messageRef: string) {
    super('feedback', `No saved answer for ${platform} message ${messageRef}, so the vote was not recorded.`);
  }
}

/** An answer the shared store could not save now: kept in this process and saved once the store is back. */
export class AnswerSavedLaterError extends AskdocsError {
  constructor(reason: string, waiting: number, options?: { cause?: unknown }) {
    super(
      'feedback',
      `answer not saved in Redis (${reason}); kept in this process (${waiting} waiting) and saved when Redis is back`,
      options,
    );
  }
}

export function feedbackSourcesFrom(sources: Source[]): FeedbackSource[] {
  return sourceEntries(sources, { maxEntries: 50, maxLabelChars: 500 }).map((entry) => ({
    n: entry.n,
    title: entry.title,
    path: entry.path,
    ...(entry.heading ? { heading: entry.heading } : {}),
    ...(entry.link ? { url: entry.link } : {}),
  }));
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS answers (
  platform    TEXT NOT NULL,
  message_ref TEXT NOT NULL,
  channel_id  TEXT,
  asked_by    TEXT,
  question    TEXT NOT NULL,
  answer      TEXT NOT NULL,
  sources     TEXT NOT NULL,
  request_id  TEXT,
  answered_at TEXT NOT NULL,
  PRIMARY KEY (platform, message_ref)
);
CREATE TABLE IF NOT EXISTS votes (
  platform    TEXT NOT NULL,
  message_ref TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  vote        TEXT NOT NULL CHECK (vote IN ('up', 'down')),
  created_at  TEXT NOT NULL,
  voted_at    TEXT NOT NULL,
  PRIMARY KEY (platform, message_ref, user_id)
);
CREATE INDEX IF NOT EXISTS votes_by_time ON votes (voted_at);
`;

interface RecordRow {
  platform: string;
  message_ref: string;
  user_id: string;
  vote: Vote;
  created_at: string;
  voted_at: string;
  channel_id: string | null;
  question: string | null;
  answer: string | null;
  sources: string | null;
  request_id: string | null;
}

const SELECT_RECORDS = `
SELECT v.platform, v.message_ref, v.user_id, v.vote, v.created_at, v.voted_at,
       a.channel_id, a.question, a.answer, a.sources, a.request_id
FROM votes v
LEFT JOIN answers a ON a.platform = v.platform AND a.message_ref = v.message_ref`;

/** How long a write waits for another connection's (another process's) lock on the file. */
const BUSY_TIMEOUT_MS = 5000;

export class FeedbackStore implements FeedbackRecorder {
  private db: SqliteDatabase;
  /** The file's inode when opened: a different one (or none) means it was deleted or replaced. */
  private inode: number | undefined;

  private constructor(
    db: SqliteDatabase,
    private readonly path: string,
    private readOnly: boolean,
    private readonly logger?: Logger,
  ) {
    this.db = db;
    this.inode = inodeOf(path);
  }

  /**
   * Opens (creating when needed) the store for writing. A database that cannot be written
   * (read-only file or folder) does not stop a bot: it is opened read-only with a warning,
   * and votes are then refused with a plain message instead of being silently lost.
   */
  static open(path: string, options: { logger?: Logger } = {}): FeedbackStore {
    try {
      return new FeedbackStore(openWritable(path), path, false, options.logger);
    } catch (error) {
      if (!isReadOnlyError(error) || !existsSync(path)) throw error;
      options.logger?.warn({ path, err: error }, 'feedback database is read-only: votes cannot be recorded until FEEDBACK_DB is writable');
      return new FeedbackStore(openSqlite(path, { readOnly: true, timeoutMs: BUSY_TIMEOUT_MS }), path, true, options.logger);
    }
  }

  /** Opens an existing store read-only, or returns undefined when there is none yet. */
  static openExisting(path: string): FeedbackStore | undefined {
    if (!existsSync(path)) return undefined;
    return new FeedbackStore(openSqlite(path, { readOnly: true, timeoutMs: BUSY_TIMEOUT_MS }), path, true);
  }

  get location(): string {
    return this.path;
  }

  /** False when the database could only be opened read-only. */
  get writable(): boolean {
    return !this.readOnly;
  }

  /**
   * Before each write: a database file deleted (or replaced) while the bot runs would
   * take every later vote with it into an unlinked inode. Reopen, recreating it.
   */
  private writableDb(): SqliteDatabase {
    if (this.path !== ':memory:' && inodeOf(this.path) !== this.inode) {
      this.logger?.warn({ path: this.path }, 'feedback database was deleted or replaced while running: recreating it');
      this.db.close();
      this.db = openWritable(this.path);
      this.readOnly = false;
      this.inode = inodeOf(this.path);
    }
    if (this.readOnly) {
      throw new AskdocsError('feedback', `The feedback database ${this.path} is read-only, so the vote was not recorded.`);
    }
    return this.db;
  }

  saveAnswer(answer: AnsweredMessage, at: Date = new Date()): void {
    this.writableDb()
      .prepare(
        `INSERT INTO answers (platform, message_ref, channel_id, asked_by, question, answer, sources, request_id, answered_at)
         VALUES (@platform, @messageRef, @channelId, @userId, @question, @answer, @sources, @requestId, @at)
         ON CONFLICT (platform, message_ref) DO UPDATE SET
           channel_id = excluded.channel_id, asked_by = excluded.asked_by, question = excluded.question,
           answer = excluded.answer, sources = excluded.sources, request_id = excluded.request_id,
           answered_at = excluded.answered_at`,
      )
      .run({
        platform: answer.platform,
        messageRef: answer.messageRef,
        channelId: answer.channelId ?? null,
        userId: answer.userId ?? null,
        question: answer.question,
        answer: answer.answer,
        sources: JSON.stringify(answer.sources),
        requestId: answer.requestId ?? null,
        at: at.toISOString(),
      });
  }

  recordVote(input: VoteInput): FeedbackRecord {
    const at = (input.at ?? new Date()).toISOString();
    const db = this.writableDb();
    // Answers are never deleted, so one that exists now still does when the vote is written.
    if (!db.prepare('SELECT 1 FROM answers WHERE platform = ? AND message_ref = ?').get(input.platform, input.messageRef)) {
      throw new UnknownAnswerError(input.platform, input.messageRef);
    }
    db.prepare(
      `INSERT INTO votes (platform, message_ref, user_id, vote, created_at, voted_at)
         VALUES (@platform, @messageRef, @userId, @vote, @at, @at)
         ON CONFLICT (platform, message_ref, user_id) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at`,
    ).run({ platform: input.platform, messageRef: input.messageRef, userId: input.userId, vote: input.vote, at });
    const row = this.db
      .prepare(`${SELECT_RECORDS} WHERE v.platform = ? AND v.message_ref = ? AND v.user_id = ?`)
      .get(input.platform, input.messageRef, input.userId) as RecordRow;
    return toRecord(row);
  }

  list(options: ListOptions = {}): FeedbackRecord[] {
    // voted_at is ISO 8601 in UTC, so comparing the text compares the times.
    const rows = this.db
      .prepare(`${SELECT_RECORDS} WHERE v.voted_at >= ? ORDER BY v.voted_at DESC, v.rowid DESC LIMIT ?`)
      .all(options.since?.toISOString() ?? '', options.limit ?? 50) as RecordRow[];
    return rows.map(toRecord);
  }

  close(): void {
    if (!this.db.open) return;
    // The connection stays open after close() until the statements prepared on it are
    // garbage-collected (see ../sqlite.ts), which a process exiting may never do. Copy
    // the WAL into the database file now, so the file alone holds every vote, as after
    // a real close. Best effort: what is not copied stays in the WAL, which SQLite reads.
    if (!this.readOnly) {
      try {
        this.db.exec('PRAGMA wal_checkpoint(PASSIVE)');
      } catch {
        // A database deleted or locked meanwhile: nothing more to copy now.
      }
    }
    this.db.close();
  }
}

function openWritable(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = openSqlite(path, { timeoutMs: BUSY_TIMEOUT_MS });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(SCHEMA);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function inodeOf(path: string): number | undefined {
  if (path === ':memory:') return undefined;
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

function isReadOnlyError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    (typeof code === 'string' && (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN')) ||
    (error instanceof Error && /readonly|read-only/i.test(error.message))
  );
}

/** A feedback database that cannot be opened or read (corrupt, unreadable), as one plain line. */
export function feedbackDbError(path: string, error: unknown): AskdocsError {
  // SQLite reads a folder as "file is not a database", which sends people looking for corruption.
  const reason = isFolder(path)
    ? `it is a folder; FEEDBACK_DB names the database file, such as ${join(path, 'feedback.sqlite')}`
    : error instanceof Error
      ? error.message
      : String(error);
  return new AskdocsError('feedback', `Could not read the feedback database ${path} (${reason}). Check FEEDBACK_DB.`, { cause: error });
}

function toRecord(row: RecordRow): FeedbackRecord {
  return {
    platform: row.platform,
    userId: row.user_id,
    vote: row.vote,
    at: row.voted_at,
    createdAt: row.created_at,
    messageRef: row.message_ref,
    channelId: row.channel_id ?? undefined,
    question: row.question ?? '',
    answer: row.answer ?? '',
    sources: storedSources(row.sources),
    requestId: row.request_id ?? undefined,
  };
}

/**
 * The sources saved with an answer, or none when the column holds no JSON list (a row
 * edited by hand, a damaged page): one bad row must not hide every other vote from
 * `askdocs feedback` and the gaps report.
 */
export function storedSources(json: string | null | undefined): FeedbackSource[] {
  if (!json) return [];
  try {
    return sourceList(JSON.parse(json));
  } catch {
    return [];
  }
}

/** The entries of a parsed sources list that are objects; anything else is no list. */
export function sourceList(value: unknown): FeedbackSource[] {
  return Array.isArray(value) ? (value.filter((entry) => typeof entry === 'object' && entry !== null) as FeedbackSource[]) : [];
}
