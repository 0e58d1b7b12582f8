/**
 * Splits one document (markdown, MDX or plain text) into retrieval chunks that follow
 * its headings. Pure: no I/O, no ids, no URLs (those belong to ingest).
 *
 * Markdown is parsed with mdast (GFM + front matter) only to find block boundaries;
 * chunk text is sliced from the ORIGINAL source, so code blocks and tables keep their
 * exact markdown. Each chunk knows its heading path. A heading with no text of its
 * own joins the section after it, and a short section joins its parent or its first
 * subsection (heading lines kept in the text); siblings are never merged, so each FAQ
 * question keeps a chunk (and a vector) of its own. Sections over the size cap are
 * split between blocks (list items, table rows), then lines, then sentences, with
 * overlap; a code block is only cut when it alone exceeds the cap (pieces re-fenced).
 */
import GithubSlugger from 'github-slugger';
import type { Heading, Nodes, PhrasingContent, RootContent } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { frontmatterFromMarkdown } from 'mdast-util-frontmatter';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { frontmatter } from 'micromark-extension-frontmatter';
import { gfm } from 'micromark-extension-gfm';
import { parse as parseYaml } from 'yaml';
import { markFencedLines } from './headings.ts';
import { blankSiteSyntax, headingIdOf } from './site-syntax.ts';

/** MDX is read as Markdown: its own syntax is left out for `.md` files too (site-syntax.ts). */
export type DocumentFormat = 'markdown' | 'text';

export interface ChunkerOptions {
  /** Hard cap on a chunk's text length, in characters. */
  maxChars: number;
  /** Characters repeated from the end of one piece at the start of the next when a section is split. */
  overlapChars: number;
  /** Sections shorter than this are merged into a neighbour when the result fits the cap. */
  minChars?: number;
  /** The page's label in its site's navigation (a MkDocs `nav`): its title unless it sets one or has a `# ` heading. */
  navTitle?: string | undefined;
}

export interface TextChunk {
  /** Headings from the document's top heading down to this chunk's own heading. */
  headingPath: string[];
  text: string;
  /**
   * Its own heading's anchor on the published page: the heading's id when it sets one
   * (`{#archive}`), else its text slugged as GitHub and Docusaurus do, a heading repeated on
   * the page numbered (`#fixed`, `#fixed-1`, `#fixed-2`). None for text before any heading.
   */
  anchor?: string;
}

export interface ChunkedDocument {
  title: string;
  chunks: TextChunk[];
  /** Where the page says it is published (front matter `slug`, `id`), for its link. */
  published?: PublishedAs;
}

export interface PublishedAs {
  slug?: string;
  /** Front matter `id`: the page's name on its site, for a `{id}` link template. */
  id?: string;
}

/** Picks the format from a file name: .md, .mdx and .markdown are Markdown, anything else is plain text. */
export function formatOf(path: string): DocumentFormat {
  return /\.(md|mdx|markdown)$/i.test(path) ? 'markdown' : 'text';
}

export function chunkDocument(
  source: string,
  path: string,
  options: ChunkerOptions,
  format: DocumentFormat = formatOf(path),
): ChunkedDocument {
  const { navTitle } = options;
  const limits = resolveLimits(options);
  const text = source.replace(/\r\n?/g, '\n');
  // Past this much inline text, Markdown parsing takes minutes: the file is read as text.
  if (format === 'text' || longestInlineRun(text) > MAX_INLINE_RUN) {
    const sections: Section[] = [{ headingPath: [], depth: 0, headingLine: undefined, body: paragraphsOf(text) }];
    return { title: underlinedTitle(text) ?? navTitle ?? fileTitle(path), chunks: chunkSections(sections, limits) };
  }
  const parsed = parseMarkdown(blankSiteSyntax(text), text);
  const { title: frontMatterTitle, ...published } = parsed.frontMatter;
  // A page in a site's nav is titled as MkDocs Material shows it: by its `# ` heading if it has
  // one, else by its nav label; a `## ` heading names a section, not the page.
  const heading = parsed.sections.find((s) => (navTitle === undefined ? s.depth > 0 : s.depth === 1))?.headingPath.at(-1);
  const title = frontMatterTitle ?? heading ?? navTitle ?? fileTitle(path);
  return { title, chunks: chunkSections(parsed.sections, limits), ...(Object.keys(published).length > 0 ? { published } : {}) };
}

