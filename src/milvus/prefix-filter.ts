/**
 * A Milvus filter for "field starts with this text", exactly, whatever the text holds.
 *
 * Not `field like "<prefix>%"`: in `like`, a `_` or `%` inside the prefix is a wildcard
 * (`faq/product_faq` also matches `faq/productXfaq`), and the native Milvus Lite 2.5.1
 * engine has no working escape for `_`: tried against it, `like "a\\_b%"` and
 * `like "a\\\\_b%"` (as written in the filter) match neither `a_b` nor `a\Xb`, and
 * `like "a\_b%"` crashes the engine (SIGSEGV).
 *
 * A range is exact: the strings that start with a prefix are those from the prefix up
 * to, not including, the prefix with its last character moved one code point up (Milvus
 * compares strings byte by byte, and UTF-8 byte order is code point order).
 */

/** `field >= "<prefix>" and field < "<next>"`; empty for no prefix (no filter). */
export function prefixFilter(field: string, prefix: string | undefined): string {
  if (!prefix) return '';
  const above = nextAfterPrefixes(prefix);
  const from = `${field} >= ${stringLiteral(prefix)}`;
  return above === undefined ? from : `${from} and ${field} < ${stringLiteral(above)}`;
}

/**
 * A filter string literal. Inside one the engine decodes `\\` and `\"` (which is what
 * JSON.stringify writes for a backslash and a quote) and no other escape; JSON's escapes
 * for control characters then stay as written, so such a prefix matches nothing, where
 * a raw newline would crash the engine. Paths never hold control characters.
 */
function stringLiteral(value: string): string {
  return JSON.stringify(value);
}

/** The least string above every string that starts with `prefix`; undefined when there is none (all U+10FFFF). */
function nextAfterPrefixes(prefix: string): string | undefined {
  const chars = [...prefix];
  while (chars.length > 0) {
    let next = (chars.pop()?.codePointAt(0) ?? 0) + 1;
    // Surrogate code points have no UTF-8 form: the next character is U+E000.
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return chars.join('') + String.fromCodePoint(next);
  }
  return undefined;
}
