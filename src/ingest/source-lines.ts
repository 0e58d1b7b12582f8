/**
 * Editing a page's lines in place for the parser (site-syntax.ts, mkdocs-syntax.ts): every
 * edit keeps a line's length and start, so the parser's offsets still index the source.
 */

export interface SourceLine {
  line: string;
  /** Outside fenced code, fence lines excluded. */
  prose: boolean;
}

/** The text as spaces, line breaks kept. */
export function blank(text: string): string {
  return text.replace(/[^\n]/g, ' ');
}

/** The line's length, holding only `kept` at its start (a title), or nothing. */
export function keepOnly(line: string, kept: string): string {
  return kept.length > 0 && kept.length <= line.length ? kept.padEnd(line.length, ' ') : blank(line);
}
