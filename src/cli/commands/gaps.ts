/**
 * `askdocs gaps [--since 30d] [--min-size 2] [--json | --html FILE | --md]`: what the
 * docs fail to answer. Clusters the logged questions that were abstained, 👎'd or
 * low-relevance, ranks the clusters, and shows for each the closest pages, a
 * suggestion, and "maybe fixed by" when retrieval now answers it.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { AskdocsError } from '../../errors.ts';
import type { CliContext } from '../context.ts';

interface GapsOptions {
  since: number;
  minSize: number;
  json?: boolean;
  html?: string;
  md?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('gaps')
    .description("Coverage gaps: clusters of questions the docs didn't answer well, with what to write")
    .option('--since <age>', 'look at questions asked in this window (e.g. 30d, 12h, 2w)', parseAge, parseAge('30d'))
    .option('--min-size <n>', 'smallest cluster to show', parsePositiveInt, 2)
    .option('--json', 'print one JSON object (clusters largest first) for pipelines')
    .option('--html <file>', 'write a self-contained HTML report with a chart to this file')
    .option('--md', 'print Markdown (the default)')
    .action(async (options: GapsOptions) => {
      const formats = [options.json, options.html !== undefined, options.md].filter(Boolean).length;
      if (formats > 1) ctx.fail(new AskdocsError('input', 'Choose one of --json, --html FILE and --md.'));
      const config = ctx.loadConfig();
      const logger = ctx.logger(config);
      try {
        const [{ QuestionStore }, { enforceRetention }, { buildGapsReport }, { votesFromConfig }, suggest] = await Promise.all([
          import('../../questions/store.ts'),
          import('../../questions/log.ts'),
          import('../../gaps/report.ts'),
          import('../../gaps/votes.ts'),
          import('../../gaps/suggest.ts'),
        ]);
        if (!config.questionLog.enabled) {
          process.stderr.write('askdocs: QUESTION_LOG=off: no new questions are being logged; reporting what is stored.\n');
        }
        const runtime = await ctx.openRuntime(config, logger);
        try {
          if (!(await runtime.store.exists())) {
            throw new AskdocsError(
              'input',
              `Nothing is ingested yet (collection "${config.milvus.collection}" is missing). Run \`askdocs ingest <docs folder>\` first.`,
            );
          }
          const questions = await QuestionStore.connect({
            address: runtime.lite?.address ?? config.milvus.uri,
            token: config.milvus.token,
            collection: config.questionLog.collection,
          });
          try {
            const now = new Date();
            if (!(await questions.exists())) {
              process.stderr.write(
                `askdocs: no questions logged yet (collection "${config.questionLog.collection}" is missing); ask some first.\n`,
              );
            }
            await enforceRetention(questions, config.questionLog.retentionDays, now);
            const logged = await questions.list(new Date(now.getTime() - options.since));
            let llm: import('../../answer/llm.ts').LlmClient | undefined;
            if (config.llm.apiKey) {
              const { createLlmClient } = await import('../../answer/llm.ts');
              llm = createLlmClient(config.llm, { logger });
            }
            const report = await buildGapsReport({
              questions: logged,
              votes: await votesFromConfig(config),
              since: new Date(now.getTime() - options.since),
              now,
              minSize: options.minSize,
              lowRelevance: config.gaps.lowRelevance,
              clusterDistance: config.gaps.clusterDistance,
              reranker: config.retrieval.reranker,
              searchPages: (vector, limit) => runtime.store.denseSearch({ vector, limit }),
              retrieve: (text) => runtime.engine.retrieve({ text, scope: { platform: 'cli' } }),
              suggest: (input) => (llm ? suggest.llmSuggestion(llm, input, logger) : Promise.resolve(suggest.templateSuggestion(input))),
            });
            if (options.json) {
              process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
            } else if (options.html !== undefined) {
              const { renderHtml } = await import('../../gaps/html.ts');
              const file = resolve(options.html);
              writeFileSync(file, renderHtml(report));
              process.stdout.write(`Wrote ${report.clusters.length} gap clusters (${report.totals.gaps} gap questions) to ${file}\n`);
            } else {
              const { renderMarkdown } = await import('../../gaps/markdown.ts');
              process.stdout.write(renderMarkdown(report));
            }
          } finally {
            await questions.close();
          }
        } finally {
          await runtime.close();
        }
      } catch (error) {
        ctx.fail(error);
      }
    });
}

function parseAge(value: string): number {
  const ms = /^(\d+(?:\.\d+)?)\s*([hdw]?)$/i.exec(value.trim());
  const n = ms ? Number(ms[1]) : Number.NaN;
  if (!ms || !(n > 0)) throw new InvalidArgumentError('must be an age such as 30d, 12h or 2w');
  const unit = (ms[2] || 'd').toLowerCase();
  return n * (unit === 'h' ? 1 : unit === 'w' ? 24 * 7 : 24) * 60 * 60 * 1000;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}
