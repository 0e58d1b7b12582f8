/**
 * MkDocs' syntax that a reader of the published page never sees as written (site-syntax.ts
 * runs these with the other sites' syntax): MkDocs Material's admonitions and content tabs
 * (`!!! note "Title"`, `=== "pip"`, each with a body indented by four spaces, which Markdown
 * would otherwise read as code), PyMdown's blocks (`/// note | Title` … `///`: the title stays,
 * as an admonition's does), mkdocs-autorefs cross-references (`[`BaseModel`][pydantic.BaseModel]`,
 * a reference link whose label the page does not define: it reads as its text, as the site
 * shows it), and the attributes of a code fence (`` ```py {title="Old way" hl_lines="3"} ``: the
 * title stays in the info string, as VitePress writes it, `` ```py [Old way] ``).
 */
import { blank, keepOnly, type SourceLine } from './source-lines.ts';

// `!!! note "Title"`, `??? tip`, `???+ warning "Title"`, `=== "Tab label"`.
const MKDOCS_BLOCK = /^(?:(?:!!!|\?\?\?\+?)[ \t]+[\w-]+(?:[ \t]+[\w-]+)*[ \t]*(?:"([^"]*)")?|===\+?[ \t]+"([^"]*)")[ \t]*$/;
const MKDOCS_INDENT = '    ';

// PyMdown blocks: `/// name | title` opens one (more slashes for a nested one), a line of
// only the slashes closes it. Options follow the opening line, indented (`    type: warning`).
const PYMDOWN_BLOCK_START = /^[ \t]*(\/{3,})[ \t]*([\w-]+)[ \t]*(?:\|[ \t]*(.*?))?[ \t]*$/;
const PYMDOWN_BLOCK_END = /^[ \t]*(\/{3,})[ \t]*$/;
const PYMDOWN_BLOCK_OPTION = /^(?: {4}|\t)[ \t]*[\w-]+[ \t]*:/;
// PyMdown's own blocks and the admonition types: the title is all a reader sees of the marker
// line. Another name is a site's own block (`/// version-added | v2.7`), whose name says what
// the title is about: it stays, as words ("version added v2.7").
const PYMDOWN_TITLED_BLOCKS = new Set(
  'admonition details tab caption define note attention caution danger error tip hint warning important info abstract summary tldr todo example question help faq success check done failure fail missing bug quote cite seealso settings new'.split(
    ' ',
  ),
);
// A code fence's opening line with attributes after its language: PyMdown's and MkDocs
// Material's `{title="Old way" hl_lines="3 4"}`, `{.python linenums="1"}`, and the same
// without braces (`python hl_lines="3 4"`). Group 1 is the fence, 2 the language, 3 the rest.
const FENCE_LINE = /^([ \t]*(?:`{3,}|~{3,}))[ \t]*([^\s{`]*)[ \t]*(.*)$/;
const FENCE_ATTRIBUTE = String.raw`(?:[#.][\w-]+|[\w-]+=(?:"[^"]*"|'[^']*'|[^\s"'{}]+))`;
const FENCE_ATTRIBUTES = new RegExp(
  String.raw`^(?:\{[ \t]*(?:${FENCE_ATTRIBUTE}[ \t]*)*\}|${FENCE_ATTRIBUTE}(?:[ \t]+${FENCE_ATTRIBUTE})*)[ \t]*$`,
);
// A reference link, `[text][label]` or `[text][]`, within one line; not an image, not escaped.
const REFERENCE_LINK = /(?<![!\\\]])\[((?:[^[\]\n]|\[[^[\]\n]*\])+)\]\[([^[\]\n]*)\]/g;
// Python-Markdown's definition of a reference link's label: `[label]: https://…`.
const LINK_DEFINITION = /^[ \t>]*\[([^\]]+)\]:/;
// A code span within one line, to find text outside code.
const LINE_CODE_SPAN = /(?<!`)(`+)(?!`)[^\n]*?[^`]\1(?!`)/g;

/** The marker line keeps only its title; the body indented under it moves four spaces left. */
export function dedentMkdocsBlocks(lines: SourceLine[]): void {
  for (let i = 0; i < lines.length; i++) {
    const entry = lines[i]!;
    if (!entry.prose) continue;
    const block = MKDOCS_BLOCK.exec(entry.line);
    if (!block) continue;
    entry.line = keepOnly(entry.line, (block[1] ?? block[2] ?? '').trim());
    for (let j = i + 1; j < lines.length; j++) {
      const body = lines[j]!.line;
      if (body.trim() !== '' && !body.startsWith(MKDOCS_INDENT)) break;
      if (body.startsWith(MKDOCS_INDENT)) lines[j]!.line = `${body.slice(MKDOCS_INDENT.length)}${MKDOCS_INDENT}`;
    }
  }
}

/**
 * PyMdown's block markers blanked, their bodies (not indented) left as they are: the opening
 * line keeps its title, its option lines go, and the closing line is blanked when a block is
 * open (a line of slashes elsewhere is text).
 */
export function blankPymdownBlocks(lines: SourceLine[], indentedCode: boolean[]): void {
  const open: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const entry = lines[i]!;
    if (!entry.prose || indentedCode[i]) continue;
    const end = PYMDOWN_BLOCK_END.exec(entry.line);
    if (end && open.length > 0) {
      // Its slashes close the innermost block with as many, and any opened inside it.
      const k = open.lastIndexOf(end[1]!.length);
      if (k !== -1) {
        open.length = k;
        entry.line = blank(entry.line);
      }
      continue;
    }
    const start = PYMDOWN_BLOCK_START.exec(entry.line);
    if (!start) continue;
    const name = start[2]!;
    const title = start[3] ?? '';
    const kept = name === 'html' ? '' : PYMDOWN_TITLED_BLOCKS.has(name) ? title : `${name.replace(/[-_]+/g, ' ')} ${title}`;
    entry.line = keepOnly(entry.line, kept.trim());
    open.push(start[1]!.length);
    for (let j = i + 1; j < lines.length && lines[j]!.prose && PYMDOWN_BLOCK_OPTION.test(lines[j]!.line); j++) {
      lines[j]!.line = blank(lines[j]!.line);
      i = j;
    }
  }
}

/**
 * mkdocs-autorefs cross-references, `[`BaseModel`][pydantic.BaseModel]`: reference links whose
 * label the page does not define, which the site resolves to its API pages and Markdown leaves
 * as written, brackets and label. Each reads as its text (code span kept); the rest of the line
 * moves left, padded at its end. A label the page defines is a link Markdown reads; code stays.
 */
export function unlinkUndefinedReferences(lines: SourceLine[], indentedCode: boolean[]): void {
  const defined = new Set(
    lines.flatMap((entry) => {
      const label = entry.prose ? LINK_DEFINITION.exec(entry.line)?.[1] : undefined;
      return label === undefined ? [] : [normalizeLabel(label)];
    }),
  );
  for (const [i, entry] of lines.entries()) {
    if (!entry.prose || indentedCode[i] || !entry.line.includes('][')) continue;
    // Code spans masked, so a link inside one is not found and one inside a link's text is kept.
    const masked = entry.line.replace(LINE_CODE_SPAN, (span) => '\u0000'.repeat(span.length));
    let out = '';
    let from = 0;
    for (const match of masked.matchAll(REFERENCE_LINK)) {
      const [whole, text = '', label = ''] = match;
      if (label.includes('\u0000') || defined.has(normalizeLabel(label || text))) continue;
      const at = match.index;
      out += entry.line.slice(from, at) + entry.line.slice(at + 1, at + 1 + text.length);
      from = at + whole.length;
    }
    if (from > 0) entry.line = (out + entry.line.slice(from)).padEnd(entry.line.length, ' ');
  }
}

/**
 * Lines of indented code (a log pasted under a paragraph, `[SERVER][GetCollection][]`), as
 * CommonMark reads them at the top level: indented four spaces or more after a blank line or
 * another such line, outside a list (a list item's text is indented as much in MkDocs). Run after
 * the admonition bodies are dedented.
 */
export function markIndentedCode(lines: SourceLine[]): boolean[] {
  const code: boolean[] = [];
  let inList = false;
  let previousBlank = true;
  for (const [i, entry] of lines.entries()) {
    const blankLine = entry.line.trim() === '';
    const indented = /^(?: {4}|\t| {0,3}\t)/.test(entry.line);
    code[i] = entry.prose && !blankLine && indented && !inList && (previousBlank || code[i - 1] === true);
    if (entry.prose && !blankLine && !indented) {
      if (/^ {0,3}(?:[-*+]|\d+[.)])(?:[ \t]|$)/.test(entry.line)) inList = true;
      // After a blank line, text at the margin ends the list; without one it is the item's text.
      else if (previousBlank) inList = false;
    }
    previousBlank = blankLine;
  }
  return code;
}

function normalizeLabel(label: string): string {
  return label.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * A code fence's attributes (`{title="Old way" hl_lines="3 4"}`, `linenums="1"`, a test
 * runner's `{test="skip"}`), blanked from its opening line: markup for the site, which the
 * chunk's text showed and the index read as words. The language stays; so does a title, as
 * `[title]`. An info string that is not all attributes (VitePress's `js{4}`) is left as written.
 */
export function blankFenceAttributes(lines: SourceLine[], marked: { fence: boolean }[]): void {
  let open: string | undefined;
  lines.forEach((entry, i) => {
    if (!marked[i]!.fence) return;
    const match = FENCE_LINE.exec(entry.line);
    if (!match) return;
    const [, fence = '', language = '', rest = ''] = match;
    const marker = fence.trim();
    // As markFencedLines: the first fence line opens, one of the same character, as long and
    // without an info string closes; a fence line inside the code is the code's.
    if (open !== undefined) {
      if (marker[0] === open[0] && marker.length >= open.length && `${language}${rest}`.trim() === '') open = undefined;
      return;
    }
    open = marker;
    if (rest === '' || !FENCE_ATTRIBUTES.test(rest)) return;
    const lang = language || /(?:^|[{\s])\.([\w+-]+)/.exec(rest)?.[1] || '';
    const title = /(?:^|[{\s])title=(?:"([^"]*)"|'([^']*)'|([^\s"'{}]+))/.exec(rest);
    const titleText = (title?.[1] ?? title?.[2] ?? title?.[3] ?? '').trim();
    const info = [lang, titleText && `[${titleText}]`].filter(Boolean).join(' ');
    entry.line = `${fence}${info}`.padEnd(entry.line.length, ' ');
  });
}
