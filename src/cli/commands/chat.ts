/**
 * `askdocs chat`: an interactive question-and-answer thread in the terminal.
 */
import type { Command } from 'commander';
import { AskdocsError } from '../../errors.ts';
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
        // A crashed engine is restarted by the runtime; one that cannot be ends the chat with one line.
        runtime.lite?.onFailed((reason) => {
          try {
            ctx.fail(new AskdocsError('milvus_unavailable', `Cannot go on: ${reason}.`));
          } catch {
            // ctx.fail exits the process once the runtime is closed.
          }
        });
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
