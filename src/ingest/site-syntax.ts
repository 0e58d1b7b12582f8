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
import {
  blankFenceAttributes,
  blankPymdownBlocks,
  dedentMkdocsBlocks,
  markIndentedCode,
  unlinkUndefinedReferences,
} from './mkdocs-syntax.ts';
import { blank, keepOnly, type SourceLine } from './source-lines.ts';

const IMPORT = /^import\s[\s\S]*?\bfrom\s*['"]|^import\s*['"]/;
const EXPORT = /^export\s+(?:const|let|var|function|async\s+function|class|default|\{|\*)/;
// Three colons or more: `::::info` wraps a nested `:::tip`.
const ADMONITION_FENCE = /^[ \t]*:{3,}[ \t]*([\w-]*)(.*)$/;
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

/** An ESM statement runs from its first line until its brackets balance, never past a blank or code line. */
function blankEsm(lines: SourceLine[]): void {
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
function blankComments(lines: SourceLine[]): void {
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

/** A line without its icons and inline attribute lists; code spans (`:smile:` written to be shown) untouched. */
function blankDecorations(line: string): string {
  return line
    .split(/(`+[^`]*`+)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(EMOJI_SHORTCODE, blank).replace(INLINE_ATTRIBUTES, blank)))
    .join('');
}
