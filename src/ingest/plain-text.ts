/**
 * A chunk's Markdown reduced to the words a reader sees: what is embedded and what BM25
 * indexes (document.ts). HTML goes only where it is HTML: a tag as CommonMark reads one (a
 * tag name, then attributes; a closing tag; `/>`) and a comment, outside code. In fenced
 * code and code spans `<` and `>` are text (`Array<any>`, `RuleModule<"uppercase", ...>`,
 * an HTML sample), and outside code a `<` that starts no tag (`a < b`, `<https://…>`,
 * `<<<`) is text too. Deleting everything from `<` to `>` took the type arguments out of
 * every TypeScript sample.
 */
import { markFencedLines } from './headings.ts';

// CommonMark's raw HTML, with the attribute names of Vue (`:members`, `@click`, `#default`)
// and JSX's `{…}` values, which MDX and VitePress pages use in the same places.
const ATTRIBUTE_VALUE = String.raw`(?:"[^"]*"|'[^']*'|\{[^{}]*\}|[^\s"'=<>\x60]+)`;
const ATTRIBUTE = String.raw`\s+[A-Za-z_:@#][\w.:-]*(?:\s*=\s*${ATTRIBUTE_VALUE})?`;
const HTML_TAG = String.raw`<[A-Za-z][A-Za-z0-9-]*(?:${ATTRIBUTE})*\s*\/?>|<\/[A-Za-z][A-Za-z0-9-]*\s*>`;
// A code span: a run of backticks closed by a run as long, within one paragraph.
const CODE_SPAN = String.raw`(?<!\x60)(?<ticks>\x60+)(?!\x60)(?:(?!\n[ \t]*\n)[\s\S])*?[^\x60]\k<ticks>(?!\x60)`;
const INLINE_MARKUP = new RegExp(`(${CODE_SPAN})|<!--[\\s\\S]*?-->|${HTML_TAG}`, 'g');

export function plainText(markdown: string): string {
  return withoutHtml(markdown)
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^[ \t]*#{1,6}[ \t]+/gm, '')
    .replace(/^[ \t]*\|?[ \t]*:?-{3,}.*$/gm, '')
    .replace(/[ \t]*\|[ \t]*/g, ' | ')
    .replace(/&nbsp;/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n\s*\n+/g, '\n')
    .trim();
}

/** The text with its HTML tags and comments replaced by a space, fenced code and code spans as written. */
export function withoutHtml(markdown: string): string {
  const out: string[] = [];
  let prose: string[] = [];
  const flushProse = () => {
    if (prose.length > 0) out.push(proseWithoutHtml(prose.join('\n')));
    prose = [];
  };
  for (const { line, fence, inCode } of markFencedLines(markdown)) {
    if (fence || inCode) {
      flushProse();
      out.push(line);
    } else prose.push(line);
  }
  flushProse();
  return out.join('\n');
}

/**
 * As CommonMark reads inline text, left to right: whichever starts first, a code span or a
 * tag, wins (`` `<div>` `` is code; in `<Tab label={`npm`}>` the backticks are the tag's).
 */
function proseWithoutHtml(text: string): string {
  return text.replace(INLINE_MARKUP, (markup, codeSpan: string | undefined) => (codeSpan === undefined ? ' ' : markup));
}
