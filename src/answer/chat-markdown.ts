/**
 * A docs passage as a chat client can show it.
 *
 * Docs written in Markdown often embed HTML: tables, note boxes, language tab bars,
 * `<br>` inside table cells. Slack and Discord print those as raw tags, so an answer
 * quoted from the docs (extractive mode) would show `<td>FLAT</td>` to the user. Here
 * each block of HTML becomes Markdown (node-html-markdown: tables become pipe tables;
 * a tab bar, nothing but links within the page, goes), and inline tags inside Markdown
 * text give way to their text. Images, links relative to the docs folder and links to an
 * anchor of the page give way to their text too (pageLinkEdit). Code is left as written,
 * and so is everything else: the Markdown around them is not rewritten.
 */
import type { Nodes } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';
import { NodeHtmlMarkdown, type TranslatorConfigFactory } from 'node-html-markdown';

/** A pattern that never matches: the converted text is shown, not re-parsed, so nothing needs escaping. */
const NO_ESCAPE = [/(?!)/, ''] as const;

const converter = new NodeHtmlMarkdown({ globalEscape: NO_ESCAPE, lineStartEscape: NO_ESCAPE, maxConsecutiveNewlines: 2 });
const link = converter.translators.get('a') as TranslatorConfigFactory;
// A link to an anchor of the page ("see <a href="#limits">the limits</a>") leads nowhere in chat: keep its text.
converter.translators.set('a', (context) => (context.node.getAttribute('href')?.startsWith('#') ? {} : link(context)));
// A pipe-table cell holds one line: a list inside it keeps its bullets inline.
converter.tableCellTranslators.set('li', { prefix: '• ', postfix: ' ' });

/** Containers whose children are blocks: an HTML node there is an HTML block, elsewhere an inline tag. */
const BLOCK_CONTAINERS = new Set(['root', 'blockquote', 'listItem', 'footnoteDefinition']);

interface Edit {
  start: number;
  end: number;
  text: string;
}

export function chatMarkdown(markdown: string): string {
  if (!/<[a-z!/]|\]\(/i.test(markdown)) return markdown;
  const tree = fromMarkdown(markdown, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  const edits: Edit[] = [];
  collectEdits(tree, markdown, { edits, linkEnds: new Set() });
  let out = markdown;
  for (const edit of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out.replace(/\n{3,}/g, '\n\n').trim();
}

interface Pending {
  edits: Edit[];
  /** Closing `</a>` tags already made the end of a Markdown link. */
  linkEnds: Set<Nodes>;
}

function collectEdits(node: Nodes, source: string, pending: Pending): void {
  if (!('children' in node)) return;
  const children: Nodes[] = node.children;
  const blocks = BLOCK_CONTAINERS.has(node.type);
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    if (child.type === 'image' || child.type === 'link') {
      const edit = pageLinkEdit(child, source);
      if (edit) {
        pending.edits.push(edit);
        continue;
      }
    }
    if (child.type !== 'html') {
      collectEdits(child, source, pending);
      continue;
    }
    if (!blocks) {
      inlineTagEdits(children, i, pending);
      continue;
    }
    const at = offsets(child);
    if (at && isTabBar(child.value)) {
      pending.edits.push({ ...at, text: '' });
      continue;
    }
    // Adjacent HTML blocks are one piece of HTML (a table whose rows are split by blank lines).
    let last = i;
    while (children[last + 1]?.type === 'html') last++;
    const first = offsets(child);
    const end = offsets(children[last]!);
    if (first && end) {
      const converted = converter
        .translate(source.slice(first.start, end.end))
        .replace(/[ \t]+$/gm, '')
        .trim();
      pending.edits.push({ start: first.start, end: end.end, text: converted });
    }
    i = last;
  }
}

/**
 * A block of nothing but links to anchors of the page: a language tab bar (`<div><a
 * href="#python">Python</a> <a href="#java">Java</a></div>`). In chat its labels would be
 * a stray line ("Python Java Node.js"), so the block goes.
 */
function isTabBar(html: string): boolean {
  const withoutPageLinks = html.replace(/<a\s[^>]*\bhref\s*=\s*["']#[^"']*["'][^>]*>[\s\S]*?<\/a\s*>/gi, '');
  return withoutPageLinks !== html && withoutPageLinks.replace(/<[^>]*>/g, '').trim() === '';
}

/**
 * An inline tag is a node of its own (`<code>`, then the text, then `</code>`), so it
 * gives way to the text around it; `<br>` becomes a space, and a web link's opening
 * and closing tags become a Markdown link around its text.
 */
function inlineTagEdits(siblings: Nodes[], index: number, { edits, linkEnds }: Pending): void {
  const tag = siblings[index]!;
  const at = offsets(tag);
  if (!at || tag.type !== 'html') return;
  const href = /^<a\s[^>]*href="(https?:\/\/[^"\s]+)"/i.exec(tag.value)?.[1];
  const close = href ? siblings.slice(index + 1).find((node) => node.type === 'html' && /^<\/a\s*>$/i.test(node.value)) : undefined;
  const closeAt = close && offsets(close);
  if (href && closeAt) {
    edits.push({ ...at, text: '[' }, { ...closeAt, text: `](${href})` });
    // The closing tag is visited later as a sibling of its own; this edit replaces it.
    linkEnds.add(close);
    return;
  }
  if (linkEnds.has(tag)) return;
  edits.push({ ...at, text: /^<br\b/i.test(tag.value) ? ' ' : '' });
}

/**
 * A chat message shows no images, and a link relative to the docs folder
 * (`./configuration.md`, `docs/arch.png`) leads nowhere from it: an image gives way to
 * its alt text, such a link to its text. Web and mail links stay links.
 */
function pageLinkEdit(node: Nodes, source: string): Edit | undefined {
  const at = offsets(node);
  if (!at) return undefined;
  if (node.type === 'image') return { ...at, text: node.alt ?? '' };
  if (node.type !== 'link' || /^[a-z][a-z0-9+.-]*:/i.test(node.url)) return undefined;
  const first = node.children[0];
  const last = node.children.at(-1);
  // Tags inside the link text get edits of their own; leave such a link as written.
  if (!first || !last || node.children.some((child) => child.type === 'html')) return undefined;
  const from = offsets(first)?.start;
  const to = offsets(last)?.end;
  if (from === undefined || to === undefined) return undefined;
  // A badge linking into the docs (`[![Build](badge.svg)](./ci.md)`): its image gives way too.
  let text = source.slice(from, to);
  for (const child of [...node.children].reverse()) {
    const childAt = offsets(child);
    if (child.type === 'image' && childAt) text = text.slice(0, childAt.start - from) + (child.alt ?? '') + text.slice(childAt.end - from);
  }
  return { ...at, text };
}

function offsets(node: Nodes): { start: number; end: number } | undefined {
  const start = node.position?.start.offset;
  const end = node.position?.end.offset;
  return start === undefined || end === undefined ? undefined : { start, end };
}