/**
 * micromark resolves emphasis and links within one run of inline text in quadratic
 * time: 200 KB of `*a*a*a…` took minutes, holding the process (Ctrl-C included). The
 * longest run in real docs is a few thousand characters (7,278 in the Milvus docs).
 */
const MAX_INLINE_RUN = 30_000;

/**
 * The longest run of lines Markdown would parse as one piece of inline text: lines
 * between blank lines and block starts (headings, list items, quotes, table rows), code
 * left out.
 */
function longestInlineRun(text: string): number {
  let longest = 0;
  let run = 0;
  for (const { line, fence, inCode } of markFencedLines(text)) {
    if (fence || inCode || line.trim() === '') run = 0;
    else if (/^[ \t]*(?:#{1,6}[ \t]|[-*+>][ \t]|\d+[.)][ \t]|\|)/.test(line)) run = line.length;
    else run += line.length + 1;
    longest = Math.max(longest, run);
  }
  return longest;
}

// ---------------------------------------------------------------------------
// Parsing: markdown → sections of blocks

interface Block {
  text: string;
  /** Fenced code: only split when the block alone exceeds the cap. */
  code: boolean;
  /** A GFM table: when split, every piece repeats the header row. */
  table?: boolean;
  /**
   * Containers (lists, list items, block quotes) keep their children, so an
   * oversized list is split between items, never through a code block inside one.
   * `gaps[i]` is the source text between `parts[i]` and `parts[i + 1]`.
   */
  parts?: Block[];
  gaps?: string[];
}

interface Section {
  headingPath: string[];
  /** 0 for text before the first heading. */
  depth: number;
  /** The heading's own source line(s), e.g. `#### Where does Milvus store data?`. */
  headingLine: string | undefined;
  /** See TextChunk. */
  anchor?: string;
  body: Block[];
}

interface FrontMatter extends PublishedAs {
  title?: string;
}

interface ParsedMarkdown {
  frontMatter: FrontMatter;
  sections: Section[];
}

/** `source` is the document with its site syntax blanked (site-syntax.ts), `original` as written, at the same offsets. */
function parseMarkdown(source: string, original: string): ParsedMarkdown {
  const tree = fromMarkdown(source, {
    extensions: [gfm(), frontmatter(['yaml', 'toml'])],
    mdastExtensions: [gfmFromMarkdown(), frontmatterFromMarkdown(['yaml', 'toml'])],
  });
  let frontMatter: FrontMatter | undefined;
  const sections: Section[] = [{ headingPath: [], depth: 0, headingLine: undefined, body: [] }];
  const stack: { depth: number; text: string }[] = [];
  // One per page: a repeated heading's anchor is numbered by the ones before it.
  const slugger = new GithubSlugger();

  const visit = (nodes: RootContent[], containerStart?: number) => {
    nodes.forEach((node, index) => {
      // The first block of a flattened container (a list item holding a heading) starts
      // at the container, so its list marker is not lost.
      const start = index === 0 && containerStart !== undefined ? containerStart : undefined;
      if (node.type === 'yaml') {
        frontMatter ??= frontMatterFromYaml(node.value);
        return;
      }
      // Hugo's TOML front matter (`+++ … +++`); mdast's types know only YAML's node.
      if ((node as { type: string }).type === 'toml') {
        frontMatter ??= frontMatterFromToml((node as unknown as { value: string }).value);
        return;
      }
      if (node.type === 'heading') {
        const headingText = headingTextOf(node);
        // `## ---` drawn as a separator (Drizzle's docs) names nothing: as a section it became
        // every following section's parent ("--- › Identity Columns").
        if (!/[\p{L}\p{N}]/u.test(headingText)) return;
        while (stack.length > 0 && stack[stack.length - 1]!.depth >= node.depth) stack.pop();
        stack.push({ depth: node.depth, text: headingText });
        sections.push({
          headingPath: stack.map((h) => h.text),
          depth: node.depth,
          headingLine: sliceLines(source, node, start),
          // As Docusaurus does, a heading's own id does not count towards the numbers.
          anchor: headingIdOf(lineAt(original, offsetsOf(node).start)) ?? slugger.slug(headingText),
          body: [],
        });
        return;
      }
      // A heading inside a block quote is a callout's title (`> ## Note`), not the page's
      // outline: as a section it re-parented every section after it ("API › Note › logger.child").
      if ('children' in node && node.type !== 'blockquote' && containsHeading(node)) {
        visit(node.children as RootContent[], start ?? offsetsOf(node).start);
        return;
      }
      if (isMarkupOnly(node)) return;
      const block = blockOf(source, node, start);
      if (block.text.trim() === '') return;
      sections[sections.length - 1]!.body.push(block);
    });
  };
  visit(tree.children);
  return {
    frontMatter: frontMatter ?? {},
    sections: sections.filter((s, i) => s.headingLine !== undefined || (s.body.length > 0 && !(i === 0 && isBanner(s, sections.length)))),
  };
}

/** A banner is a few words: a product name, badges' alt texts. */
const BANNER_MAX_WORDS = 4;

/**
 * Markup before a page's first heading with no words of its own outside it: a README-style
 * banner (`<h1 align="center">Fastify</h1>`, a logo, a row of badges) that repeats on every
 * page. As a chunk of its own it matched any short question naming the product and was shown
 * as the answer. Words written as text ("Beta feature.") stay, with the page's intro.
 */
function isBanner(preamble: Section, sectionCount: number): boolean {
  if (sectionCount < 2) return false;
  const text = preamble.body.map((block) => block.text).join('\n');
  // A home page's HTML hero ("Welcome to Milvus Docs!" and a paragraph) is read, banner or not.
  const words =
    stripHtml(text)
      .replace(/\]\([^)]*\)/g, ']')
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length >= BANNER_MAX_WORDS) return false;
  const outsideMarkup = text
    .replace(/<([a-z][a-z0-9]*)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/!\[[^\]]*\]\([^)]*\)/g, ' ')
    .replace(/\[\s*\]\([^)]*\)/g, ' ')
    // A reference link with no text left (its icon blanked, site-syntax.ts): `[ ][source]`.
    .replace(/\[\s*\]\[[^\]]*\]/g, ' ');
  return !/[\p{L}\p{N}]/u.test(outsideMarkup);
}

