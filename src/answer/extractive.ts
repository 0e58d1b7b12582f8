/**
 * The answer askdocs gives without an LLM key: the best retrieved passages, each
 * cited [n] and trimmed to a readable length.
 *
 * A chunk can hold several small sections merged together (an FAQ page's questions,
 * say), so the passage shown is the section of the chunk that shares the most
 * words with the query, labelled with that section's own heading. HTML in the docs is
 * shown as Markdown (chat-markdown.ts), since chat clients print tags as they are.
 */
import type { Source } from '../engine/types.ts';
import { plainHeadingText } from '../ingest/chunker.ts';
import { markFencedLines } from '../ingest/headings.ts';
import { contentWords } from '../retrieval/rewrite.ts';
import { chatMarkdown } from './chat-markdown.ts';

export interface ExtractiveOptions {
  /** Passages shown at most. */
  maxPassages: number;
  /** Each passage is cut to about this many characters. */
  maxPassageChars: number;
  /** A lower-ranked source is shown only if its similarity is within this of the best one. */
  similarityMargin: number;
}

export const DEFAULT_EXTRACTIVE_OPTIONS: ExtractiveOptions = {
  maxPassages: 2,
  maxPassageChars: 700,
  similarityMargin: 0.05,
};

export const ENABLE_GENERATED_HINT = '_These are excerpts from the docs. For written answers, set DEEPSEEK_API_KEY._';

export interface ExtractiveAnswer {
  /** Answer pieces in order; joined they give the full text. */
  parts: string[];
  cited: Source[];
}

interface Section {
  /** The section's heading text, without `#`s; undefined for text before the first heading. */
  heading?: string;
  /** The heading's level (1 for `#` and `===`, 2 for `##` and `---`, …). */
  depth?: number;
  body: string;
}

interface Passage {
  source: Source;
  /** The chunk's sections (splitSections), read once. */
  sections: Section[];
  section: Section;
  /** Which of `sections` it is. */
  index: number;
  /** Query words found in the section. */
  overlap: number;
}

/**
 * @param label names a source (`Title › Heading`); cited sources shown from a
 *   merged section carry that section's heading, so the label matches the excerpt.
 */
export function buildExtractiveAnswer(
  sources: Source[],
  query: string,
  label: (source: Source) => string,
  options: ExtractiveOptions = DEFAULT_EXTRACTIVE_OPTIONS,
): ExtractiveAnswer {
  const passages = pickPassages(sources, query, options);
  const cited = passages.map(({ source, sections, section, index }) => {
    if (section.heading) {
      // The chunk's first section is the one its heading path names already.
      if (index === 0) return source;
      // A section under the chunk's own heading is its child; any other, a sibling (FAQ questions).
      const first = sections[0];
      const child =
        first?.heading !== undefined &&
        plainHeadingText(first.heading) === source.headingPath.at(-1) &&
        (section.depth ?? 0) > (first.depth ?? Number.POSITIVE_INFINITY);
      const parent = child ? source.headingPath : source.headingPath.slice(0, -1);
      return { ...source, headingPath: [...parent, plainHeadingText(section.heading)] };
    }
    // Text before the chunk's first heading line is its own section's (a later piece of a
    // long section), unless its own heading comes later: then it is a short page intro
    // merged into its first subsection, and belongs to the parent.
    const own = source.headingPath.at(-1);
    const ownComesLater = sections.some((s) => s.heading !== undefined && plainHeadingText(s.heading) === own);
    return ownComesLater ? { ...source, headingPath: source.headingPath.slice(0, -1) } : source;
  });
  const parts = passages.map(({ sections, section, index: at }, index) => {
    const source = cited[index]!;
    const lead = index === 0 ? '' : '\n\n';
    // The label already says what its headings say; the rest of the question finds the part to show.
    const terms = wordsBeyond(contentWords(query), [source.title, ...source.headingPath].join(' '));
    const body = focusPassage(compactTableRows(withSubsections(section, sections.slice(at + 1))), terms, options.maxPassageChars);
    return `${lead}**${label(source)}** [${source.n}]\n${trimPassage(withoutRepeatedParagraphs(chatMarkdown(body)), options.maxPassageChars)}`;
  });
  parts.push(`${parts.length > 0 ? '\n\n' : ''}${ENABLE_GENERATED_HINT}`);
  return { parts, cited };
}

/** The best source's best section, plus close runners-up that also share words with the query. */
export function pickPassages(sources: Source[], query: string, options: ExtractiveOptions = DEFAULT_EXTRACTIVE_OPTIONS): Passage[] {
  const terms = new Set(contentWords(query));
  const [best, ...rest] = sources;
  if (!best) return [];
  const picked = [bestSection(best, splitSections(best.text), beyondTitle(terms, best))];
  for (const source of rest) {
    if (picked.length >= options.maxPassages) break;
    if (source.similarity < best.similarity - options.similarityMargin) continue;
    const sections = splitSections(source.text);
    // A runner-up must share a word with the question at all; which of its sections is shown is chosen as for the best.
    if (bestSection(source, sections, terms).overlap === 0) continue;
    const passage = bestSection(source, sections, beyondTitle(terms, source));
    if (picked.some((p) => p.section.body === passage.section.body)) continue;
    picked.push(passage);
  }
  return picked;
}

