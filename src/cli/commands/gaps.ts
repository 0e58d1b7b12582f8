/**
 * `askdocs gaps [--since 30d] [--min-size 2] [--json | --html FILE | --md | --digest]`: what the
 * docs fail to answer. Clusters the logged questions that were abstained, 👎'd or
 * low-relevance, ranks the clusters, and shows for each the closest pages, a
 * suggestion, and "maybe fixed by" when retrieval now answers it.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { AskdocsError } from '../../errors.ts';
import { isFolder } from '../../paths.ts';
import type { CliContext } from '../context.ts';

const DEFAULT_SINCE = '30d';

interface GapsOptions {
  since: number;
  minSize: number;
  json?: boolean;
  html?: string;
  md?: boolean;
  digest?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('gaps')
    .description("Coverage gaps: clusters of questions the docs didn't answer well, with what to write")
    // The default is used in milliseconds, and shown in help as typed (30d, not 2592000000).
    .addOption(
      new Option('--since <age>', 'look at questions asked in this window (e.g. 30d, 12h, 2w)')
        .argParser(parseAge)
        .default(parseAge(DEFAULT_SINCE), DEFAULT_SINCE),
    )
    .option('--min-size <n>', 'smallest cluster to show', parsePositiveInt, 2)
    .option('--json', 'print one JSON object (clusters largest first) for pipelines')
    .option('--html <file>', 'write a self-contained HTML report with a chart to this file', parseReportFile)
    .option('--md', 'print Markdown (the default)')
    .option('--digest', 'print the chat digest (top 5 gaps with thread links) as the bots would post it')
    .action(async (options: GapsOptions, command: Command) => {
      const formats = [options.json, options.html !== undefined, options.md, options.digest].filter(Boolean).length;
      if (formats > 1) ctx.fail(new AskdocsError('input', 'Choose one of --json, --html FILE, --md and --digest.'));
      const config = ctx.loadConfig();
      const logger = ctx.logger(config);
      try {
        const { loadGapsReport } = await import('../../gaps/load.ts');
        if (!config.questionLog.enabled) {
          process.stderr.write('askdocs: QUESTION_LOG=off: no new questions are being logged; reporting what is stored.\n');
        }
        const runtime = await ctx.openRuntime(config, logger);
        try {
          if (!(await runtime.store.exists())) {
            throw new AskdocsError('input', runtime.store.missingMessage());
          }
          // The preview covers what the bot would post: its window unless --since says otherwise.
          const digestWindow = options.digest && command.getOptionValueSource('since') === 'default';
          const { report, logExists } = await loadGapsReport(runtime, config, logger, {
            sinceMs: digestWindow ? (config.gaps.digest?.windowDays ?? 7) * 24 * 60 * 60 * 1000 : options.since,
            minSize: options.minSize,
          });
          if (!logExists) {
            process.stderr.write(
              `askdocs: no questions logged yet (collection "${config.questionLog.collection}" is missing); ask some first.\n`,
            );
          }
          if (options.json) {
            process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          } else if (options.html !== undefined) {
            const { renderHtml } = await import('../../gaps/html.ts');
            const file = resolve(options.html);
            writeFileSync(file, renderHtml(report));
            process.stdout.write(`Wrote ${report.clusters.length} gap clusters (${report.totals.gaps} gap questions) to ${file}\n`);
          } else if (options.digest) {
            const { digestFromReport, digestText } = await import('../../gaps/digest.ts');
            process.stdout.write(digestText(digestFromReport(report)));
          } else {
            const { renderMarkdown } = await import('../../gaps/markdown.ts');
            process.stdout.write(renderMarkdown(report));
          }
        } finally {
          await runtime.close();
        }
      } catch (error) {
        ctx.fail(error);
      }
    });
}

/** The longest --since: the longest the question log keeps questions (QUESTION_LOG_RETENTION_DAYS). */
const MAX_AGE_DAYS = 3_650;

function parseAge(value: string): number {
  const ms = /^(\d+(?:\.\d+)?)\s*([hdw]?)$/i.exec(value.trim());
  const n = ms ? Number(ms[1]) : Number.NaN;
  if (!ms || !(n > 0)) throw new InvalidArgumentError('must be an age such as 30d, 12h or 2w');
  const unit = (ms[2] || 'd').toLowerCase();
  const age = n * (unit === 'h' ? 1 : unit === 'w' ? 24 * 7 : 24) * 60 * 60 * 1000;
  // Beyond this, "since" is before any date (Invalid time value) and before anything logged.
  if (age > MAX_AGE_DAYS * 24 * 60 * 60 * 1000) {
    throw new InvalidArgumentError(`must be at most ${MAX_AGE_DAYS}d (10 years, the longest the question log keeps), such as 30d`);
  }
  return age;
}

/**
 * Where the HTML report goes, checked before the report is built (which re-runs
 * retrieval for every logged question): a folder or a missing folder fails at once.
 */
function parseReportFile(value: string): string {
  const file = resolve(value);
  if (isFolder(file)) throw new InvalidArgumentError(`${file} is a folder; give a file name, such as ${join(file, 'gaps.html')}`);
  if (!isFolder(dirname(file))) throw new InvalidArgumentError(`the folder ${dirname(file)} does not exist`);
  return value;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}