function lineAt(text: string, offset: number): string {
  const end = text.indexOf('\n', offset);
  return text.slice(text.lastIndexOf('\n', offset - 1) + 1, end === -1 ? undefined : end);
}

function offsetsOf(node: Nodes): { start: number; end: number } {
  const start = node.position?.start.offset;
  const end = node.position?.end.offset;
  if (start === undefined || end === undefined) throw new Error(`markdown node ${node.type} has no position`);
  return { start, end };
}

/**
 * The node's source range from the start of its first line (keeping indentation, so
 * nested code fences and tables stay valid markdown) to its end, trailing space trimmed.
 */
function lineRange(source: string, node: Nodes, startOverride?: number): { from: number; to: number } {
  const { start, end } = offsetsOf(node);
  let from = startOverride ?? start;
  const lineStart = source.lastIndexOf('\n', from - 1) + 1;
  if (/^[ \t]*$/.test(source.slice(lineStart, from))) from = lineStart;
  let to = end;
  while (to > from && /\s/.test(source[to - 1]!)) to--;
  return { from, to };
}

function sliceLines(source: string, node: Nodes, startOverride?: number): string {
  const { from, to } = lineRange(source, node, startOverride);
  return source.slice(from, to);
}

const CONTAINERS = new Set(['list', 'listItem', 'blockquote']);

function blockOf(source: string, node: Nodes, startOverride?: number): Block & { from: number; to: number } {
  const { from, to } = lineRange(source, node, startOverride);
  const text = source.slice(from, to);
  if (node.type === 'code') return { text, code: true, from, to };
  if (node.type === 'table') return { text, code: false, table: true, from, to };
  if (CONTAINERS.has(node.type) && 'children' in node && node.children.length > 0) {
    // The first child starts where its container does, so a list marker stays with it.
    const parts = (node.children as Nodes[]).map((child, i) => blockOf(source, child, i === 0 ? from : undefined));
    const gaps = parts.slice(1).map((part, i) => source.slice(parts[i]!.to, part.from));
    return { text, code: false, parts, gaps, from, to };
  }
  return { text, code: false, from, to };
}

function containsHeading(node: Nodes): boolean {
  if (node.type === 'heading') return true;
  return 'children' in node && (node.children as Nodes[]).some(containsHeading);
}

