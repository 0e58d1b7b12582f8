/**
 * `askdocs eval --set FILE [--k 5] [--json]`: scores retrieval on an eval set
 * (format and rules: shared/eval/README.md). Retrieval only, no LLM: follow-ups
 * are made standalone by the retriever's heuristic, and the report says so.
 * With --json, stdout carries exactly one JSON object; progress goes to stderr.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('eval')
    .description('Measure retrieval (recall@k, MRR, abstention) on an eval set of questions')
    .requiredOption('--set <file>', 'eval set, one JSON question per line')
    .option('--k <n>', 'how many retrieved chunks count', parseK, 5)
    .option('--json', 'print one JSON object with the figures and per-question results')
    .action(async (options: { set: string; k: number; json?: boolean }) => {
      const config = ctx.loadConfig();
      const logger = ctx.logger(config);
      try {
        // Loaded here, not at startup: only this command needs them.
        const [{ loadEvalSet }, { formatReport }, { runEval }, { createRetriever }] = await Promise.all([
          import('../../eval/dataset.ts'),
          import('../../eval/report.ts'),
          import('../../eval/run.ts'),
          import('../../retrieval/retriever.ts'),
        ]);
        const items = await loadEvalSet(options.set);
        const runtime = await ctx.openRuntime(config, logger);
        try {
          await runtime.store.assertReady(runtime.embedder);
          const retriever = createRetriever({
            store: runtime.store,
            embedder: runtime.embedder,
            config: { retrieval: { ...config.retrieval, topK: options.k } },
            logger,
          });
          const started = performance.now();
          const tty = process.stderr.isTTY;
          const report = await runEval({
            items,
            k: options.k,
            retrieve: (question) => retriever.retrieve(question),
            onItem: (done, total) => {
              if (tty) process.stderr.write(`\rEvaluating ${done}/${total}…`);
            },
          });
          const seconds = ((performance.now() - started) / 1000).toFixed(1);
          process.stderr.write(
            `${tty ? '\r' : ''}Evaluated ${items.length} questions in ${seconds} s ` +
              `(follow-ups rewritten by the built-in heuristic, no LLM; abstain threshold ${config.retrieval.abstainThreshold}).\n`,
          );
          process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
        } finally {
          await runtime.close();
        }
      } catch (error) {
        ctx.fail(error);
      }
    });
}

function parseK(value: string): number {
  const k = Number(value);
  if (!Number.isInteger(k) || k < 1 || k > 50) throw new InvalidArgumentError('must be a whole number from 1 to 50');
  return k;
}
