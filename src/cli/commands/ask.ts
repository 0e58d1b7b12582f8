/**
 * `askdocs ask "<question>"`: answers one question from the indexed docs and
 * prints the answer (streamed on a terminal) followed by the sources it cites.
 */
import type { Command } from 'commander';
import { checkQuestion, cleanQuestion } from '../../engine/question.ts';
import type { Question } from '../../engine/types.ts';
import { AskdocsError } from '../../errors.ts';
import type { CliContext } from '../context.ts';
import { interactiveLogger } from '../terminal/quiet-logger.ts';
import { finalAsJson, finalOf, progressLine, renderAnswer, type TerminalIO } from '../terminal/render.ts';

interface AskOptions {
  path?: string;
  json?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('ask')
    .description('Ask the docs one question; prints a cited answer')
    .argument('<question...>', 'the question (quotes optional)')
    .option('--path <prefix>', 'only search documents whose path starts with this prefix')
    .option('--json', 'print the answer and its citations as JSON instead of text')
    .action(async (words: string[], options: AskOptions) => {
      const config = ctx.loadConfig();
      const logger = interactiveLogger(ctx.logger(config));
      const io: TerminalIO = { stdout: process.stdout, stderr: process.stderr };
      const question: Question = {
        // What a reader sees: control or zero-width characters alone are no question.
        text: cleanQuestion(words.join(' ')),
        scope: { platform: 'cli', pathPrefix: options.path },
      };
      try {
        // Before Milvus and the model start: an empty or pasted-log question fails at once.
        checkQuestion(question);
        const starting = progressLine(io);
        starting.show('Starting (loading the search index and embedding model)…');
        const runtime = await ctx.openRuntime(config, logger).finally(() => starting.clear());
        try {
          // A prefix nothing is under would only ever get "the docs don't cover this".
          if (options.path && !(await runtime.store.hasPathUnder(options.path))) {
            throw new AskdocsError(
              'input',
              `No ingested document's path starts with "${options.path}": --path takes a path relative to the ingested folder, such as faq/ or faq/product_faq.md.`,
            );
          }
          if (options.json) {
            const final = await finalOf(runtime.engine.answer(question));
            process.stdout.write(`${finalAsJson(final)}\n`);
          } else {
            await renderAnswer(runtime.engine.answer(question), io);
          }
        } finally {
          await runtime.close();
        }
      } catch (error) {
        ctx.fail(error);
      }
    });
}
