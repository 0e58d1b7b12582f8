/**
 * One gap of the chat digest as lines, the same on every platform: how often it was
 * asked, a suggestion of what to write, the page that may have fixed it, and where it
 * was asked (links to the threads). A platform says how its text, links and code look.
 */
import { truncate } from '../engine/source-label.ts';
import { askedText, type Digest, type DigestItem } from './digest.ts';

export interface DigestFormat {
  /** User text (questions, suggestions quoting them) as plain text: no formatting, no links, no mentions. */
  text(text: string): string;
  link(label: string, url: string): string;
  code(text: string): string;
  /** Longest suggestion shown. */
  suggestionChars: number;
}

export function digestTitle(digest: Pick<Digest, 'period'>): string {
  return digest.period === '7 days' ? '📚 Coverage gaps this week' : `📚 Coverage gaps, last ${digest.period}`;
}

export function digestItemLines(item: DigestItem, format: DigestFormat): string[] {
  const lines = [format.text(askedText(item)), `💡 ${format.text(truncate(item.suggestion, format.suggestionChars))}`];
  if (item.maybeFixedBy) lines.push(`✅ Maybe fixed by ${format.code(item.maybeFixedBy.path)}`);
  const threads = item.threads.map((t) =>
    t.url ? format.link(truncate(t.question, 80), t.url) : `${format.text(truncate(t.question, 80))} (${t.platform})`,
  );
  if (threads.length > 0) lines.push(`🧵 ${threads.join(' · ')}`);
  return lines;
}
