/**
 * Renders an engine answer in a terminal. The answer goes to stdout as it streams;
 * on a TTY a dim progress line on stderr shows the stage until the first words
 * arrive, and headings get colour. Piped output is plain text (no escape codes),
 * so `askdocs ask … > answer.txt` holds exactly the answer and its sources. Text from
 * the docs or the model is stripped of terminal control sequences before it is written.
 */
import { styleText } from 'node:util';
import { sourceEntries } from '../../chat/sources.ts';
import { stripControlChars } from '../../control-chars.ts';
import type { AnswerEvent, Source } from '../../engine/types.ts';

export type FinalAnswer = Extract<AnswerEvent, { type: 'final' }>;

export interface TerminalIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Colour and the progress line; defaults to stdout being a TTY and NO_COLOR unset. */
  fancy?: boolean;
}

export function isFancy(io: TerminalIO): boolean {
  return io.fancy ?? (Boolean(io.stdout.isTTY) && !process.env.NO_COLOR);
}

/**
 * Writes the answer as it streams, then its sources. Returns the final event
 * (throws what the engine throws, after clearing the progress line and ending a line
 * the answer left open).
 */
export async function renderAnswer(events: AsyncIterable<AnswerEvent>, io: TerminalIO): Promise<FinalAnswer> {
  const fancy = isFancy(io);
  const progress = progressLine(io);
  let wrote = '';
  const write = (text: string) => {
    const shown = stripControlChars(text);
    io.stdout.write(shown);
    wrote += shown;
  };
  try {
    for await (const event of events) {
      if (event.type === 'status') progress.show(event.message);
      if (event.type === 'delta') {
        progress.clear();
        write(event.text);
      }
      if (event.type === 'final') {
        progress.clear();
        // Normally the deltas already printed the whole text; this covers an engine that sent none.
        if (wrote.length === 0) io.stdout.write(stripControlChars(event.text));
        io.stdout.write('\n');
        const sources = formatSourcesBlock(event, fancy);
        if (sources) io.stdout.write(`\n${sources}\n`);
        return event;
      }
    }
    throw new Error(NO_FINAL);
  } catch (error) {
    // Failed mid-answer: the error line that follows (on stderr, shown in the same terminal)
    // must start on a line of its own, not at the end of the half-written answer. Waiting for
    // the newline to be written keeps it ahead of the error where stdout is asynchronous.
    if (wrote !== '' && !wrote.endsWith('\n')) await endLine(io.stdout);
    throw error;
  } finally {
    progress.clear();
  }
}

/** Writes a newline and waits until it is handed to the OS (a broken stream does not hold it up). */
function endLine(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.write('\n', () => resolve());
  });
}

/** Waits for the final event without printing anything (for `--json`). */
export async function finalOf(events: AsyncIterable<AnswerEvent>): Promise<FinalAnswer> {
  for await (const event of events) if (event.type === 'final') return event;
  throw new Error(NO_FINAL);
}

const NO_FINAL = 'the engine ended without a final answer';

/** "Sources" (or "Closest pages" when abstaining) with one `[n] Title › Heading — link` line each. */
export function formatSourcesBlock(final: FinalAnswer, fancy = false): string | undefined {
  if (final.citations.length === 0) return undefined;
  const heading = final.mode === 'abstained' ? 'Closest pages' : 'Sources';
  const lines = sourceLines(final.citations);
  return [fancy ? style('bold', heading) : heading, ...lines].join('\n');
}

export function sourceLines(sources: Source[]): string[] {
  // Keep the engine's order (order of first citation), not sorted by number.
  const entries = new Map(sourceEntries(sources, { maxEntries: sources.length }).map((entry) => [entry.n, entry] as const));
  return sources.flatMap((source) => {
    const entry = entries.get(source.n);
    return entry ? [stripControlChars(`[${entry.n}] ${entry.label} — ${entry.link ?? entry.path}`)] : [];
  });
}

/** The answer as JSON for scripts: `askdocs ask --json`. */
export function finalAsJson(final: FinalAnswer): string {
  return JSON.stringify(
    {
      requestId: final.requestId,
      mode: final.mode,
      abstained: final.abstained,
      standaloneQuery: final.standaloneQuery,
      text: final.text,
      citations: final.citations.map((s) => ({
        n: s.n,
        title: s.title,
        headingPath: s.headingPath,
        path: s.path,
        url: s.url,
      })),
      usage: final.usage,
    },
    null,
    2,
  );
}

/** One line on stderr, like `askdocs: <message>` but for an error inside `chat` that does not end it. */
export function writeErrorLine(io: TerminalIO, message: string): void {
  const text = `askdocs: ${message}`;
  io.stderr.write(`${isFancy(io) ? style('red', text) : text}\n`);
}

/** Styles text unconditionally: whether to style at all is decided by `isFancy`, per stream. */
function style(format: Parameters<typeof styleText>[0], text: string): string {
  return styleText(format, text, { validateStream: false });
}

/** A status line for the terminal (e.g. while the model loads); silent when output is piped. */
export function progressLine(io: TerminalIO): ProgressLine {
  return new ProgressLine(io.stderr, isFancy(io) && Boolean(io.stderr.isTTY));
}

/** A single status line on stderr, rewritten in place; a no-op when not on a terminal. */
export class ProgressLine {
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly enabled: boolean,
  ) {}

  show(message: string): void {
    if (!this.enabled) return;
    this.stream.write(`\r\x1b[2K${style('dim', message)}`);
    this.shown = true;
  }

  clear(): void {
    if (!this.shown) return;
    this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}
