/**
 * `askdocs feedback [--json] [--limit N]`: lists the 👍/👎 votes users gave chat answers,
 * newest first, with the question, answer and sources each vote was about.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { stripInvisibleChars } from '../../control-chars.ts';
import { feedbackLocation, readFeedback } from '../../feedback/reader.ts';
import type { FeedbackRecord } from '../../feedback/store.ts';
import type { CliContext } from '../context.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('feedback')
    .description('List feedback (👍/👎) that chat users gave answers, newest first')
    .option('--json', 'print JSON (one array of records) instead of text')
    .option('--limit <n>', 'how many records to show', parsePositiveInt, 50)
    .action(async (options: { json?: boolean; limit: number }) => {
      const config = ctx.loadConfig();
      let records: FeedbackRecord[];
      try {
        records = await readFeedback(config, { limit: options.limit });
      } catch (error) {
        ctx.fail(error);
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        return;
      }
      if (records.length === 0) {
        process.stdout.write(`No feedback recorded yet (${feedbackLocation(config)}).\n`);
        return;
      }
      for (const record of records) process.stdout.write(`${formatRecord(record)}\n`);
    });
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

export function formatRecord(record: FeedbackRecord): string {
  const vote = record.vote === 'up' ? '👍' : '👎';
  const cited = record.sources.map((s) => `[${s.n}] ${s.path}`).join(', ') || '(no sources)';
  return [
    `${record.at}  ${vote}  ${record.platform}  user ${record.userId}  ${record.messageRef}${record.requestId ? `  request ${record.requestId}` : ''}`,
    `  Q: ${oneLine(record.question, 200)}`,
    `  A: ${oneLine(record.answer, 300)}`,
    `  Sources: ${cited}`,
  ].join('\n');
}

/**
 * One line of what a user or the model wrote, never a terminal control sequence (a model
 * can be talked into one), nor a bidi override that would show it in another order than
 * it was written (joiners stay: scripts and emoji need them).
 */
function oneLine(text: string, max: number): string {
  const flat = stripInvisibleChars(text, { keepShaping: true }).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat || '(unknown)';
}