/**
 * HTML comments and bare tags (`</div>`, `<br/>`) carry no text for a reader, nor does a
 * line of inline tags alone (`<a id="usage"></a>`, an anchor GitHub-style docs put under a
 * heading: Markdown reads it as a paragraph; a tag written over several lines stays). Without this a heading followed only by its
 * anchor was a section of its own, with no text, instead of joining the one below it.
 */
function isMarkupOnly(node: Nodes): boolean {
  if (node.type === 'html') return stripHtml(node.value).trim() === '';
  if (node.type !== 'paragraph' || node.position?.start.line !== node.position?.end.line) return false;
  return node.children.every(
    (child) => (child.type === 'html' && stripHtml(child.value).trim() === '') || (child.type === 'text' && child.value.trim() === ''),
  );
}

function stripHtml(html: string): string {
  return html.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<[^>]*>/g, ' ');
}

/** The text of one heading written in Markdown (`*pending*`, `[webhook](…)`), as a label shows it. */
export function plainHeadingText(markdown: string): string {
  const tree = fromMarkdown(`# ${markdown.replace(/\s+/g, ' ')}`, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  const heading = tree.children[0];
  return heading?.type === 'heading' ? headingTextOf(heading) || markdown.trim() : markdown.trim();
}

/**
 * Heading text as written, code spans kept in backticks, other inline markup dropped.
 * Images (a README's badges, an icon) are dropped too, unless they are all there is.
 */
function headingTextOf(heading: Heading): string {
  return renderHeading(heading, false) || renderHeading(heading, true);
}

function renderHeading(heading: Heading, withImages: boolean): string {
  const render = (nodes: PhrasingContent[]): string =>
    nodes
      .map((node) => {
        switch (node.type) {
          case 'text':
            return node.value;
          case 'inlineCode':
            return `\`${node.value}\``;
          case 'break':
            return ' ';
          case 'image':
            return withImages ? (node.alt ?? '') : ' ';
          case 'html':
            return stripHtml(node.value);
          default:
            return 'children' in node ? render(node.children as PhrasingContent[]) : '';
        }
      })
      .join('');
  return render(heading.children).replace(/\s+/g, ' ').trim();
}

const FRONT_MATTER_KEYS = ['title', 'slug', 'id'] as const;

/** The front matter askdocs uses; a key that is not a non-empty string is left out. */
function frontMatterOf(read: (key: string) => unknown): FrontMatter {
  const out: FrontMatter = {};
  for (const key of FRONT_MATTER_KEYS) {
    const value = read(key);
    if (typeof value === 'string' && value.trim() !== '') out[key] = value.trim();
  }
  return out;
}

/** `key = "…"` (or '…') at the top of TOML front matter. */
function frontMatterFromToml(toml: string): FrontMatter {
  return frontMatterOf((key) => {
    const match = new RegExp(`^[ \\t]*${key}[ \\t]*=[ \\t]*(?:"((?:[^"\\\\\\n]|\\\\.)*)"|'([^'\\n]*)')`, 'm').exec(toml);
    if (match?.[1] === undefined) return match?.[2];
    try {
      // TOML's basic strings escape like JSON's, bar a few (\U…, \e): those keep their text.
      return JSON.parse(`"${match[1]}"`);
    } catch {
      return match[1];
    }
  });
}

function frontMatterFromYaml(yaml: string): FrontMatter {
  try {
    // logLevel 'error': the yaml package reports warnings (unknown tags, directives) with
    // process.emitWarning, which Node prints raw on stderr; a doc's odd front matter is
    // not the operator's business, and the title still parses.
    const data: unknown = parseYaml(yaml, { logLevel: 'error' });
    if (data && typeof data === 'object') return frontMatterOf((key) => (data as Record<string, unknown>)[key]);
  } catch {
    // Broken front matter is the document's problem, not a reason to skip it: fall back.
  }
  return {};
}

/** A plain-text file's first line, when it is underlined (`====` or `----`) as a title. */
function underlinedTitle(text: string): string | undefined {
  const [first, underline] = text.trimStart().split('\n');
  return first && underline && /^\s*(?:={3,}|-{3,})\s*$/.test(underline) && first.trim().length <= 120 ? first.trim() : undefined;
}

/**
 * A page with no title and no heading is named after its file as MkDocs names it: `-` and `_`
 * read as spaces, the first letter capitalised (`release-plan.txt` is "Release plan"). The
 * raw name ("cpu_support") read as a slug in a list of sources.
 */
function fileTitle(path: string): string {
  const parts = path.split('/');
  let name = (parts.pop() ?? path).replace(/\.(md|mdx|markdown|txt)$/i, '');
  // A folder's index page is the folder's page ("Guides"); the top one is the home page, as MkDocs names it.
  if (/^(?:_?index|readme)$/i.test(name)) name = parts.pop() ?? 'Home';
  const words = name.replace(/[-_]+/g, ' ').trim();
  return words === '' ? name : words.charAt(0).toUpperCase() + words.slice(1);
}

function paragraphsOf(text: string): Block[] {
  return text
    .split(/\n[ \t]*\n/)
    .map((p) => p.replace(/\s+$/, ''))
    .filter((p) => p.trim() !== '')
    .map((p) => ({ text: p, code: false }));
}

// ---------------------------------------------------------------------------
// Chunking: sections → merged or split chunks

interface Limits {
  maxChars: number;
  overlapChars: number;
  minChars: number;
}

const BLOCK_SEPARATOR = '\n\n';

function resolveLimits(options: ChunkerOptions): Limits {
  const maxChars = Math.max(100, Math.floor(options.maxChars));
  const overlapChars = Math.max(0, Math.min(Math.floor(options.overlapChars), Math.floor(maxChars / 2)));
  const minChars = Math.max(0, Math.min(options.minChars ?? Math.floor(maxChars / 8), maxChars));
  return { maxChars, overlapChars, minChars };
}

function sectionText(section: Section): string {
  return [section.headingLine, ...section.body.map((b) => b.text)].filter((t) => t !== undefined).join(BLOCK_SEPARATOR);
}

function chunkSections(sections: Section[], limits: Limits): TextChunk[] {
  const chunks: TextChunk[] = [];
  // A run of small sections being merged into one chunk; the chunk takes the heading
  // path of its first section with a body (a heading-only parent defers to its child).
  let pending: { sections: Section[]; text: string } | undefined;

  const flush = () => {
    if (!pending) return;
    const owner = ownerOf(pending.sections) ?? pending.sections.at(-1)!;
    chunks.push(chunkOf(owner, pending.text));
    pending = undefined;
  };

  for (const section of sections) {
    const text = sectionText(section);
    if (pending) {
      const merged = pending.text + BLOCK_SEPARATOR + text;
      const pendingIsBare = pending.sections.every((s) => s.body.length === 0);
      // Only parent and child merge: a short intro joins its first subsection, a short
      // subsection joins its parent. Siblings never do (each FAQ question keeps its own
      // chunk, so its vector is about that question alone), and neither does a
      // grandchild: a short item under a heading of its own ("etcd crash issues ›
      // 1. etcd pod pending") would otherwise land in the page intro while its
      // siblings get chunks of their own.
      const owner = ownerOf(pending.sections);
      const nested = owner !== undefined && section.headingPath.length === owner.headingPath.length + 1;
      const small = pending.text.length < limits.minChars || text.length < limits.minChars;
      if (merged.length <= limits.maxChars && (pendingIsBare || (small && nested))) {
        pending.sections.push(section);
        pending.text = merged;
        continue;
      }
      if (pendingIsBare) {
        // Heading-only lines that cannot join their child: they prefix its first piece.
        const prefix = pending.text;
        pending = undefined;
        splitSection(section, limits, prefix, chunks);
        continue;
      }
      flush();
    }
    if (text.length <= limits.maxChars) pending = { sections: [section], text };
    else splitSection(section, limits, undefined, chunks);
  }
  flush();
  return chunks;
}

function chunkOf(section: Section, text: string): TextChunk {
  return { headingPath: section.headingPath, text, ...(section.anchor !== undefined ? { anchor: section.anchor } : {}) };
}

/**
 * The section a run of merged sections is filed under: its first section with a body.
 * Text before a page's `# ` heading (a banner, a site's widget markup) is filed under
 * that heading, so it does not leave the page intro without one. Text before a first
 * `## ` heading is the page's own intro, under the page's title, and its `## ` sections
 * join it as they join a `# ` heading's intro: filed under the first of them, it read as
 * part of that section ("We recommend against using ESLint for formatting" labelled
 * "Formatters vs. Linters").
 */
function ownerOf(sections: Section[]): Section | undefined {
  const first = sections.find((s) => s.body.length > 0);
  const nextHeading = sections.find((s) => s.depth > 0);
  if (first?.depth === 0 && nextHeading?.depth === 1) return sections.find((s) => s.body.length > 0 && s.depth > 0) ?? first;
  return first;
}

/**
 * Packs an oversized section's blocks into pieces under the cap. The first piece
 * starts with the heading line(s); later pieces begin with up to `overlapChars` of
 * the previous piece's tail for context.
 */
function splitSection(section: Section, limits: Limits, headingPrefix: string | undefined, out: TextChunk[]): void {
  const head = [headingPrefix, section.headingLine].filter((t) => t !== undefined).join(BLOCK_SEPARATOR);
  let units = section.body.flatMap((block) => splitBlock(block, limits.maxChars));
  // Keep a heading with the start of its content: when the first unit does not fit
  // beside it, cut that unit smaller rather than leave the heading alone in a chunk.
  const room = limits.maxChars - head.length - BLOCK_SEPARATOR.length;
  const first = units[0];
  if (head !== '' && first && first.text.length > room && room >= MIN_SPLIT_ROOM) {
    units = [...splitBlock(first, room), ...units.slice(1)];
  }

  let piece: Block[] = head === '' ? [] : [{ text: head, code: false }];
  let pieceText = head;
  let pieceHasBody = false;
  for (const unit of units) {
    const candidate = pieceText === '' ? unit.text : pieceText + BLOCK_SEPARATOR + unit.text;
    if (candidate.length <= limits.maxChars || pieceText === '') {
      piece.push(unit);
      pieceText = candidate;
      pieceHasBody = true;
      continue;
    }
    out.push(chunkOf(section, pieceText));
    const overlap = pieceHasBody
      ? overlapOf(piece.at(-1), Math.min(limits.overlapChars, limits.maxChars - unit.text.length - BLOCK_SEPARATOR.length))
      : '';
    piece = overlap === '' ? [unit] : [{ text: overlap, code: false }, unit];
    pieceText = piece.map((b) => b.text).join(BLOCK_SEPARATOR);
    pieceHasBody = true;
  }
  if (pieceText.trim() !== '') out.push(chunkOf(section, pieceText));
}

/** Smallest room worth cutting a block to, so that it can sit beside its heading. */
const MIN_SPLIT_ROOM = 200;

/**
 * The tail of a block to repeat at the start of the next piece: whole lines or sentences,
 * never code, and never table rows (cut from their header they are no table, and a table's
 * next piece repeats its header instead). A group of list items can end in an item's fenced
 * code: only its lines after that code count, or the next piece began inside code without
 * its opening fence, and its closing fence then read as the start of code for the rest of
 * the piece (which is how the prose after it was shown and indexed).
 */
function overlapOf(last: Block | undefined, budget: number): string {
  if (budget <= 0 || !last || last.code || last.table) return '';
  const marked = markFencedLines(last.text);
  const afterCode = marked.findLastIndex(({ fence, inCode }) => fence || inCode) + 1;
  const lines = marked.slice(afterCode).map(({ line }) => line);
  if (lines.every((line) => line.trim() === '')) return '';
  const kept = takeTail(lines, budget, '\n');
  if (kept !== '') return kept;
  // One long line (a markdown paragraph): keep its last whole sentences.
  return takeTail(sentencesOf(lines.at(-1) ?? ''), budget, ' ');
}

function takeTail(parts: string[], budget: number, joiner: string): string {
  const kept: string[] = [];
  let size = 0;
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!;
    if (size + part.length + joiner.length > budget) break;
    kept.unshift(part);
    size += part.length + joiner.length;
  }
  return kept.join(joiner).trim();
}

