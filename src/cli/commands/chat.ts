/**
 * `askdocs chat`: an interactive question-and-answer thread in the terminal.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { runChatLoop } from '../terminal/chat-loop.ts';
import { interactiveLogger } from '../terminal/quiet-logger.ts';
import { progressLine, type TerminalIO } from '../terminal/render.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('chat')
    .description('Chat with the docs in the terminal; follow-up questions use the conversation')
    .action(async () => {
      const config = ctx.loadConfig();
      const logger = interactiveLogger(ctx.logger(config));
      const io: TerminalIO = { stdout: process.stdout, stderr: process.stderr };
      try {
        const starting = progressLine(io);
        starting.show('Starting (loading the search index and embedding model)…');
        const runtime = await ctx.openRuntime(config, logger).finally(() => starting.clear());
        try {
          await runChatLoop({ engine: runtime.engine, input: process.stdin, io });
        } finally {
          await runtime.close();
        }
      } catch (error) {
        ctx.fail(error);
      }
    });
}
