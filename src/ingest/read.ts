/**
 * Reads one document for ingest, or says in a few words why it must be skipped: too
 * large (INGEST_MAX_FILE_MB), unreadable, or not text at all. A folder of docs is
 * whatever people put there, so one bad file is reported and skipped, never the
 * end of the run (ingest.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import { stripControlChars } from '../control-chars.ts';

export type ReadOutcome = { ok: true; text: string } | { ok: false; reason: string };

/** Share of replacement characters above which decoded bytes are not text (Latin-1 prose stays well below). */
const MAX_INVALID_SHARE = 0.1;

export async function readDocument(absolutePath: string, maxBytes: number): Promise<ReadOutcome> {
  let bytes: Buffer;
  try {
    const { size } = await stat(absolutePath);
    if (size > maxBytes) {
      return { ok: false, reason: `${megabytes(size)} MB is over the ${megabytes(maxBytes)} MB limit (INGEST_MAX_FILE_MB)` };
    }
    bytes = await readFile(absolutePath);
  } catch (error) {
    return { ok: false, reason: readFailure(error) };
  }
  const binary = binaryReason(bytes);
  if (binary) return { ok: false, reason: binary };
  // Line endings first (a CR is a control character), then every terminal control sequence.
  return { ok: true, text: stripControlChars(bytes.toString('utf8').replace(/\r\n?/g, '\n')) };
}

/** NUL bytes never occur in text; a high share of invalid UTF-8 means an image, an archive, a program. */
export function binaryReason(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return 'binary content (NUL bytes), not text';
  const text = bytes.toString('utf8');
  let invalid = 0;
  for (const char of text) if (char === '\uFFFD') invalid++;
  if (text.length > 0 && invalid / text.length > MAX_INVALID_SHARE) return 'binary content (not UTF-8 text)';
  return undefined;
}

export function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (EACCES)';
    case 'ENOENT':
      return 'it disappeared while reading (ENOENT)';
    case 'EISDIR':
      return 'it is a folder';
    default:
      return `could not be read (${code ?? (error instanceof Error ? error.message : String(error))})`;
  }
}

/** Why a document could not be chunked: in practice, nesting deep enough to overflow the parser's stack. */
export function parseFailure(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return 'nested too deeply to parse (lists or block quotes thousands of levels deep)';
  }
  return `could not be parsed (${error instanceof Error ? error.message : String(error)})`;
}

function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 10 ? mb.toFixed(0) : mb.toFixed(1).replace(/\.0$/, '');
}