/** Splits one block into units no longer than `cap`: lines, then sentences, then words. */
function splitBlock(block: Block, cap: number): Block[] {
  if (block.text.length <= cap) return [block];
  if (block.code) return splitCode(block.text, cap);
  if (block.parts) return splitContainer(block.parts, block.gaps ?? [], cap);
  if (block.table) return splitTable(block.text, cap);
  const units: Block[] = [];
  let current = '';
  const push = (part: string) => {
    const next = current === '' ? part : `${current}\n${part}`;
    if (next.length <= cap) {
      current = next;
      return;
    }
    if (current !== '') units.push({ text: current, code: false });
    current = '';
    if (part.length <= cap) current = part;
    else for (const piece of splitLongLine(part, cap)) units.push({ text: piece, code: false });
  };
  for (const line of block.text.split('\n')) push(line);
  if (current !== '') units.push({ text: current, code: false });
  return units;
}

/** Groups a container's children into pieces under the cap, joined as in the source. */
function splitContainer(parts: Block[], gaps: string[], cap: number): Block[] {
  const units: Block[] = [];
  let group = '';
  parts.forEach((part, i) => {
    const joined = group === '' ? part.text : group + (gaps[i - 1] ?? '\n') + part.text;
    if (joined.length <= cap) {
      group = joined;
      return;
    }
    if (group !== '') units.push({ text: group, code: false });
    group = '';
    if (part.text.length <= cap) group = part.text;
    else units.push(...splitBlock(part, cap));
  });
  if (group !== '') units.push({ text: group, code: false });
  return units;
}

