/**
 * Syntax of docs-site generators that a reader of the published page never sees as
 * written: MDX's ESM lines (`import … from …`, `export const …`) and `{/* comments *\/}`,
 * Docusaurus admonition fences (`:::tip Title` … `:::`), MkDocs Material's admonitions
 * and content tabs (`!!! note "Title"`, `=== "pip"`, each with a body indented by four
 * spaces, which Markdown would otherwise read as code), lines of MDX component tags
 * (Docusaurus and Starlight tabs, `<TabItem value="win" label="Windows">`; Mintlify's
 * `<CodeGroup>`, `<Accordion title="…">`, `<Note>`: a label or title stays, as a MkDocs tab's
 * title does, for it is often all that says which OS a command is for or what a FAQ asks),
 * `[TOC]` markers, `--8<--` snippet includes of files outside the docs folder (includes.ts
 * puts those of files inside it in place), VitePress `<<<` snippet imports whose file was not
 * read (snippets.ts puts the others in place), `<script>` and `<style>` blocks (code and styles
 * the page runs), lines that are only template tags (`{{< tabs >}}`, `{{% notice %}}`,
 * `{{tab}}`, `{% include x.md %}`), and a heading's own id after its text (`## Archive a
 * project {#archive}`; headingIdOf reads it), MkDocs Material's icon shortcodes and attribute
 * lists on links and lines, PyMdown's blocks (`/// note | Title` … `///`: the title stays, as an
 * admonition's does), mkdocs-autorefs cross-references (`[`BaseModel`][pydantic.BaseModel]`, a
 * reference link whose label the page does not define: it reads as its text, as the site shows
 * it), and the attributes of a code fence (`` ```py {title="Old way" hl_lines="3"} ``: the title
 * stays in the info string, as VitePress writes it, `` ```py [Old way] ``). A tag
 * inside a line (`v{{var.release}}` in a command) stays: its text is where the value goes.
 *
 * Docusaurus parses `.md` files as MDX too, so this runs on every Markdown file. Fenced
 * code is never touched: an `export FOO=bar` or `import os` in a sample is content.
 *
 * The rewrite keeps every line's length and start, so the parser's offsets still index
 * the source: a line is blanked with spaces, a kept title and a dedented line move their
 * leading white space to the end of the line (leading spaces would make indented code).
 */
import { markFencedLines } from './headings.ts';

