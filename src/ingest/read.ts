/**
 * Reads one document for ingest, or says in a few words why it must be skipped: too
 * large (INGEST_MAX_FILE_MB), unreadable, or not text at all. A folder of docs is
 * whatever people put there, so one bad file is reported and skipped, never the
 * end of the run (ingest.ts).
 */
import { constants as bufferConstants, isUtf8 } from 'node:buffer';
import { readFile, stat } from 'node:fs/promises';
import iconv from 'iconv-lite';
import { stripControlChars } from '../control-chars.ts';

export type ReadOutcome = { ok: true; text: string } | { ok: false; reason: string };

/** Share of replacement characters above which decoded bytes are not text (Latin-1 prose stays well below). */
const MAX_INVALID_SHARE = 0.1;

/**
 * The most bytes read as one text: a JavaScript string holds at most
 * buffer.constants.MAX_STRING_LENGTH characters (about 512 MB on 64-bit Node 20), and
 * UTF-8 or Windows-1252 text has up to one character per byte. INGEST_MAX_FILE_MB allows
 * up to 1024 MB, so a larger file is skipped here, not the end of the run.
 */
export const MAX_TEXT_BYTES = bufferConstants.MAX_STRING_LENGTH;

export async function readDocument(
  absolutePath: string,
  maxBytes: number,
  /** For tests: a lower text limit than MAX_TEXT_BYTES. */
  options: { maxTextBytes?: number } = {},
): Promise<ReadOutcome> {
  const maxTextBytes = options.maxTextBytes ?? MAX_TEXT_BYTES;
  let bytes: Buffer;
  try {
    const { size } = await stat(absolutePath);
    if (size > maxBytes) {
      return { ok: false, reason: `${megabytes(size)} MB is over the ${megabytes(maxBytes)} MB limit (INGEST_MAX_FILE_MB)` };
    }
    if (size > maxTextBytes) return { ok: false, reason: tooMuchText(size, maxTextBytes) };
    bytes = await readFile(absolutePath);
  } catch (error) {
    return { ok: false, reason: readFailure(error) };
  }
  // It may have grown since stat().
  if (bytes.length > maxTextBytes) return { ok: false, reason: tooMuchText(bytes.length, maxTextBytes) };
  try {
    const decoded = decode(bytes);
    if ('reason' in decoded) return { ok: false, reason: decoded.reason };
    // Line endings first (a CR is a control character), then every terminal control sequence.
    return { ok: true, text: stripControlChars(decoded.text.replace(/\r\n?/g, '\n')) };
  } catch (error) {
    // Out of memory for a string this long, in practice: this file is skipped, the run goes on.
    return { ok: false, reason: `could not be read as text (${error instanceof Error ? error.message : String(error)})` };
  }
}

function tooMuchText(size: number, maxTextBytes: number): string {
  return `${megabytes(size)} MB is more text than askdocs can read as one document (at most ${megabytes(maxTextBytes)} MB)`;
}

/**
 * The document's text, or why it is not text. UTF-16 (what Windows tools call
 * "Unicode") says so with its byte-order mark, and is full of NUL bytes, which would
 * otherwise read as binary. Otherwise UTF-8, or Windows-1252 (a superset of Latin-1)
 * for a file written in that older encoding: one whose non-ASCII bytes never form a
 * UTF-8 character. Read as UTF-8 it would be stored and quoted as "Caf\uFFFD". A UTF-8
 * file with a few stray bytes stays UTF-8: read as Windows-1252, every real character
 * in it would be garbled instead.
 */
function decode(bytes: Buffer): { text: string } | { reason: string } {
  if (hasUtf16Bom(bytes)) return { text: iconv.decode(bytes, 'utf-16') };
  // NUL bytes never occur in text; a high share of invalid UTF-8 means an image, an archive, a program.
  if (bytes.includes(0)) return { reason: 'binary content (NUL bytes), not text' };
  const utf8 = bytes.toString('utf8');
  // Not one UTF-8 character among the non-ASCII bytes: a single-byte encoding, if anything.
  const singleByte = !/[^\u0000-\u007f\uFFFD]/u.test(utf8);
  let invalid = 0;
  for (const char of utf8) if (char === '\uFFFD') invalid++;
  if (utf8.length > 0 && invalid / utf8.length > MAX_INVALID_SHARE && !(singleByte && looksLikeText(bytes))) {
    return { reason: 'binary content (not UTF-8 text)' };
  }
  // A valid file's UTF-8 byte-order mark is not text.
  if (isUtf8(bytes)) return { text: utf8.replace(/^\uFEFF/, '') };
  if (!singleByte) return { text: utf8 };
  // iconv-lite, not TextDecoder: Node 20's 'windows-1252' decodes as ISO-8859-1, which
  // turns curly quotes, dashes and the euro sign (0x80-0x9F) into control characters.
  return { text: iconv.decode(bytes, 'win1252') };
}

function hasUtf16Bom(bytes: Buffer): boolean {
  return bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
}

/**
 * Bytes of a single-byte encoding that read as text: mostly ASCII (accented letters are
 * a minority even in a French or German page), and control characters no more often than
 * text has them. Binary data has every byte value about equally often, so about one byte
 * in eight is a control character.
 */
function looksLikeText(bytes: Buffer): boolean {
  let controls = 0;
  let ascii = 0;
  for (const byte of bytes) {
    if (byte < 0x80) ascii++;
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c) controls++;
  }
  return ascii / bytes.length >= MIN_ASCII_SHARE && controls / bytes.length < MAX_CONTROL_SHARE;
}

/** Share of ASCII bytes a page in a single-byte encoding has at least. */
const MIN_ASCII_SHARE = 0.5;

/** Share of control bytes (other than tab, line feed, form feed, carriage return) that text stays under. */
const MAX_CONTROL_SHARE = 0.01;

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
