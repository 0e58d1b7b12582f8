/**
 * A source's link goes to its section, not just its page: the page's URL with the
 * section heading's anchor, slugged as GitHub makes them (Docusaurus, MkDocs, VitePress
 * and Hugo by default make the same for plain headings). Where a site slugs otherwise,
 * or a heading sets its own id, the browser finds no such anchor and opens the page at
 * its top, which is what a link without one did.
 */
import { slug } from 'github-slugger';
import type { RetrievedChunk } from './types.ts';

export function sectionLink(hit: Pick<RetrievedChunk, 'url' | 'headingPath' | 'title'>): string | undefined {
  const url = hit.url?.trim();
  const heading = hit.headingPath.at(-1);
  // The page's own heading (its title) is the page: no anchor.
  if (!url || url.includes('#') || !heading || heading === hit.title) return hit.url;
  const anchor = slug(heading);
  return anchor === '' ? url : `${url}#${anchor}`;
}
