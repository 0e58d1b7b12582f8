/**
 * Heading helpers shared by the chunker and the evaluator, so both agree on what a
 * heading line is and on how headings compare (the rules of docs/eval.md).
 */

/** Lower case, drop `` ` * _ " ' `` and curly quotes, collapse white space, trim. */
export function normalizeHeading(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[`*_"'\u2018\u2019\u201c\u201d]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const FENCE = /^[ \t]*(`{3,}|~{3,})(.*)$/;
// ATX heading; leading white space is allowed because headings nested in list items
// (e.g. faq/troubleshooting.md) keep their indentation in a chunk's text.
const ATX_HEADING = /^[ \t]*#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;

/** One line of a Markdown text: a fence line itself, or a line inside or outside fenced code. */
export interface MarkdownLine {
  line: string;
  /** An opening or closing fence line (```` ``` ````, `~~~`). */
  fence: boolean;
  /** Inside fenced code (fence lines excluded). An unclosed fence runs to the end. */
  inCode: boolean;
}

/** Every line of a Markdown text, marked as a fence line, inside fenced code, or neither. */
export function markFencedLines(text: string): MarkdownLine[] {
  const out: MarkdownLine[] = [];
  let fence: string | undefined;
  for (const line of text.split('\n')) {
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch?.[1]) {
      const marker = fenceMatch[1];
      if (fence === undefined) fence = marker;
      // A closing fence uses the same character, is at least as long and has no info string.
      else if (marker[0] === fence[0] && marker.length >= fence.length && !fenceMatch[2]?.trim()) fence = undefined;
      out.push({ line, fence: true, inCode: false });
      continue;
    }
    out.push({ line, fence: false, inCode: fence !== undefined });
  }
  return out;
}

/** The lines of a Markdown text that are not fence lines themselves, each marked with whether it sits inside fenced code. */
export function linesWithFences(text: string): MarkdownLine[] {
  return markFencedLines(text).filter((line) => !line.fence);
}

/**
 * The heading texts written as ATX heading lines in a chunk's text (outside fenced
 * code, where `# comment` is not a heading), without their leading `#`s.
 */
export function headingLinesIn(text: string): string[] {
  const headings: string[] = [];
  for (const { line, inCode } of linesWithFences(text)) {
    if (inCode) continue;
    const heading = ATX_HEADING.exec(line);
    if (heading?.[1]) headings.push(heading[1]);
  }
  return headings;
}
