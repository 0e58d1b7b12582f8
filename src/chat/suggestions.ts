/**
 * Suggested first questions for a new conversation (Slack's assistant pane shows up to
 * four): the configured ones, or by default drawn from the ingested docs' top-level
 * titles: the top page of each top-level section (sections introduced by an overview,
 * index or quickstart page first, then the largest).
 *
 *   suggestedPrompts(config.slack.suggestedPrompts, await store.documentTitles())
 *     → [{ title: 'Quickstart', message: 'What do the docs say about “Quickstart”?' }, …]
 *   const prompts = promptSource(configured, () => store.documentTitles(), logger);
 *   await prompts();   // read once an hour at most; [] (logged) when the docs can't be read
 */
import { truncate } from '../engine/source-label.ts';
import type { Logger } from '../logger.ts';

export interface DocTitle {
  path: string;
  title: string;
}

export interface SuggestedPrompt {
  /** What the button shows. */
  title: string;
  /** The question sent when it is clicked. */
  message: string;
}

export const MAX_SUGGESTED_PROMPTS = 4;
/** Slack cuts longer prompt titles; keep them readable. */
const TITLE_CHARS = 75;
/** File names that usually hold a section's introduction. */
const INTRO = /(^|\/)(index|readme|overview|intro|introduction|quickstart|getting[-_]started|[^/]*[-_]overview)\.(md|mdx|txt)$/i;

/** Docs are re-ingested now and then: their titles are read again after this. */
const TITLES_TTL_MS = 3600_000;

export function promptSource(
  configured: string[] | undefined,
  titles: (() => Promise<DocTitle[]>) | undefined,
  logger: Logger,
): () => Promise<SuggestedPrompt[]> {
  let cached: { at: number; prompts: Promise<SuggestedPrompt[]> } | undefined;
  return () => {
    if (configured || !titles) return Promise.resolve(suggestedPrompts(configured ?? [], []));
    if (!cached || Date.now() - cached.at > TITLES_TTL_MS) {
      const prompts = titles().then(
        (docs) => suggestedPrompts(undefined, docs),
        (error: unknown) => {
          logger.warn({ err: error }, 'could not read the docs titles for suggested prompts');
          cached = undefined;
          return [];
        },
      );
      cached = { at: Date.now(), prompts };
    }
    return cached.prompts;
  };
}

/** `configured`: from settings (`[]`: none); undefined: from the docs. */
export function suggestedPrompts(configured: string[] | undefined, docs: DocTitle[]): SuggestedPrompt[] {
  if (configured) return configured.slice(0, MAX_SUGGESTED_PROMPTS).map((text) => ({ title: truncate(text, TITLE_CHARS), message: text }));
  return topTitles(docs).map((title) => ({ title: truncate(title, TITLE_CHARS), message: `What do the docs say about “${title}”?` }));
}

/** One title per top-level section (its shallowest page, an overview first), round-robin until there are four. */
function topTitles(docs: DocTitle[]): string[] {
  const sections = new Map<string, DocTitle[]>();
  for (const doc of docs) {
    if (!doc.title.trim()) continue;
    const section = doc.path.includes('/') ? (doc.path.split('/')[0] as string) : '';
    sections.set(section, [...(sections.get(section) ?? []), doc]);
  }
  const depth = (doc: DocTitle) => doc.path.split('/').length;
  const intro = (doc: DocTitle | undefined) => Number(INTRO.test(doc?.path ?? ''));
  // Each section's pages: shallowest first, an introduction first among equals. Sections whose
  // top page introduces them come first, then the larger ones.
  const ranked = [...sections.values()]
    .map((pages) => pages.sort((a, b) => depth(a) - depth(b) || intro(b) - intro(a) || a.path.localeCompare(b.path)))
    .sort((a, b) => intro(b[0]) - intro(a[0]) || b.length - a.length || (a[0]?.path ?? '').localeCompare(b[0]?.path ?? ''));
  const titles = new Set<string>();
  for (let round = 0; titles.size < MAX_SUGGESTED_PROMPTS && ranked.some((pages) => pages.length > round); round++) {
    for (const pages of ranked) {
      const title = pages[round]?.title.trim();
      if (title && titles.size < MAX_SUGGESTED_PROMPTS) titles.add(title);
    }
  }
  return [...titles];
}
