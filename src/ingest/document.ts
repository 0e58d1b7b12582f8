/**
 * Turns one file's text into the chunks ingest stores: chunker output plus a
 * content-derived id, the document link, and the text the embedder sees.
 *
 * Ids hash everything that ends up in a stored row or its vector, so an unchanged
 * chunk keeps its id across runs (nothing to embed) and any change to it (text,
 * heading, title, link, its place in the file, or the embedding-text recipe) gives a
 * new id. The place counts because a long section is read back in chunk order
 * (retrieval/sections.ts): a chunk kept from before an edit above it would keep its old
 * number, and the section would read out of order. So an edit gives the chunks after
 * it whose place moved new ids too; their text is unchanged, and ingest stores them with
 * their old vectors (ingest.ts), so only what the edit changed is embedded.
 */
import { createHash } from 'node:crypto';
import { headingAnchor } from '../engine/section-link.ts';
import type { Chunk } from '../engine/types.ts';
import { type ChunkerOptions, chunkDocument, type PublishedAs, type TextChunk } from './chunker.ts';
import { plainText } from './plain-text.ts';
import { DOCUMENT_EXTENSIONS } from './scan.ts';

/** Bump when `embeddingTextOf` or what a row stores changes, so existing rows are rewritten. */
const EMBEDDING_TEXT_VERSION = 3;
const ID_HEX_CHARS = 32;

export interface PreparedChunk extends Chunk {
  docHash: string;
  chunkIndex: number;
  /** What is embedded: title and heading path with the chunk's text, markup stripped. */
  embeddingText: string;
}

export interface PrepareOptions extends ChunkerOptions {
  /** DOCS_BASE_URL: chunks get a link when set. */
  baseUrl?: string;
}

export function prepareDocument(source: string, path: string, options: PrepareOptions): PreparedChunk[] {
  const docHash = sha256(source);
  const { title, chunks, published } = chunkDocument(source, path, options);
  const pageUrl = documentUrl(options.baseUrl, path, published);
  return chunks.map((chunk, chunkIndex) => {
    const url = chunkUrl(pageUrl, chunk);
    const content = JSON.stringify([EMBEDDING_TEXT_VERSION, path, title, chunk.headingPath, chunk.text, url ?? '', chunkIndex]);
    const prepared = { path, title, headingPath: chunk.headingPath, text: chunk.text, url, docHash, chunkIndex };
    return {
      id: sha256(content).slice(0, ID_HEX_CHARS),
      ...prepared,
      embeddingText: embeddingTextOf(prepared),
    };
  });
}

/**
 * A chunk's stored link: its page's, with its section's anchor where the heading alone does
 * not give it, which only the whole page tells: a heading repeated on the page (the second
 * `### Fixed` of a changelog is `#fixed-1`) or one that sets its own id (`{#archive}`). The
 * other anchors are added when an answer shows the source (engine/section-link.ts), from the
 * heading it shows, which can be a merged subsection's rather than the chunk's own.
 */
function chunkUrl(pageUrl: string | undefined, chunk: TextChunk): string | undefined {
  const heading = chunk.headingPath.at(-1);
  if (!pageUrl || pageUrl.includes('#') || chunk.anchor === undefined || heading === undefined) return pageUrl;
  return chunk.anchor === headingAnchor(heading) ? pageUrl : `${pageUrl}#${chunk.anchor}`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The page's link: base URL joined with the path, extension dropped (`faq/product_faq.md`
 * → `<base>/faq/product_faq`, `reference/glossary.txt` → `<base>/reference/glossary`),
 * and an index page is its folder (`guide/index.md`, `guide/README.md` and Hugo's section
 * page `guide/_index.md` → `<base>/guide/`). No base, no link.
 *
 * A front-matter `slug` wins, as on the sites that read it (Docusaurus, Hugo): one
 * starting with `/` is the page's path under the base (`slug: /` is the base itself),
 * any other replaces the file's name in its folder.
 *
 * A base with placeholders is a template, for sites whose links are not the folder's
 * layout: `{path}` is the path above, `{id}` the front-matter `id`, else the file's name
 * without its extension (`https://milvus.io/docs/{id}`: the Milvus site publishes every
 * page at its `id`, `metric.md`, whatever its folder). Generators disagree on what an
 * `id` means, so it is used only where a template asks for it. See fillTemplate for
 * index pages in a template.
 */