/** Cuts a markdown table between rows; every piece starts with the header and delimiter rows. */
function splitTable(text: string, cap: number): Block[] {
  const [header = '', delimiter = '', ...rows] = text.split('\n');
  const head = `${header}\n${delimiter}`;
  if (head.length > cap / 2) return splitBlock({ text, code: false }, cap);
  const units: Block[] = [];
  let current = head;
  for (const row of rows) {
    if (current.length + 1 + row.length <= cap) {
      current += `\n${row}`;
      continue;
    }
    if (current !== head) units.push({ text: current, code: false, table: true });
    if (head.length + 1 + row.length <= cap) current = `${head}\n${row}`;
    else {
      units.push(...splitLongLine(row, cap).map((piece) => ({ text: piece, code: false })));
      current = head;
    }
  }
  if (current !== head) units.push({ text: current, code: false, table: true });
  return units;
}

function sentencesOf(line: string): string[] {
  return line.split(/(?<=[.!?:;])\s+/).filter((s) => s !== '');
}

function splitLongLine(line: string, cap: number): string[] {
  const out: string[] = [];
  let current = '';
  const words = sentencesOf(line).flatMap((sentence) => (sentence.length <= cap ? [sentence] : sentence.split(/(?<=\s)/)));
  for (const word of words) {
    const joiner = current === '' || /\s$/.test(current) ? '' : ' ';
    if ((current + joiner + word).length <= cap) {
      current += joiner + word;
      continue;
    }
    if (current.trim() !== '') out.push(current.trim());
    current = '';
    // A single "word" over the cap (minified data, a base64 blob): cut it hard.
    for (let i = 0; i < word.length; i += cap) {
      const slice = word.slice(i, i + cap);
      if (slice.length === cap) out.push(slice);
      else current = slice;
    }
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

/** Cuts a fenced code block at line boundaries and re-fences every piece. */
function splitCode(text: string, cap: number): Block[] {
  const lines = text.split('\n');
  const opening = lines[0] ?? '```';
  const fenceMatch = /^([ \t]*)(`{3,}|~{3,})/.exec(opening);
  if (!fenceMatch) return splitBlock({ text, code: false }, cap);
  const closing = `${fenceMatch[1]}${fenceMatch[2]}`;
  const last = lines.at(-1) ?? '';
  const hasClosing = lines.length > 1 && last.trim().startsWith(fenceMatch[2]!) && last.trim().replace(/[`~]/g, '') === '';
  const inner = lines.slice(1, hasClosing ? -1 : undefined);
  const room = cap - opening.length - closing.length - 2;
  if (room < 20) return splitBlock({ text, code: false }, cap);
  const pieces: Block[] = [];
  let current: string[] = [];
  let size = 0;
  const emit = () => {
    if (current.length > 0) pieces.push({ text: [opening, ...current, closing].join('\n'), code: true });
    current = [];
    size = 0;
  };
  for (const line of inner) {
    const parts = line.length <= room ? [line] : (line.match(new RegExp(`[\\s\\S]{1,${room}}`, 'g')) ?? [line]);
    for (const part of parts) {
      if (size + part.length + 1 > room && current.length > 0) emit();
      current.push(part);
      size += part.length + 1;
    }
  }
  emit();
  return pieces;
}
