/**
 * How a source is named wherever it is shown (extractive answers, chat "Sources"
 * replies, the terminal): its title, and its deepest heading when that differs,
 * "Title › Heading", cut to a length with "…".
 */
import type { Source } from './types.ts';

export const SOURCE_SEPARATOR = ' › ';

export function sourceLabel(
  source: Pick<Source, 'title' | 'path' | 'headingPath'>,
  maxChars = 150,
): { label: string; title: string; heading?: string } {
  const title = source.title.trim() || source.path;
  const deepest = source.headingPath.at(-1)?.trim();
  const heading = deepest && deepest !== title ? deepest : undefined;
  return { label: truncate(heading ? `${title}${SOURCE_SEPARATOR}${heading}` : title, maxChars), title, heading };
}

export function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, Math.max(0, maxChars - 1)).trimEnd()}…`;
}
