/**
 * Finds the inline citations ([1], [1, 3], [2][4], [1-3], [Source 2]) in an answer
 * and maps them to the sources that were given to the model. Numbers that were
 * never given (a model inventing [9]) and brackets inside code (`arr[1]`) are not
 * citations.
 */
import type { Source } from '../engine/types.ts';

/** Ranges wider than this are treated as noise, not a citation (e.g. `[1-2024]`). */
const MAX_RANGE_SPAN = 50;

const NUMBER_OR_RANGE = String.raw`\d{1,4}(?:\s*[-–—]\s*\d{1,4})?`;
/** `[` optional "source(s)"/"^" + number-or-range list separated by , ; or "and" + `]`. */
const CITATION = new RegExp(
  String.raw`\[\s*(?:sources?\s*|\^)?(${NUMBER_OR_RANGE}(?:\s*(?:,|;|\band\b)\s*(?:sources?\s*)?${NUMBER_OR_RANGE})*)\s*\]`,
  'gi',
);

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
    for (const part of (match[1] ?? '').split(/\s*(?:,|;|\band\b)\s*/i)) {
      const [from, to] = part
        .replace(/sources?/i, '')
        .split(/[-–—]/)
        .map((value) => Number.parseInt(value.trim(), 10));
      if (from === undefined || Number.isNaN(from)) continue;
      if (to === undefined || Number.isNaN(to)) {
        add(from);
      } else if (to >= from && to - from <= MAX_RANGE_SPAN) {
        for (let n = from; n <= to; n++) add(n);
      }
    }
  }
  return cited;
}

/** The sources `text` cites, in order of first citation. */
export function citedSources(text: string, sources: Source[]): Source[] {
  const byNumber = new Map(sources.map((source) => [source.n, source]));
  const highest = Math.max(0, ...sources.map((source) => source.n));
  return parseCitations(text, highest).flatMap((n) => {
    const source = byNumber.get(n);
    return source ? [source] : [];
  });
}

/** Removes citation markers, e.g. from earlier answers fed back as history (their numbers are stale). */
export function stripCitations(text: string): string {
  let out = '';
  let last = 0;
  for (const match of withoutCode(text).matchAll(CITATION)) {
    out += text.slice(last, match.index);
    last = match.index + match[0].length;
  }
  out += text.slice(last);
  return out.replace(/[ \t]+([.,;:!?])/g, '$1');
}
