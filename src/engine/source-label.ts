/**
 * How a source is named wherever it is shown (extractive answers, chat "Sources"
 * replies, the terminal, the LLM's prompt): its title, then the headings down to its
 * section, "Title › Heading › Subheading", as a docs site's search shows a result. The
 * deepest heading alone can repeat on its page (every version of a changelog has its
 * `### Fixed`, every resource its `### Example`), and the label is all that tells those
 * sections apart. Cut to a length, the headings between the title and the section go
 * first ("Title › … › Fixed"), then the end, with "…".
 */
import type { Source } from './types.ts';

export const SOURCE_SEPARATOR = ' › ';
const ELIDED = '…';

export function sourceLabel(
  source: Pick<Source, 'title' | 'path' | 'headingPath'>,
  maxChars = 150,
): { label: string; title: string; heading?: string } {
  const title = source.title.trim() || source.path;
  const headings = headingsBelow(title, source.headingPath);
  const heading = headings.at(-1);
  return { label: truncate(fitPath(title, headings, maxChars), maxChars), title, heading };
}

/** The heading path without the page's own heading, and without a heading that repeats its parent's text. */
function headingsBelow(title: string, headingPath: string[]): string[] {
  const path = headingPath.map((h) => h.trim()).filter((h) => h !== '');
  // The top heading names the page as its title does, often in other words (front matter
  // "Scale Dependencies", top heading "Scale Milvus Dependencies"): the sections start below it.
  const below = path.length > 1 && namesThePage(path[0]!, title) ? path.slice(1) : path;
  const headings: string[] = [];
  for (const heading of below) {
    if (heading !== (headings.at(-1) ?? title)) headings.push(heading);
  }
  return headings;
}

/** Whether a heading and the title share at least half the words of the shorter one. */
function namesThePage(heading: string, title: string): boolean {
  const words = (text: string) => new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
  const ofHeading = words(heading);
  const ofTitle = words(title);
  const shared = [...ofHeading].filter((word) => ofTitle.has(word)).length;
  return shared > 0 && shared * 2 >= Math.min(ofHeading.size, ofTitle.size);
}

/** "Title › A › B › C", leaving out A, then B, for "…" while it is longer than `maxChars`. */
function fitPath(title: string, headings: string[], maxChars: number): string {
  const middle = headings.slice(0, -1);
  const last = headings.slice(-1);
  let label = [title, ...middle, ...last].join(SOURCE_SEPARATOR);
  for (let dropped = 1; label.length > maxChars && dropped <= middle.length; dropped++) {
    label = [title, ELIDED, ...middle.slice(dropped), ...last].join(SOURCE_SEPARATOR);
  }
  return label;
}

export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, Math.max(0, maxChars - 1)).trimEnd()}…`;
}
