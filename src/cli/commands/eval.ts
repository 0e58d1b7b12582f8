/**
 * `askdocs eval --set FILE [--k 5] [--json]`: scores retrieval on an eval set
 * (format and rules: docs/eval.md) through `Engine.retrieve`, the same path
 * every answer takes. Retrieval only, no LLM: the engine is opened without an LLM key,
 * so follow-ups are made standalone by the retriever's heuristic, and the report says so.
 * With --json, stdout carries exactly one JSON object; progress goes to stderr.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('eval')
    .description('Measure retrieval (recall@k, MRR, abstention) on an eval set of questions')
    .requiredOption('--set <file>', 'eval set: one JSON question per line (format: docs/eval.md)')
    .option('--k <n>', 'how many retrieved chunks count', parseK, 5)
    .option('--json', 'print one JSON object with the figures and per-question results')
    .action(async (options: { set: string; k: number; json?: boolean }) => {
      const config = ctx.loadConfig();
      const logger = ctx.logger(config);
      try {
        // Loaded here, not at startup: only this command needs them.
        const [{ loadEvalSet }, { formatReport }, { runEval }, { pagesNotIndexedWarning }] = await Promise.all([
          import('../../eval/dataset.ts'),
          import('../../eval/report.ts'),
          import('../../eval/run.ts'),
          import('../../eval/coverage.ts'),
        ]);
        const items = await loadEvalSet(options.set);
        const evalConfig = { ...config, llm: { ...config.llm, apiKey: undefined }, retrieval: { ...config.retrieval, topK: options.k } };
        const runtime = await ctx.openRuntime(evalConfig, logger);
        try {
          await runtime.store.assertReady(runtime.embedder);
          const warning = pagesNotIndexedWarning(items, await runtime.store.allPaths());
          if (warning) process.stderr.write(`askdocs: warning: ${warning}\n`);
          const started = performance.now();
          const tty = process.stderr.isTTY;
          const report = await runEval({
            items,
            k: options.k,
            retrieve: (question) => runtime.engine.retrieve(question),
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
