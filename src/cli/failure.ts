/**
 * The one line the CLI prints when a command fails, in words that fit the command:
 * an AskdocsError's own message, else what failed and why (never a stack trace, never
 * "while answering" for an ingest). Secrets are redacted; details go to the debug log.
 */
import { AskdocsError } from '../errors.ts';
import { redactSecrets } from '../logger.ts';
import { isRerunHopeless, sentence } from '../milvus/status.ts';

const MAX_REASON_CHARS = 300;

export function cliFailureMessage(error: unknown, command: string): string {
  // Redacted too: a message may quote a configured URL or a server's reply.
  if (error instanceof AskdocsError) {
    const hint = resumeHint(error, command);
    const message = redactSecrets(error.userMessage);
    return hint ? `${sentence(message)} ${hint}` : message;
  }
  return `${command} failed: ${reasonOf(error)}.`;
}

/**
 * An ingest that lost Milvus half-way is not lost: what it stored stays, and a re-run
 * picks up the rest. Not said where a re-run cannot help (a damaged data file, a
 * read-only data folder, a full disk): those messages say what to do instead.
 */
function resumeHint(error: AskdocsError, command: string): string {
  if (command !== 'ingest' || (error.code !== 'milvus_unavailable' && error.code !== 'milvus') || isRerunHopeless(error)) return '';
  return 'Run the ingest again once Milvus answers: it resumes where it stopped.';
}

export function interruptedMessage(command: string): string {
  return command === 'ingest' ? 'ingest interrupted; run it again to resume where it stopped.' : `${command} interrupted.`;
}

function reasonOf(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const line = redactSecrets(raw.split('\n').find((l) => l.trim() !== '') ?? 'unknown error')
    .trim()
    .replace(/\.$/, '');
  return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS - 1)}…` : line;
}
