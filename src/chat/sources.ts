/**
 * Platform-neutral source entries for a chat answer's "Sources" reply.
 *
 * API:
 *   sourceEntries(sources: Source[], options?): SourceEntry[]
 *     SourceEntry = { n, label: "Title › Heading", title, heading?, link?, path }
 *     - One entry per source, ordered by `n`, duplicates of the same `n` dropped.
 *     - `heading` is the chunk's deepest heading when it differs from the title.
 *     - `link` is the source URL when the document has one; otherwise adapters show `path`.
 *     - Labels are trimmed to `maxLabelChars` (with "…"), and at most `maxEntries` entries
 *       are returned, so renderers stay inside platform limits.
 *   formatSourceLine(entry): string — "[n] Title › Heading (path)" as plain text, for
 *     platforms or fallbacks without rich formatting.
 *   sourcesHeading(abstained) — the reply's heading, the same on every platform.
 *
 * Which sources to show is the engine's decision: pass `final.citations` (the cited
 * sources, or the closest pages when it abstained).
 */
import { sourceLabel } from '../engine/source-label.ts';
import type { Source } from '../engine/types.ts';

export interface SourceEntry {
  n: number;
  /** "Title › Heading", trimmed. */
  label: string;
  title: string;
  heading?: string;
  link?: string;
  path: string;
}

export interface SourceEntryOptions {
  maxEntries?: number;
  maxLabelChars?: number;
}

export function sourceEntries(sources: Source[], options: SourceEntryOptions = {}): SourceEntry[] {
  const maxEntries = options.maxEntries ?? 10;
  const maxLabelChars = options.maxLabelChars ?? 150;
  const seen = new Set<number>();
  const entries: SourceEntry[] = [];
  for (const source of [...sources].sort((a, b) => a.n - b.n)) {
    if (seen.has(source.n)) continue;
    seen.add(source.n);
    entries.push({
      n: source.n,
      ...sourceLabel(source, maxLabelChars),
      link: source.url?.trim() || undefined,
      path: source.path,
    });
    if (entries.length >= maxEntries) break;
  }
  return entries;
}

export function formatSourceLine(entry: SourceEntry): string {
  return `[${entry.n}] ${entry.label} (${entry.link ?? entry.path})`;
}

/** The heading of the sources reply: the pages cited or, for an abstention, the closest ones. */
export function sourcesHeading(abstained: boolean): string {
  return abstained ? 'Closest pages in the docs' : 'Sources';
}
