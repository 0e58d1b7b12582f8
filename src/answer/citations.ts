/**
 * Finds the inline citations ([1], [1, 3], [2][4], [1-3], [Source 2], and 【1】 / ［1］
 * as DeepSeek writes them in Chinese) in an answer and maps them to the sources that
 * were given to the model. Numbers that were never given (a model inventing [9]) and
 * brackets inside code (`arr[1]`) are not citations.
 *
 * `tidyCitations` / `CitationTidier` turn the model's markers into what users see: [n]
 * only, and only for real sources, never a link to a URL the model chose.
 */
import type { Source } from '../engine/types.ts';

/** Ranges wider than this are treated as noise, not a citation (e.g. `[1-2024]`). */
const MAX_RANGE_SPAN = 50;

/** ASCII brackets, and the full-width ones (【】, ［］) models write in CJK text. */
const OPEN = '[\\[【［]';
const CLOSE = '[\\]】］]';
/** Between numbers: , ; "and", and the full-width comma, semicolon and enumeration comma. */
const SEPARATOR = String.raw`(?:,|;|，|；|、|\band\b)`;
const NUMBER_OR_RANGE = String.raw`\d{1,4}(?:\s*[-–—]\s*\d{1,4})?`;
const NUMBER_LIST = String.raw`${NUMBER_OR_RANGE}(?:\s*${SEPARATOR}\s*(?:sources?\s*)?${NUMBER_OR_RANGE})*`;
/** An opening bracket, optional "source(s)"/"^", a list of numbers or ranges, a closing bracket. */
const MARKER = String.raw`${OPEN}\s*(?:sources?\s*|\^)?${NUMBER_LIST}\s*${CLOSE}`;
const CITATION = new RegExp(String.raw`${OPEN}\s*(?:sources?\s*|\^)?(${NUMBER_LIST})\s*${CLOSE}`, 'gi');

/** The text with fenced code blocks and inline code spans blanked out (same length). */
export function withoutCode(text: string): string {
  const blank = (match: string) => match.replace(/[^\n]/g, ' ');
  return (
    text
      .replace(/^[ \t]*(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^[ \t]*\1[ \t]*$|(?![\s\S]))/gm, blank)
      // An inline code span never crosses a blank line, so a stray backtick cannot hide a paragraph.
      .replace(/(`+)(?!`)(?:(?!\n[ \t]*\n)[\s\S])*?[^`]\1(?!`)/g, blank)
  );
}

/**
 * Source numbers cited in `text`, unique, in order of first citation, keeping only
 * numbers in 1..sourceCount.
 */
export function parseCitations(text: string, sourceCount: number): number[] {
  const cited: number[] = [];
  const seen = new Set<number>();
  const add = (n: number) => {
    if (n >= 1 && n <= sourceCount && !seen.has(n)) {
      seen.add(n);
      cited.push(n);
    }
  };
  for (const match of withoutCode(text).matchAll(CITATION)) {
    for (const n of markerNumbers(match[1] ?? '')) add(n);
  }
  return cited;
}

/** The numbers a marker's list names, ranges expanded (an absurd range names none). */
function markerNumbers(list: string): number[] {
  const numbers: number[] = [];
  for (const part of list.split(new RegExp(String.raw`\s*${SEPARATOR}\s*`, 'i'))) {
    const [from, to] = part
      .replace(/sources?/i, '')
      .split(/[-–—]/)
      .map((value) => Number.parseInt(value.trim(), 10));
    if (from === undefined || Number.isNaN(from)) continue;
    if (to === undefined || Number.isNaN(to)) {
      numbers.push(from);
    } else if (to >= from && to - from <= MAX_RANGE_SPAN) {
      for (let n = from; n <= to; n++) numbers.push(n);
    }
  }
  return numbers;
}

/** The sources `text` cites, in order of first citation. */
export function citedSources(text: string, sources: Source[]): Source[] {
  const byNumber = new Map(sources.map((source) => [source.n, source]));
  return parseCitations(text, highestSourceNumber(sources)).flatMap((n) => {
    const source = byNumber.get(n);
    return source ? [source] : [];
  });
}

/** The highest number among `sources`: citations above it name no source. */
export function highestSourceNumber(sources: Pick<Source, 'n'>[]): number {
  return Math.max(0, ...sources.map((source) => source.n));
}

/** Removes citation markers, e.g. from earlier answers fed back as history (their numbers are stale). */
export function stripCitations(text: string): string {
  return replaceOutsideCode(text, CITATION, () => '').replace(/[ \t]+([.,;:!?])/g, '$1');
}

/** A link target right after a marker, `(https://…)` with an optional title: one the model chose. */
const LINK_TARGET = String.raw`\(\s*<?[^)\s>]+>?(?:\s+"[^"\n]*")?\s*\)`;
/** `[1](url)`, or `[[1]](url)` (a link whose text is the marker). */
const LINKED_MARKER = new RegExp(String.raw`\[(${MARKER})\]${LINK_TARGET}|(${MARKER})${LINK_TARGET}`, 'gi');
/** `[1]: https://…` on a line of its own: a reference definition that would make every [1] a link. */
const MARKER_DEFINITION = new RegExp(String.raw`^[ \t]{0,3}${MARKER}:[^\n]*(?:\n|(?![\s\S]))`, 'gim');
/** Citation numbers a model invents stay small; a larger bracketed number ("[2024]") is the text's own. */
const MAX_CITATION_NUMBER = 99;