export function documentUrl(baseUrl: string | undefined, path: string, published: PublishedAs = {}): string | undefined {
  if (!baseUrl) return undefined;
  // A slug or id that would leave the base (`../x`, `//host`, `https://…`) is not a page of these docs.
  const slug = published.slug !== undefined && !LEAVES_BASE.test(published.slug) ? published.slug : undefined;
  const page =
    slug === undefined
      ? withoutDocumentExtension(path).replace(/(^|\/)(_?index|README)$/i, '$1')
      : slug.startsWith('/')
        ? slug.replace(/^\/+/, '')
        : `${path.slice(0, path.lastIndexOf('/') + 1)}${slug}`;
  if (LINK_PLACEHOLDER.test(baseUrl)) {
    const name = path.slice(path.lastIndexOf('/') + 1).replace(/\.[^.]*$/, '');
    const given = published.id !== undefined && !LEAVES_BASE.test(published.id) ? published.id.replace(/^\/+/, '') : '';
    // `id: /` names no page: the file's name does.
    return fillTemplate(baseUrl, { path: page, id: given || name });
  }
  return `${baseUrl.replace(/\/+$/, '')}/${encodePath(page)}`;
}

const LINK_PLACEHOLDER = /\{(?:path|id)\}/;

/** Every extension ingest reads is one a site drops from the page's link (`{path}.html` gave `glossary.txt.html`). */
function withoutDocumentExtension(path: string): string {
  const lower = path.toLowerCase();
  const extension = DOCUMENT_EXTENSIONS.find((ext) => lower.endsWith(ext));
  return extension ? path.slice(0, -extension.length) : path;
}

/**
 * A link template with its placeholders filled. A value that is a folder's link (`guide/`,
 * or `` for the top folder: an index or README page, a slug ending in `/`) stays one where
 * the template ends at the placeholder (`{path}`) or goes on with `/` (`{path}/`, without
 * doubling the slash). Followed by other text (`{path}.html`) it names the folder's index
 * file, `guide/index.html`, as static sites that add a suffix publish it: `guide/.html`
 * was a broken link.
 */
function fillTemplate(template: string, values: { path: string; id: string }): string {
  // With the capture group, odd items are placeholder names and even ones the text between.
  const parts = template.split(/\{(path|id)\}/);
  let link = parts[0] ?? '';
  for (let i = 1; i < parts.length; i += 2) {
    let value = values[parts[i] as keyof typeof values];
    let after = parts[i + 1] ?? '';
    const folder = value === '' || value.endsWith('/');
    if (folder && after !== '' && !after.startsWith('/')) value += 'index';
    else if (folder && after.startsWith('/') && (value !== '' || link.endsWith('/'))) after = after.slice(1);
    link += encodePath(value) + after;
  }
  return link;
}
const LEAVES_BASE = /^\/\/|^[a-z][a-z0-9+.-]*:|(^|\/)\.\.(\/|$)/i;

function encodePath(page: string): string {
  return page
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/**
 * Embedding models see only a few hundred tokens, so the text is made dense: the
 * document title and heading path first (they say what the chunk is about, and a
 * question often echoes them), then the text without HTML tags, link targets, table
 * rules or heading markers (plain-text.ts).
 */
export function embeddingTextOf(chunk: Pick<Chunk, 'title' | 'headingPath' | 'text'>): string {
  const context = [chunk.title, ...chunk.headingPath.filter((h, i) => i > 0 || h !== chunk.title)];
  return `${context.join(' > ')}\n\n${plainText(chunk.text)}`.trim();
}