/**
 * The question's words that the page's title does not already hold: "error" in "what does
 * error E1077 mean?" matches every section of an "Error reference" page, and must not let
 * the first of them win over the one naming E1077. All of them, when the title holds all.
 */
function beyondTitle(terms: Set<string>, source: Source): Set<string> {
  const rest = new Set(wordsBeyond(terms, source.title));
  return rest.size > 0 ? rest : terms;
}

/**
 * The `terms` that are not among the words of `text`, singular or plural: a label
 * "Create Partitions" already says what "how do I create a partition?" asks.
 */
function wordsBeyond(terms: Iterable<string>, text: string): string[] {
  const words = new Set(contentWords(text).map(singular));
  return [...terms].filter((term) => !words.has(singular(term)));
}

function singular(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (/(?:ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  return /[^su]s$/.test(word) ? word.slice(0, -1) : word;
}

/** A section body this short that has subsections only leads into them ("The following tables…"). */
const LEAD_IN_CHARS = 240;

/**
 * The section's text; for a short lead-in whose subsections follow in the same chunk,
 * with those subsections under their headings, since its own text says only that they
 * follow.
 */
function withSubsections(section: Section, following: Section[]): string {
  if (section.depth === undefined || section.body.length > LEAD_IN_CHARS) return section.body;
  const parts = [section.body];
  for (const next of following) {
    if (next.depth === undefined || next.depth <= section.depth) break;
    parts.push(`${'#'.repeat(next.depth)} ${next.heading}`, next.body);
  }
  return parts.join('\n\n');
}

function bestSection(source: Source, sections: Section[], terms: Set<string>): Passage {
  let best: Passage | undefined;
  for (const [index, section] of sections.entries()) {
    const words = new Set(contentWords(`${section.heading ?? ''} ${section.body}`));
    const overlap = [...terms].filter((term) => words.has(term)).length;
    if (!best || overlap > best.overlap) best = { source, sections, section, index, overlap };
  }
  return best ?? { source, sections, section: { body: source.text }, index: 0, overlap: 0 };
}

/**
 * Splits markdown at heading lines (not inside code fences): ATX (`## Heading`) and
 * setext (a line underlined with `===` or `---`, after a blank line or at the start, so
 * a paragraph's last line above a `---` rule is not mistaken for one). Empty sections
 * are dropped.
 */
export function splitSections(text: string): Section[] {
  const sections: Section[] = [];
  let current: Section = { body: '' };
  const lines = markFencedLines(text);
  for (let i = 0; i < lines.length; i++) {
    const { line, fence, inCode } = lines[i]!;
    const prose = !fence && !inCode;
    const atx = prose ? /^[ \t]{0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$/.exec(line) : null;
    let heading = atx?.[2];
    let depth = atx?.[1]?.length;
    const next = lines[i + 1];
    const previous = lines[i - 1]?.line ?? '';
    if (heading === undefined && prose && line.trim() !== '' && previous.trim() === '' && next && !next.fence && !next.inCode) {
      if (/^[ \t]{0,3}(?:=+|-+)[ \t]*$/.test(next.line) && !/^[ \t]*(?:[-*+>|]|\d+[.)])/.test(line)) {
        heading = line;
        depth = next.line.trim().startsWith('=') ? 1 : 2;
        i++;
      }
    }
    if (heading !== undefined) {
      sections.push(current);
      current = { heading: heading.trim(), depth, body: '' };
    } else {
      current.body += `${line}\n`;
    }
  }
  sections.push(current);
  return sections.map((section) => ({ ...section, body: section.body.trim() })).filter((section) => section.body.length > 0);
}

/** Lines of a long code block shown above the line that matched. */
const CODE_CONTEXT_LINES = 3;

/**
 * Where a long passage is shown from. A section's text can run to many screens (a long
 * reference table, every piece of a long section merged into one hit), and the part
 * that answers the question may sit far past the first `maxChars`. The line with the
 * most of `terms` (the question's words that the label does not already explain), the
 * rarer within the passage the better, decides: when it lies beyond what the start
 * would show, the passage starts at its paragraph (its table's header rows, then the
 * row; its code block's opening fence, then a few lines above the match), after "…".
 */
export function focusPassage(body: string, terms: string[], maxChars: number): string {
  if (body.length <= maxChars || terms.length === 0) return body;
  const lines = markFencedLines(body);
  // A fence line's words name a language, not what the passage says.
  const wordsOf = lines.map(({ line, fence }) => new Set(fence ? [] : contentWords(line)));
  const spread = new Map(terms.map((term) => [term, wordsOf.filter((words) => words.has(term)).length]));
  const scoreOf = (words: Set<string>) => terms.reduce((sum, term) => sum + (words.has(term) ? 1 / spread.get(term)! : 0), 0);
  let best = -1;
  let bestScore = 0;
  wordsOf.forEach((words, i) => {
    const score = scoreOf(words);
    if (score > bestScore) [best, bestScore] = [i, score];
  });
  if (best < 0) return body;
  const offset = lines.slice(0, best).reduce((sum, { line }) => sum + line.length + 1, 0);
  // Shown from the start anyway, with room for some text after it.
  if (offset < maxChars * 0.6) return body;
  let start = best;
  const isRow = (i: number) => /^\s*\|/.test(lines[i]?.line ?? '') && !lines[i]!.inCode;
  if (lines[best]!.inCode) {
    let fence = best;
    while (fence > 0 && !lines[fence]!.fence) fence--;
    // A long block: its opening fence, then from a few lines above the match, so the match shows.
    const from = Math.max(fence + 1, best - CODE_CONTEXT_LINES);
    if (from > fence + 1) {
      return `…\n\n${[lines[fence]!, ...lines.slice(from)].map(({ line }) => line).join('\n')}`;
    }
    start = fence;
  } else if (isRow(best)) {
    let top = best;
    while (top > 0 && isRow(top - 1)) top--;
    // A pipe table's header row and delimiter row, then the rows from the one that matched.
    if (best - top >= 2) return `…\n\n${[lines[top]!, lines[top + 1]!, ...lines.slice(best)].map(({ line }) => line).join('\n')}`;
    start = top;
  } else {
    while (start > 0 && lines[start - 1]!.line.trim() !== '' && !lines[start - 1]!.fence) start--;
  }
  return `…\n\n${lines
    .slice(start)
    .map(({ line }) => line)
    .join('\n')}`;
}

/**
 * Pipe-table rows without their alignment padding. Docs pad cells to line the columns up
 * in an editor (a Milvus table's rows are 250 characters, mostly spaces); chat shows them
 * unaligned anyway, and the padding alone filled the passage: the header and delimiter
 * rows were all that fit, not the row the question is about. Code blocks keep their spacing.
 */
export function compactTableRows(text: string): string {
  return markFencedLines(text)
    .map(({ line, inCode, fence }) => {
      if (inCode || fence || !/^\s*\|/.test(line)) return line;
      const compact = line.trim().replace(/ {2,}/g, ' ');
      // A delimiter row keeps its alignment colons, with three dashes a column.
      return /^[\s|:-]+$/.test(compact) ? compact.replace(/-{3,}/g, '---') : compact;
    })
    .join('\n');
}

/**
 * The text without paragraphs that say again what the one before said, links aside. Docs
 * with a tab per SDK repeat a sentence once per language ("To create partitions, use
 * create_partition()", then "use createPartition()" twice, each linking its own reference);
 * a chat reader sees the tabs' texts one after another, so only the first is kept. A
 * paragraph must keep three words once its links are gone (two list items of bare links are
 * not the same), and code blocks are left alone: the Python, Java and Node.js samples differ.
 */
export function withoutRepeatedParagraphs(text: string): string {
  const paragraphs: string[][] = [[]];
  for (const { line, inCode, fence } of markFencedLines(text)) {
    if (!inCode && !fence && line.trim() === '') paragraphs.push([]);
    else paragraphs.at(-1)!.push(line);
  }
  let previous: string | undefined;
  const kept = paragraphs.filter((lines) => {
    if (lines.length === 0) return false;
    const said = lines
      .join(' ')
      .replace(/\[[^\]]*\]\([^)]*\)/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .toLowerCase();
    const repeated = !/^(?:```|~~~)/.test(said) && said === previous && said.split(' ').length >= 3;
    previous = said;
    return !repeated;
  });
  return kept.map((lines) => lines.join('\n')).join('\n\n');
}

/**
 * Cuts text near `maxChars` at the last paragraph, sentence, line or word boundary
 * that keeps at least half of it, closing a code fence the cut left open.
 */
export function trimPassage(text: string, maxChars: number): string {
  const body = text.trim();
  if (body.length <= maxChars) return body;
  const window = body.slice(0, maxChars);
  const floor = Math.floor(maxChars * 0.5);
  const candidates = [
    window.lastIndexOf('\n\n'),
    Math.max(...['. ', '.\n', '! ', '? '].map((end) => window.lastIndexOf(end) + 1)),
    window.lastIndexOf('\n'),
    window.lastIndexOf(' '),
  ];
  let end = candidates.find((index) => index >= floor) ?? maxChars;
  // A table row is never cut: the cells after the cut (often the value asked about) would
  // be lost and the row left broken; the passage ends with the row before.
  const lineStart = body.lastIndexOf('\n', end - 1) + 1;
  const lineEnd = body.indexOf('\n', end);
  if (lineStart > 0 && /^[ \t]*\|/.test(body.slice(lineStart)) && end < (lineEnd === -1 ? body.length : lineEnd)) end = lineStart - 1;
  let cut = body.slice(0, end).trimEnd();
  const fences = cut.match(/^[ \t]*(?:```|~~~)/gm)?.length ?? 0;
  if (fences % 2 === 1) cut += '\n```';
  return `${cut}\n…`;
}
