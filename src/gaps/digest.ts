/**
 * The chat digest: the top gaps of a report, each with its count and links to the
 * threads where it was asked, as platform-neutral data. The Slack and Discord bots
 * render it (Block Kit, an embed); `digestText` is the plain form for
 * `askdocs gaps --digest` and for notifications' fallback text.
 *
 * An empty window still gives a digest (with no items): the bots post one short
 * line, so a quiet week is distinguishable from a broken schedule.
 */
import { counted } from '../plural.ts';
import type { GapCluster, GapQuestion, GapsReport } from './report.ts';
import { type ThreadLinkOptions, threadUrl } from './thread-links.ts';

export const DIGEST_TOP = 5;
const THREADS_PER_GAP = 3;
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export interface DigestThread {
  question: string;
  platform: string;
  askedAt: string;
  /** Undefined when no link can be built (CLI questions, Slack without its bot, older log rows). */
  url?: string;
}

export interface DigestItem {
  rank: number;
  /** The question that stands for the gap, as asked. */
  title: string;
  count: number;
  askers: number;
  platforms: string[];
  lastAsked: string;
  suggestion: string;
  /** The closest existing page, when the docs touch the topic at all. */
  closest?: { path: string; heading?: string; url?: string };
  maybeFixedBy?: { path: string; url?: string };
  /** Up to three places it was asked, most recent first, linked ones preferred. */
  threads: DigestThread[];
}

export interface Digest {
  since: string;
  until: string;
  /** The window in whole days, at least 1. */
  days: number;
  /** The window in words: "7 days", or in hours when under a day ("1 hour", `gaps --digest --since 1h`). */
  period: string;
  totals: { questions: number; gaps: number };
  items: DigestItem[];
  /** Gap clusters beyond the top ones, not shown. */
  more: number;
}

export function digestFromReport(report: GapsReport, options: ThreadLinkOptions & { top?: number } = {}): Digest {
  const top = options.top ?? DIGEST_TOP;
  const windowMs = Date.parse(report.generatedAt) - Date.parse(report.since);
  const days = Math.max(1, Math.round(windowMs / DAY_MS));
  const hours = Math.max(1, Math.round(windowMs / HOUR_MS));
  return {
    since: report.since,
    until: report.generatedAt,
    days,
    period: windowMs < DAY_MS ? counted(hours, 'hour') : counted(days, 'day'),
    totals: { questions: report.totals.questions, gaps: report.totals.gaps },
    items: report.clusters.slice(0, top).map((cluster) => itemOf(cluster, options)),
    more: Math.max(0, report.clusters.length - top),
  };
}

function itemOf(cluster: GapCluster, links: ThreadLinkOptions): DigestItem {
  const best = cluster.closest[0];
  return {
    rank: cluster.rank,
    title: oneLine(cluster.representative),
    count: cluster.count,
    askers: cluster.askers,
    platforms: cluster.platforms,
    lastAsked: cluster.lastAsked,
    suggestion: cluster.suggestion,
    ...(best ? { closest: { path: best.path, heading: best.headingPath.at(-1), url: best.url } } : {}),
    ...(cluster.maybeFixedBy ? { maybeFixedBy: { path: cluster.maybeFixedBy.path, url: cluster.maybeFixedBy.url } } : {}),
    threads: threadsOf(cluster.items, links),
  };
}

function threadsOf(items: GapQuestion[], links: ThreadLinkOptions): DigestThread[] {
  const threads = [...items].reverse().map((item) => ({
    question: oneLine(item.question),
    platform: item.platform,
    askedAt: item.askedAt,
    url: threadUrl(item, links),
  }));
  // Linked threads first (stable: most recent first within each group), one per link.
  const seen = new Set<string>();
  const linked = threads.filter((t) => t.url && !seen.has(t.url) && seen.add(t.url));
  return [...linked, ...threads.filter((t) => !t.url)].slice(0, THREADS_PER_GAP);
}

/** "41 questions, 9 not answered well" and the window, for the digest's header. */
export function digestSummary(digest: Digest): string {
  // Dates, or for a window under a day the times too (UTC, as the report's timestamps are).
  const window =
    Date.parse(digest.until) - Date.parse(digest.since) < DAY_MS
      ? `${digest.since.slice(0, 16).replace('T', ' ')} – ${digest.until.slice(11, 16)} UTC`
      : `${digest.since.slice(0, 10)} – ${digest.until.slice(0, 10)}`;
  if (digest.items.length === 0) {
    return `No coverage gaps in the last ${digest.period} (${window}): ${counted(digest.totals.questions, 'question')} asked, none left a gap that came up twice.`;
  }
  const shown =
    digest.more > 0 ? `top ${digest.items.length} of ${digest.items.length + digest.more} gaps` : counted(digest.items.length, 'gap');
  return `${counted(digest.totals.questions, 'question')} in the last ${digest.period} (${window}), ${digest.totals.gaps} not answered well; ${shown}:`;
}

/** "asked 4× by 3 people (slack, discord)". */
export function askedText(item: DigestItem): string {
  return `asked ${item.count}× by ${counted(item.askers, 'person', 'people')} (${item.platforms.join(', ')})`;
}

/** Plain Markdown, as `askdocs gaps --digest` prints it. */
export function digestText(digest: Digest): string {
  const lines = ['# Coverage gaps digest', '', digestSummary(digest), ''];
  for (const item of digest.items) {
    lines.push(`${item.rank}. **${item.title}** — ${askedText(item)}`);
    lines.push(`   💡 ${item.suggestion}`);
    if (item.maybeFixedBy) lines.push(`   ✅ Maybe fixed by ${item.maybeFixedBy.path}`);
    for (const thread of item.threads)
      lines.push(`   - ${thread.url ? `[${thread.question}](${thread.url})` : `${thread.question} (${thread.platform})`}`);
    lines.push('');
  }
  if (digest.items.length > 0) lines.push('Full report: `askdocs gaps --html gaps.html`', '');
  return `${lines.join('\n').trimEnd()}\n`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
