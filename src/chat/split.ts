/**
 * Splits long Markdown into chat messages that each fit a platform's size limit
 * (Slack section text, Discord's 2000 characters, ...).
 *
 * API:
 *   splitMessage(text: string, maxChars: number): string[]
 *     - Every part is at most `maxChars` characters (UTF-16 length, which is never
 *       less than what Slack or Discord count) and is non-empty.
 *     - Cuts fall on paragraph boundaries first, then line boundaries, then sentence
 *       ends, then spaces; only a single over-long word is cut mid-word.
 *     - Never cuts inside a fenced code block: a code block that alone is too long is
 *       closed at the end of one part and reopened (same fence and info string) at the
 *       start of the next, so every part renders as valid Markdown on its own.
 *   Text that already fits comes back as `[text]` (trimmed); empty text gives `[]`.
 *
 *   cutPoint(text, maxChars): number
 *     - Where a message that shows only the start of `text` should end (a stream that is
 *       full): `text.slice(0, cut)` is at most `maxChars` long and ends at a paragraph
 *       break, else a line break, else a sentence end, else a space, whichever fills at
 *       least 3/4 of it; `text.slice(cut)` is what follows. Mid-word only without any.
 *
 *   unclosedFence(text): { open, close } | undefined
 *     - When `text` ends inside a fenced code block (e.g. a message cut mid-stream),
 *       returns its opening fence line and the marker that closes it, so the caller can
 *       close it here and reopen it in the next message.
 */

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

interface TextBlock {
  kind: 'text';
  text: string;
}

interface CodeBlock {
  kind: 'code';
  /** The opening fence line exactly as written, e.g. "```python". */
  open: string;
  /** The closing fence; synthesised when the source never closed the block. */
  close: string;
  lines: string[];
}

type Block = TextBlock | CodeBlock;

export function splitMessage(text: string, maxChars: number): string[] {
  if (!Number.isInteger(maxChars) || maxChars < 16) {
    throw new RangeError(`splitMessage: maxChars must be an integer >= 16 (got ${maxChars})`);
  }
  const trimmed = text.replace(/\s+$/, '').replace(/^\s*\n/, '');
  if (trimmed.trim() === '') return [];
  if (trimmed.length <= maxChars) return [trimmed];

  const pieces = parseBlocks(trimmed).flatMap((block) => fitBlock(block, maxChars));
  return packPieces(pieces, maxChars);
}

export function cutPoint(text: string, maxChars: number): number {
  if (text.length <= maxChars) return text.length;
  if (maxChars <= 0) return 0;
  // The strongest kind of break that still fills most of the message wins: a paragraph kept
  // whole is worth a quarter of the room, not more (the message is to hold what fits).
  const breaks = [
    text.lastIndexOf('\n\n', maxChars),
    text.lastIndexOf('\n', maxChars),
    afterSpace(lastSentenceEnd(text, maxChars - 1)),
    afterSpace(text.lastIndexOf(' ', maxChars - 1)),
  ];
  const filling = breaks.find((at) => at >= (maxChars * 3) / 4);
  if (filling !== undefined) return filling;
  const latest = Math.max(...breaks);
  return latest > 0 ? latest : cutAt(text, maxChars)[0].length;
}

/** A cut after a space keeps the space in the first part, so the next part starts with a word. */
function afterSpace(index: number): number {
  return index < 0 ? -1 : index + 1;
}

/** Sentence-ending punctuation (and the quotes or brackets closing after it) followed by a space. */
const SENTENCE_END = /[.!?…]["'’”)\]]*(?= )/g;

/** Index of the space after the last sentence that ends with a space at or before `maxIndex`; -1 when none does. */
function lastSentenceEnd(text: string, maxIndex: number): number {
  let last = -1;
  for (const match of text.slice(0, maxIndex + 1).matchAll(SENTENCE_END)) last = match.index + match[0].length;
  return last;
}

export function unclosedFence(text: string): { open: string; close: string } | undefined {
  let open: { open: string; close: string } | undefined;
  for (const line of text.split('\n')) {
    if (open) {
      if (isClosingFence(line, open.close)) open = undefined;
      continue;
    }
    const fence = FENCE_LINE.exec(line);
    if (fence) open = { open: line, close: fence[1] as string };
  }
  return open;
}

/** Splits Markdown into paragraphs and whole fenced code blocks, in order. */
function parseBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let paragraph: string[] = [];
  const endParagraph = () => {
    if (paragraph.length > 0) blocks.push({ kind: 'text', text: paragraph.join('\n') });
    paragraph = [];
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fence = FENCE_LINE.exec(line);
    if (fence) {
      endParagraph();
      const marker = fence[1] as string;
      const body: string[] = [];
      let close: string | undefined;
      for (i = i + 1; i < lines.length; i++) {
        const inner = lines[i] as string;
        if (isClosingFence(inner, marker)) {
          close = inner;
          break;
        }
        body.push(inner);
      }
      blocks.push({ kind: 'code', open: line, close: close ?? marker, lines: body });
      continue;
    }
    if (line.trim() === '') endParagraph();
    else paragraph.push(line);
  }
  endParagraph();
  return blocks;
}

