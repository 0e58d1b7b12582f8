/**
 * Values cut to fit a VarChar field. Milvus servers check a VarChar's max_length
 * against the value's UTF-8 bytes, not its characters (a title of 400 CJK characters
 * is 1,200 bytes), and reject an upsert holding a longer value. The embedded engine
 * does not check, so only a server would show it.
 */

/** `text` cut to at most `maxBytes` of UTF-8, never inside a character. */
export function fitUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = Buffer.from(text).subarray(0, maxBytes).toString('utf8');
  // A cut inside a multi-byte character decodes to U+FFFD: drop it, and anything
  // else still over (an astral character cut after its first half).
  out = out.replace(/\uFFFD$/, '');
  while (Buffer.byteLength(out) > maxBytes) out = out.slice(0, -1);
  return out;
}

/**
 * A heading path as stored (JSON), within `maxBytes`: long headings are cut first,
 * then middle levels dropped, keeping the page's heading and the deepest ones, which
 * name the chunk. A JSON string cut blindly would no longer parse, and lose it all.
 */
export function fitHeadingPath(headingPath: readonly string[], maxBytes: number): string {
  let headings = headingPath.map((heading) => fitUtf8(heading, MAX_HEADING_BYTES));
  let json = JSON.stringify(headings);
  while (Buffer.byteLength(json) > maxBytes && headings.length > 1) {
    headings = [headings[0]!, ...headings.slice(2)];
    json = JSON.stringify(headings);
  }
  return Buffer.byteLength(json) <= maxBytes ? json : '[]';
}

/** The longest single heading kept (a heading longer than this is a paragraph). */
const MAX_HEADING_BYTES = 600;
