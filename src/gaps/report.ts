/**
 * Builds the coverage-gaps report from the question log: selects the gap
 * questions, clusters them by meaning, ranks the clusters, and for each finds the
 * closest existing pages, a suggestion, and whether a later ingest now answers it.
 * Pure of I/O except through the functions it is given, so the CLI and tests share it.
 */
import { cleanQuestion } from '../engine/question.ts';
import type { RetrievalResult, RetrievedChunk, ThreadRef } from '../engine/types.ts';
import type { Vote } from '../feedback/store.ts';
import { bestRelevance } from '../questions/observer.ts';
import type { LoggedQuestion } from '../questions/store.ts';
import { centroid, clusterByMeaning, medoid } from './cluster.ts';
import { type GapReason, gapReason } from './select.ts';
import type { SuggestionInput } from './suggest.ts';

/** Below this cosine between a cluster and the best chunk, the docs have "nothing close". */
export const CLOSE_SIMILARITY = 0.4;
/**
 * With nothing close, a cluster whose best retrieval relevance stayed below this
 * is chatter (lunch spots, football scores), not a missing page. On the dev sets'
 * off-topic questions it was 0.23-0.33; on-topic misses were 0.39 and up.
 */
export const OFF_TOPIC_RELEVANCE = 0.35;
const CLOSEST_PAGES = 3;
const EXAMPLES = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface ClosestPage {
  path: string;
  headingPath: string[];
  /** Cosine similarity between the cluster's centroid and the page's best chunk. */
  score: number;
  url?: string;
}

export interface GapQuestion {
  question: string;
  standalone: string;
  platform: string;
  askedAt: string;
  reason: GapReason;
  relevance: number | null;
  requestId: string;
  channelId?: string;
  /** Where it was asked, for a link back to the thread (chat platforms, logged since the digest). */
  thread?: ThreadRef;
}

export interface MaybeFixed {
  path: string;
  headingPath: string[];
  url?: string;
  /** Of the cluster's questions, how many retrieval now answers (see `maybeFixed`). */
  nowAnswered: number;
  checked: number;
}

export interface GapCluster {
  rank: number;
  representative: string;
  /** Up to three other questions of the cluster. */
  examples: string[];
  /** Every question of the cluster, as asked, oldest first. */
  questions: string[];
  count: number;
  /** Distinct askers (hashed user ids; CLI questions count as one asker each). */
  askers: number;
  platforms: string[];
  reasons: Partial<Record<GapReason, number>>;
  firstAsked: string;
  lastAsked: string;
  /** Closest pages, best first; empty means "nothing close". */
  closest: ClosestPage[];
  suggestion: string;
  maybeFixedBy?: MaybeFixed;
  items: GapQuestion[];
}

export interface GapsReport {
  generatedAt: string;
  since: string;
  minSize: number;
  totals: { questions: number; gaps: number; clustered: number; unclustered: number };
  /** Per day of the window: every logged question, and the gaps among them. */
  volume: { day: string; questions: number; gaps: number }[];
  clusters: GapCluster[];
}

export interface BuildReportInput {
  questions: LoggedQuestion[];
  votes: Map<string, Vote>;
  since: Date;
  now: Date;
  minSize: number;
  lowRelevance: number;
  clusterDistance: number;
  reranker: 'features' | 'off';
  /** Dense search of the chunk collection (closest pages). */
  searchPages(vector: number[], limit: number): Promise<RetrievedChunk[]>;
  /** Retrieval as the bot does it, no LLM (closing the loop); omitted skips that check. */
  retrieve?(text: string): Promise<RetrievalResult>;
  suggest(input: SuggestionInput): Promise<string>;
}

export async function buildGapsReport(input: BuildReportInput): Promise<GapsReport> {
  // Older logs hold questions of only control or zero-width characters, asked before such
  // text counted as empty: not questions (retrieval refuses them), so no cluster of them.
  // The rest are shown as the engine now reads them, without such characters.
  const inWindow = input.questions
    .filter((q) => q.askedAt >= input.since && q.askedAt <= input.now)
    .map((q) => ({ ...q, question: cleanQuestion(q.question), standalone: cleanQuestion(q.standalone) }))
    .filter((q) => q.question !== '');
  const gaps: { logged: LoggedQuestion; reason: GapReason }[] = [];
  for (const logged of inWindow) {
    const reason = gapReason(logged, input.votes.get(logged.requestId), input.lowRelevance);
    if (reason && logged.vector.length > 0) gaps.push({ logged, reason });
  }
  const vectors = gaps.map((g) => g.logged.vector);
  const groups = clusterByMeaning(vectors, input.clusterDistance).filter((g) => g.length >= input.minSize);

  const clusters: GapCluster[] = [];
  for (const members of groups) {
    const ordered = [...members].sort((a, b) => gaps[a]!.logged.askedAt.getTime() - gaps[b]!.logged.askedAt.getTime());
    const items = ordered.map((i) => toGapQuestion(gaps[i]!.logged, gaps[i]!.reason));
    const rep = medoid(members, vectors);
    const representative = gaps[rep]!.logged.question;
    const others = distinct(items.map((item) => item.question).filter((q) => q !== representative)).reverse();
    const closest = await closestPages(input, centroid(members, vectors));
    const top = closest[0];
    const relevances = members.map((i) => gaps[i]!.logged.relevance).filter(Number.isFinite);
    const suggestion = await input.suggest({
      representative,
      examples: [representative, ...others.slice(0, EXAMPLES)],
      closest: top ? { path: top.path, heading: top.headingPath.at(-1) ?? '' } : undefined,
      offTopic: !top && relevances.length > 0 && Math.max(...relevances) < OFF_TOPIC_RELEVANCE,
    });
    clusters.push({
      rank: 0,
      representative,
      examples: others.slice(0, EXAMPLES),
      questions: items.map((item) => item.question),
      count: items.length,
      askers: askersOf(ordered.map((i) => gaps[i]!.logged)),
      platforms: distinct(items.map((item) => item.platform)).sort(),
      reasons: countReasons(items),
      firstAsked: items[0]!.askedAt,
      lastAsked: items.at(-1)!.askedAt,
      closest,
      suggestion,
      maybeFixedBy: await maybeFixed(
        input,
        ordered.map((i) => gaps[i]!),
      ),
      items,
    });
  }
  // Most asked first; among equals, more distinct askers, then the most recent.
  clusters.sort((a, b) => b.count - a.count || b.askers - a.askers || b.lastAsked.localeCompare(a.lastAsked));
  clusters.forEach((cluster, i) => {
    cluster.rank = i + 1;
  });
  const clustered = clusters.reduce((sum, c) => sum + c.count, 0);
  return {
    generatedAt: input.now.toISOString(),
    since: input.since.toISOString(),
    minSize: input.minSize,
    totals: { questions: inWindow.length, gaps: gaps.length, clustered, unclustered: gaps.length - clustered },
    volume: dailyVolume(inWindow, new Set(gaps.map((g) => g.logged.id)), input.since, input.now),
    clusters,
  };
}

