/**
 * Removes terminal control sequences from text that came from documents or a model:
 * ANSI/CSI (clear screen, colours), OSC (window titles, OSC 8 hyperlinks), other ESC
 * sequences, C0 controls except tab and newline, DEL and C1 controls. A doc must never
 * drive the terminal of whoever runs `askdocs ask`. Node's `stripVTControlCharacters`
 * knows the sequences; what it leaves (a lone ESC split across two streamed deltas, a
 * bell) goes with the character class below, so no escape ever reaches a terminal.
 */
import { stripVTControlCharacters } from 'node:util';

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** OSC (ESC ] or C1 0x9d) up to BEL or ST: Node's stripper leaves the payload of `ESC ]0;title BEL`. */
const OSC = /(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)/g;

export function stripControlChars(text: string): string {
  return stripVTControlCharacters(text.replace(OSC, '')).replace(CONTROL, '');
}

/**
 * Characters that show nothing: format characters (zero-width space and joiners, bidi
 * marks, the BOM, soft hyphen) and the other default-ignorables (Hangul fillers,
 * variation selectors, tag characters). Typed alone they look like an empty message.
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * The invisible characters that change how the text around them looks: zero-width
 * (non-)joiners, which Persian and Indic spelling and emoji sequences use, and
 * variation selectors (text or emoji style).
 */
const SHAPING = /\u200c|\u200d|[\ufe00-\ufe0f]|[\u{e0100}-\u{e01ef}]/u;

/**
 * `stripControlChars`, then the invisible characters too: what is left is what a reader
 * sees. With `keepShaping`, joiners and variation selectors stay, so "می‌خواهم" and a
 * family emoji keep their form; alone, they still leave nothing.
 */
export function stripInvisibleChars(text: string, options: { keepShaping?: boolean } = {}): string {
  const visible = stripControlChars(text);
  return visible.replace(INVISIBLE, (char) => (options.keepShaping && SHAPING.test(char) ? char : ''));
}

const ESCAPES: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Controls, and the bidi embeddings, overrides and isolates that show the text around them in another order. */
const ESCAPED = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Control characters written as escapes (`\t`, `\n`, `\x1b`, `\u202e`): for a file name
 * shown on a terminal, which must neither drive it (ESC [2J clears the screen) nor show it
 * reordered (a bidi override), nor, unlike `stripControlChars`, become a different name
 * than the one to rename.
 */
export function escapeControlChars(text: string): string {
  return text.replace(ESCAPED, (char) => {
    const code = char.charCodeAt(0);
    return ESCAPES[char] ?? (code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`);
  });
}