/**
 * The answer as users see it: every citation marker outside code written as [n] (so
 * 【1】 and ［1］ read like the rest), numbers that are no source removed (the reader
 * would look for a [7] the list does not have), and no link on a marker: a model's
 * `[1](url)` keeps only the [1], and its `[1]: url` definition lines are dropped, so a
 * marker never leads anywhere but the sources list.
 */
export function tidyCitations(text: string, sourceCount: number): string {
  const unlinked = replaceOutsideCode(text, LINKED_MARKER, (match) => match[1] ?? match[2] ?? '');
  const withoutDefinitions = replaceOutsideCode(unlinked, MARKER_DEFINITION, () => '');
  return replaceOutsideCode(withoutDefinitions, CITATION, (match) => shownMarker(match[0] ?? '', match[1] ?? '', sourceCount)).replace(
    /(?<=\S)[ \t]+\u0000|\u0000/g,
    '',
  );
}

/** How one marker is shown: as written when it is plain [n] for real sources, else rewritten or removed. */
function shownMarker(marker: string, list: string, sourceCount: number): string {
  const numbers = markerNumbers(list);
  // Not a citation at all (a year, an absurd range, [0]): the text's own brackets.
  if (numbers.length === 0 || numbers.every((n) => n < 1 || n > MAX_CITATION_NUMBER)) return marker;
  const real = [...new Set(numbers.filter((n) => n <= sourceCount && n >= 1))];
  const allReal = real.length === new Set(numbers).size;
  if (allReal && marker.startsWith('[') && marker.endsWith(']')) return marker;
  return real.length > 0 ? `[${real.join(', ')}]` : REMOVED;
}

/** Stands for a removed marker until the spaces before it go too ("see [7]." → "see."); a model writes no NUL. */
const REMOVED = '\u0000';

/**
 * `text` with each match of `pattern` found outside code replaced. Matched on the
 * code-blanked text, which outside code is the text itself, so the groups are the text's.
 */
function replaceOutsideCode(text: string, pattern: RegExp, replace: (groups: (string | undefined)[]) => string): string {
  let out = '';
  let last = 0;
  for (const match of withoutCode(text).matchAll(pattern)) {
    out += text.slice(last, match.index) + replace([...match]);
    last = match.index + match[0].length;
  }
  return out + text.slice(last);
}

/**
 * A marker (or a link on one) that may still be being written at the end of the text, with
 * the spaces before it, or trailing spaces alone: they go if a marker that follows is removed.
 */
const PENDING_MARKER = new RegExp(String.raw`[ \t]*(?:\[?(?:${OPEN}[ \t\w,;，；、\-–—^]{0,80}|${MARKER}\]?(?:\([^)\n]*)?))?$`, 'i');
/** A last line that may yet become a marker's definition line, or a code fence line. */
const PENDING_LINE = new RegExp(
  String.raw`(?:^|\n)([ \t]{0,3}(?:${OPEN}[ \t\w,;，；、\-–—^]{0,80}|${MARKER}(?::[^\n]*)?)?|[ \t]*(?:\`{1,2}|~{1,2}|\`{3,}[^\`\n]*|~{3,}[^\n]*))$`,
  'i',
);

/**
 * `tidyCitations` for an answer that streams: text goes in as the model writes it, and
 * out as users see it. What may still change with the next delta (a marker or a link on
 * it being written, a line that may be a definition, an inline code span not yet
 * closed) is held back until it is settled, so the pieces given out always add up to
 * `tidyCitations` of the whole answer: no surface ever shows a marker that later goes.
 */
export class CitationTidier {
  #raw = '';
  #shown = '';

  constructor(private readonly sourceCount: number) {}

  /** The next piece to show after `delta` ('' while it is held back). */
  push(delta: string): string {
    this.#raw += delta;
    return this.#showUpTo(settledLength(this.#raw));
  }

  /** The rest, once the answer is complete. */
  end(): string {
    return this.#showUpTo(this.#raw.length);
  }

  #showUpTo(length: number): string {
    const shown = tidyCitations(this.#raw.slice(0, length), this.sourceCount);
    // Shorter than what is out (a longer hold than before): nothing new yet.
    if (!shown.startsWith(this.#shown)) return '';
    const next = shown.slice(this.#shown.length);
    this.#shown = shown;
    return next;
  }
}

/** How much of `raw` no later text can change the tidy form of. */
function settledLength(raw: string): number {
  let settled = raw.length;
  const line = PENDING_LINE.exec(raw);
  if (line) settled = Math.min(settled, line.index + (raw[line.index] === '\n' ? 1 : 0));
  // Matched in the raw text: code is blanked to spaces, which would all count as trailing spaces.
  // (A bracket in a code block is held too; holding back more is always safe.)
  const marker = PENDING_MARKER.exec(raw);
  if (marker) settled = Math.min(settled, marker.index);
  const openCode = openInlineCode(raw, withoutCode(raw));
  if (openCode !== undefined) settled = Math.min(settled, openCode);
  return settled;
}

/**
 * Where an inline code span may still open or close in the last paragraph: its first
 * backtick left outside code (no closing one yet), or, when the text ends in a backtick
 * (a closing run may yet grow), its first backtick at all.
 */
function openInlineCode(raw: string, plain: string): number | undefined {
  const paragraph = Math.max(0, raw.search(/\n[ \t]*\n(?![\s\S]*\n[ \t]*\n)/));
  const unclosed = plain.indexOf('`', paragraph);
  if (unclosed >= 0) return unclosed;
  if (!raw.endsWith('`')) return undefined;
  const first = raw.indexOf('`', paragraph);
  return first >= 0 ? first : undefined;
}