const IMPORT = /^import\s[\s\S]*?\bfrom\s*['"]|^import\s*['"]/;
const EXPORT = /^export\s+(?:const|let|var|function|async\s+function|class|default|\{|\*)/;
// Three colons or more: `::::info` wraps a nested `:::tip`.
const ADMONITION_FENCE = /^[ \t]*:{3,}[ \t]*([\w-]*)(.*)$/;
// `!!! note "Title"`, `??? tip`, `???+ warning "Title"`, `=== "Tab label"`.
const MKDOCS_BLOCK = /^(?:(?:!!!|\?\?\?\+?)[ \t]+[\w-]+(?:[ \t]+[\w-]+)*[ \t]*(?:"([^"]*)")?|===\+?[ \t]+"([^"]*)")[ \t]*$/;
const MKDOCS_INDENT = '    ';
// A line of only component tags: a name with a capital is a component in MDX, never HTML
// (`<Tabs groupId="os">`, `</TabItem>`, `<CodeGroup>`, `<Accordion title="…">`, `<Card … />`).
// CommonMark would read such a line as the start of an HTML block running to the next blank
// line, swallowing a code fence that follows it (its `# comment` lines then read as headings)
// and keeping the tags in the text; MDX parses what follows as Markdown.
const COMPONENT_TAGS_LINE = /^[ \t]*(?:<\/?[A-Z][\w.]*(?:[ \t][^<>]*)?\/?>[ \t]*)+$/;
const COMPONENT_OPENING = /<([A-Z][\w.]*)(?:[ \t]([^<>]*?))?\/?>/g;
// Hugo shortcodes, Jinja/Handlebars and Liquid tags alone on a line (indented less than code).
const TEMPLATE_TAG = String.raw`(?:\{\{[^{}\n]*\}\}|\{%[^\n]*?%\})`;
const TEMPLATE_LINE = new RegExp(String.raw`^ {0,3}${TEMPLATE_TAG}(?:[ \t]*${TEMPLATE_TAG})*[ \t]*$`);
// An ATX heading line (also inside a list item or a quote) ending in an attribute block:
// `{#archive}` (Docusaurus, Pandoc, kramdown; `\{#archive}` escaped for MDX), `{: #archive }`
// and `{#archive .class}` (MkDocs attr_list).
const HEADING_WITH_ATTRIBUTES = /^([ \t>]*(?:(?:[-*+]|\d+[.)])[ \t]+)?#{1,6}[ \t].*?)[ \t]*\\?\{:?[ \t]*([^{}\n]*?)[ \t]*\}[ \t]*$/;
const ATTRIBUTE = /^(?:#[^\s#]+|\.[\w-]+|[\w-]+=\S+)$/;
// MkDocs Material's icons and emoji (`:octicons-file-code-24:`, `:material-check:`, `:smile:`):
// pictures on the page, not words. Not inside a word or a time ("10:30:00").
const EMOJI_SHORTCODE = /(?<![\p{L}\p{N}_:]):[a-z0-9][a-z0-9_+-]*:(?![\p{L}\p{N}_:])/gu;
// CommonMark's HTML block start for `<script>` and `<style>`: the tag at the line's start, then
// a space, `>` or the line's end (`<script setup lang="ts">`, `<style scoped>`), not `<scripts>`.
const SCRIPT_START = /^ {0,3}<(script|style)(?=[\s>]|$)/im;
// attr_list on an inline element (`[Start](start.md){ .md-button }`) or alone on a line
// (`{: .source-link }`): a style for the page, nothing to read.
const INLINE_ATTRIBUTES = /(?<=[)\]]|^[ \t]*)\{:?[ \t]*(?:[#.][\w-]+|[\w-]+=\S+)(?:[ \t]+(?:[#.][\w-]+|[\w-]+=\S+))*[ \t]*\}/g;
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

export function blankSiteSyntax(source: string): string {
  const marked = markFencedLines(blankScriptBlocks(source));
  const lines = marked.map(({ line, fence, inCode }) => ({ line, prose: !fence && !inCode }));
  blankFenceAttributes(lines, marked);
  blankEsm(lines);
  blankComments(lines);
  for (const entry of lines) {
    if (!entry.prose) continue;
    // Python-Markdown's table-of-contents marker, MkDocs snippet includes and VitePress snippet
    // imports (`<<< ./file.ts`) not put in place: nothing to read here.
    if (/^[ \t]*(?:\[TOC\]|-{2}8<-{2}[ \t].*|<<<[ \t]*\S.*)[ \t]*$/i.test(entry.line)) entry.line = blank(entry.line);
    if (TEMPLATE_LINE.test(entry.line)) entry.line = blank(entry.line);
    if (COMPONENT_TAGS_LINE.test(entry.line)) entry.line = keepOnly(entry.line, componentTitlesOf(entry.line));
    entry.line = blankDecorations(entry.line);
    const heading = headingAttributes(entry.line);
    if (heading) entry.line = keepOnly(entry.line, heading.line);
    const admonition = ADMONITION_FENCE.exec(entry.line);
    // Docusaurus titles: `:::tip Title` and `:::tip[Title]`.
    if (admonition) entry.line = keepOnly(entry.line, admonition[2]!.trim().replace(/^\[(.*)\]$/, '$1'));
  }
  dedentMkdocsBlocks(lines);
  // After the dedent: a block inside an admonition is at its body's column by then.
  const indentedCode = markIndentedCode(lines);
  blankPymdownBlocks(lines, indentedCode);
  unlinkUndefinedReferences(lines, indentedCode);
  return lines.map((entry) => entry.line).join('\n');
}

/**
 * `<script>` and `<style>` blocks outside code, blanked: code the page runs (VitePress's
 * `<script setup>` imports, a redirect), styles (a notebook's `<style scoped>`), never text
 * a reader sees. A block runs as CommonMark's HTML block of this kind does, from a line that
 * starts with the tag to the line that closes it (or the end of the page), fences inside it
 * included: a backtick template in the script is no code block. Blanked before fences are
 * found, so it does not open one either.
 */
function blankScriptBlocks(source: string): string {
  let text = source;
  // Once per block: what follows a block is marked again, as a fence inside it may have hidden the rest from the first marking.
  for (let from = 0; SCRIPT_START.test(text); ) {
    const lines = text.split('\n');
    const marked = markFencedLines(text);
    const i = lines.findIndex((line, k) => k >= from && !marked[k]!.fence && !marked[k]!.inCode && SCRIPT_START.test(line));
    if (i === -1) break;
    const end = new RegExp(`</${SCRIPT_START.exec(lines[i]!)![1]}\\s*>`, 'i');
    let last = i;
    while (last < lines.length - 1 && !end.test(lines[last]!)) last++;
    for (let j = i; j <= last; j++) lines[j] = blank(lines[j]!);
    text = lines.join('\n');
    from = last + 1;
  }
  return text;
}

/**
 * The id a heading line sets for itself (`## Archive a project {#archive}` → `archive`),
 * the anchor its site publishes instead of one made from its text.
 */
export function headingIdOf(line: string): string | undefined {
  return headingAttributes(line)?.id;
}

/**
 * A heading line's attribute block: the line without it, and the id it sets if any. A brace
 * group that is not attributes (`## Use {braces}`) is heading text.
 */
function headingAttributes(line: string): { line: string; id?: string } | undefined {
  const match = HEADING_WITH_ATTRIBUTES.exec(line);
  const attributes = match?.[2]?.split(/[ \t]+/);
  if (!match || !attributes?.every((attribute) => ATTRIBUTE.test(attribute))) return undefined;
  const id = attributes.find((attribute) => attribute.startsWith('#'))?.slice(1);
  return { line: match[1]!, ...(id ? { id } : {}) };
}

/**
 * What a reader sees of a line of component tags: the labels and titles of those it opens
 * (a tab's label, an accordion's question, a card's or a step's title); a Docusaurus tab
 * without a label shows its value.
 */
function componentTitlesOf(line: string): string {
  return [...line.matchAll(COMPONENT_OPENING)]
    .map(
      ([, name = '', attributes = '']) =>
        attributeOf(attributes, 'label') ??
        attributeOf(attributes, 'title') ??
        (/^(?:TabItem|Tab)$/.test(name) ? attributeOf(attributes, 'value') : undefined),
    )
    .filter((label) => label !== undefined && label.trim() !== '')
    .join(' ');
}

function attributeOf(attributes: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|\\s)${name}=(?:"([^"]*)"|'([^']*)'|\\{["'\`]([^"'\`]*)["'\`]\\})`).exec(attributes);
  return match ? (match[1] ?? match[2] ?? match[3]) : undefined;
}

interface Line {
  line: string;
  /** Outside fenced code, fence lines excluded. */
  prose: boolean;
}

/** An ESM statement runs from its first line until its brackets balance, never past a blank or code line. */
function blankEsm(lines: Line[]): void {
  for (let i = 0; i < lines.length; i++) {
    // MDX reads ESM only where a block starts: at the top, after a blank line (an ESM line
    // already blanked counts), a fence or the front matter's closing line; "…then\nimport
    // them from …" in a wrapped paragraph is prose.
    const previous = lines[i - 1];
    const blockStart = !previous?.prose || /^(?:\s*|---|\+\+\+)\s*$/.test(previous.line);
    if (!blockStart || !lines[i]!.prose || !/^(?:import|export)\b/.test(lines[i]!.line)) continue;
    let depth = 0;
    let end = i;
    for (; end < lines.length && lines[end]!.prose && lines[end]!.line.trim() !== ''; end++) {
      depth += bracketBalance(lines[end]!.line);
      if (depth <= 0) break;
    }
    if (end >= lines.length || !lines[end]!.prose || lines[end]!.line.trim() === '') end--;
    const statement = lines
      .slice(i, end + 1)
      .map((entry) => entry.line)
      .join('\n');
    if (!IMPORT.test(statement) && !EXPORT.test(statement)) continue;
    for (let j = i; j <= end; j++) lines[j]!.line = blank(lines[j]!.line);
    i = end;
  }
}

function bracketBalance(line: string): number {
  return (line.match(/[{([]/g)?.length ?? 0) - (line.match(/[})\]]/g)?.length ?? 0);
}

/** `{/* … *\/}` in prose, also across lines of one run of prose. */
function blankComments(lines: Line[]): void {
  for (let i = 0; i < lines.length; ) {
    if (!lines[i]!.prose) {
      i++;
      continue;
    }
    let end = i;
    while (end < lines.length && lines[end]!.prose) end++;
    const run = lines.slice(i, end);
    const text = run
      .map((entry) => entry.line)
      .join('\n')
      .replace(/\{\/\*[\s\S]*?\*\/\}/g, blank);
    text.split('\n').forEach((line, k) => {
      run[k]!.line = line;
    });
    i = end;
  }
}

/** The marker line keeps only its title; the body indented under it moves four spaces left. */
function dedentMkdocsBlocks(lines: Line[]): void {
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
function blankPymdownBlocks(lines: Line[], indentedCode: boolean[]): void {
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
function unlinkUndefinedReferences(lines: Line[], indentedCode: boolean[]): void {
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
function markIndentedCode(lines: Line[]): boolean[] {
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
function blankFenceAttributes(lines: Line[], marked: { fence: boolean }[]): void {
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

/** A line without its icons and inline attribute lists; code spans (`:smile:` written to be shown) untouched. */
function blankDecorations(line: string): string {
  return line
    .split(/(`+[^`]*`+)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(EMOJI_SHORTCODE, blank).replace(INLINE_ATTRIBUTES, blank)))
    .join('');
}

function blank(text: string): string {
  return text.replace(/[^\n]/g, ' ');
}

/** The line's length, holding only `kept` at its start (a title), or nothing. */
function keepOnly(line: string, kept: string): string {
  return kept.length > 0 && kept.length <= line.length ? kept.padEnd(line.length, ' ') : blank(line);
}
