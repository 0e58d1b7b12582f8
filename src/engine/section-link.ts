/**
 * A source's link goes to its section, not just its page: the page's URL with the
 * section heading's anchor, slugged as GitHub makes them (Docusaurus, MkDocs, VitePress
 * and Hugo by default make the same for plain headings). A link that has an anchor already
 * keeps it: ingest, which sees the whole page, stores the anchor of a section whose heading
 * alone does not give it (a heading repeated on the page, `#fixed-1`; one that sets its own
 * id, `{#archive}`; see ingest/document.ts). Where a site slugs otherwise, the browser finds
 * no such anchor and opens the page at its top, which is what a link without one did.
 */
import { slug } from 'github-slugger';
import type { RetrievedChunk } from './types.ts';

export function sectionLink(hit: Pick<RetrievedChunk, 'url' | 'headingPath' | 'title'>): string | undefined {
  const url = hit.url?.trim();
  const heading = hit.headingPath.at(-1);
  // The page's own heading (its title): the page itself, no anchor.
  if (!url || url.includes('#') || !heading || heading === hit.title) return hit.url;
  const anchor = headingAnchor(heading);
  return anchor === '' ? url : `${url}#${anchor}`;
}

/** The anchor a heading's text alone gives, as on GitHub: its first occurrence on a page. */
export function headingAnchor(heading: string): string {
  return slug(heading);
}