function isClosingFence(line: string, openMarker: string): boolean {
  const match = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
  if (!match) return false;
  const marker = match[1] as string;
  return marker[0] === openMarker[0] && marker.length >= openMarker.length;
}

/** Turns one block into rendered pieces that each fit `maxChars`. */
function fitBlock(block: Block, maxChars: number): string[] {
  if (block.kind === 'text') {
    return block.text.length <= maxChars ? [block.text] : splitLines(block.text, maxChars);
  }
  const whole = renderCode(block, block.lines);
  if (whole.length <= maxChars) return [whole];

  // Too long alone: close and reopen the fence around each slice of lines.
  const overhead = block.open.length + block.close.length + 2;
  const room = Math.max(1, maxChars - overhead);
  const pieces: string[] = [];
  let slice: string[] = [];
  let sliceLength = 0;
  for (const rawLine of block.lines) {
    for (const line of rawLine.length <= room ? [rawLine] : hardCut(rawLine, room)) {
      const added = (slice.length > 0 ? 1 : 0) + line.length;
      if (slice.length > 0 && sliceLength + added > room) {
        pieces.push(renderCode(block, slice));
        slice = [];
        sliceLength = 0;
      }
      sliceLength += (slice.length > 0 ? 1 : 0) + line.length;
      slice.push(line);
    }
  }
  if (slice.length > 0) pieces.push(renderCode(block, slice));
  return pieces;
}

function renderCode(block: CodeBlock, lines: string[]): string {
  return [block.open, ...lines, block.close].join('\n');
}

/** Splits plain text at line breaks, then spaces, then (last resort) mid-word. */
function splitLines(text: string, maxChars: number): string[] {
  const out: string[] = [];
  let current = '';
  const pushLine = (line: string) => {
    const candidate = current === '' ? line : `${current}\n${line}`;
    if (candidate.length <= maxChars) {
      current = candidate;
      return;
    }
    if (current !== '') out.push(current);
    current = line;
  };
  for (const line of text.split('\n')) {
    if (line.length <= maxChars) pushLine(line);
    else for (const part of splitWords(line, maxChars)) pushLine(part);
  }
  if (current !== '') out.push(current);
  return out;
}

/** Splits one over-long line between sentences, else at spaces (dropping the space cut at). */
function splitWords(line: string, maxChars: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > maxChars) {
    // A sentence end late enough to fill half the part is worth the shorter part.
    const sentence = lastSentenceEnd(rest, maxChars);
    const cut = sentence >= maxChars / 2 ? sentence : rest.lastIndexOf(' ', maxChars);
    if (cut > maxChars / 3) {
      out.push(rest.slice(0, cut));
      rest = rest.slice(cut + 1);
    } else {
      const [head, tail] = cutAt(rest, maxChars);
      out.push(head);
      rest = tail;
    }
  }
  if (rest !== '') out.push(rest);
  return out;
}

function hardCut(line: string, size: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > size) {
    const [head, tail] = cutAt(rest, size);
    out.push(head);
    rest = tail;
  }
  out.push(rest);
  return out;
}

/** Cuts at `index` without splitting a surrogate pair. */
function cutAt(text: string, index: number): [string, string] {
  let at = index;
  const code = text.charCodeAt(at - 1);
  if (at > 1 && code >= 0xd800 && code <= 0xdbff) at -= 1;
  return [text.slice(0, at), text.slice(at)];
}

/** Greedily joins pieces with blank lines into parts of at most `maxChars`. */
function packPieces(pieces: string[], maxChars: number): string[] {
  const parts: string[] = [];
  let current = '';
  for (const piece of pieces) {
    const candidate = current === '' ? piece : `${current}\n\n${piece}`;
    if (candidate.length <= maxChars) {
      current = candidate;
    } else {
      if (current !== '') parts.push(current);
      current = piece;
    }
  }
  if (current !== '') parts.push(current);
  return parts;
}