async function closestPages(input: BuildReportInput, vector: number[]): Promise<ClosestPage[]> {
  const hits = await input.searchPages(vector, 20);
  const seen = new Set<string>();
  const pages: ClosestPage[] = [];
  for (const hit of hits.sort((a, b) => b.similarity - a.similarity)) {
    if (seen.has(hit.path) || !(hit.similarity >= CLOSE_SIMILARITY)) continue;
    seen.add(hit.path);
    pages.push({ path: hit.path, headingPath: hit.headingPath, score: round(hit.similarity), url: hit.url });
    if (pages.length === CLOSEST_PAGES) break;
  }
  return pages;
}

/**
 * Closing the loop: re-run retrieval (no LLM) for the cluster's questions. One that
 * was abstained or low-relevance when asked counts as now answered when retrieval
 * now finds it above the threshold; one that was 👎'd, when it does and its best
 * page is one the answer did not cite. When at least half are now answered, the
 * page most of them now find first may have fixed the gap.
 */
async function maybeFixed(
  input: BuildReportInput,
  members: { logged: LoggedQuestion; reason: GapReason }[],
): Promise<MaybeFixed | undefined> {
  if (!input.retrieve) return undefined;
  const found = new Map<string, { hit: RetrievedChunk; n: number }>();
  let nowAnswered = 0;
  for (const { logged, reason } of members) {
    const result = await input.retrieve(logged.standalone || logged.question);
    const top = result.hits[0];
    if (result.abstain || !top || !(bestRelevance(result.hits, input.reranker) >= input.lowRelevance)) continue;
    if (reason === 'downvoted' && logged.citedPaths.includes(top.path)) continue;
    nowAnswered += 1;
    const entry = found.get(top.path) ?? { hit: top, n: 0 };
    entry.n += 1;
    found.set(top.path, entry);
  }
  if (nowAnswered === 0 || nowAnswered * 2 < members.length) return undefined;
  const best = [...found.values()].sort((a, b) => b.n - a.n)[0]!;
  return {
    path: best.hit.path,
    headingPath: best.hit.headingPath,
    url: best.hit.url,
    nowAnswered,
    checked: members.length,
  };
}

function toGapQuestion(logged: LoggedQuestion, reason: GapReason): GapQuestion {
  return {
    question: logged.question,
    standalone: logged.standalone,
    platform: logged.platform,
    askedAt: logged.askedAt.toISOString(),
    reason,
    relevance: Number.isFinite(logged.relevance) && logged.relevance !== -1 ? round(logged.relevance) : null,
    requestId: logged.requestId,
    ...(logged.channelId ? { channelId: logged.channelId } : {}),
    ...(logged.thread && Object.keys(logged.thread).length > 0 ? { thread: logged.thread } : {}),
  };
}

function askersOf(questions: LoggedQuestion[]): number {
  const users = new Set(questions.filter((q) => q.userHash).map((q) => q.userHash));
  return users.size + questions.filter((q) => !q.userHash).length;
}

function countReasons(items: GapQuestion[]): Partial<Record<GapReason, number>> {
  const out: Partial<Record<GapReason, number>> = {};
  for (const item of items) out[item.reason] = (out[item.reason] ?? 0) + 1;
  return out;
}

function dailyVolume(questions: LoggedQuestion[], gapIds: Set<string>, since: Date, now: Date): GapsReport['volume'] {
  const days = new Map<string, { questions: number; gaps: number }>();
  // The whole window, so quiet days show as quiet rather than vanish.
  for (let t = Math.floor(since.getTime() / DAY_MS) * DAY_MS; t <= now.getTime(); t += DAY_MS) {
    days.set(new Date(t).toISOString().slice(0, 10), { questions: 0, gaps: 0 });
  }
  for (const q of questions) {
    const day = days.get(q.askedAt.toISOString().slice(0, 10));
    if (!day) continue;
    day.questions += 1;
    if (gapIds.has(q.id)) day.gaps += 1;
  }
  return [...days].map(([day, counts]) => ({ day, ...counts }));
}

function distinct<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
