/**
 * The `askdocs` command line. Each command lives in ./commands and registers
 * itself on the commander program; this file owns only what they share: config
 * loading, logging, the runtime's lifetime, and how failure looks.
 */
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.ts';
import { createLogger, type Logger, redactSecrets, redactUrlQueries } from '../logger.ts';
import type { Runtime } from '../runtime.ts';
import { register as registerAsk } from './commands/ask.ts';
import { register as registerChat } from './commands/chat.ts';
import { register as registerDiscord } from './commands/discord.ts';
import { register as registerEval } from './commands/eval.ts';
import { register as registerFeedback } from './commands/feedback.ts';
import { register as registerGaps } from './commands/gaps.ts';
import { register as registerIngest } from './commands/ingest.ts';
import { register as registerSlack } from './commands/slack.ts';
import type { CliContext } from './context.ts';
import { cliFailureMessage, interruptedMessage } from './failure.ts';

const openRuntimes = new Set<Runtime>();
let lastLogger: Logger | undefined;
/** The command being run (`ingest`, `discord register`), for failure lines that fit it. */
let currentCommand = 'askdocs';
/** Set by Ctrl-C / SIGTERM: failures that follow are its consequences, not news. */
let interrupted = false;

async function closeAll(): Promise<void> {
  await Promise.allSettled([...openRuntimes].map((runtime) => runtime.close()));
  openRuntimes.clear();
}

let exiting = false;

/**
 * Stops an embedded Milvus Lite, then exits. The first reason to exit sets the code:
 * what fails after it (a search cut off by the close) is its consequence.
 */
function exitAfterClosing(code: number): void {
  if (exiting) return;
  exiting = true;
  void closeAll().finally(() => process.exit(code));
}

/** Prints the one failure line (unless interrupted) and returns the exit code. */
function report(error: unknown): number {
  lastLogger?.debug({ err: error }, 'command failed');
  if (!interrupted) process.stderr.write(`askdocs: ${cliFailureMessage(error, currentCommand)}\n`);
  return error instanceof ConfigError ? 2 : 1;
}

function fail(error: unknown): never {
  exitAfterClosing(report(error));
  // Keep the type `never` while the close above finishes.
  throw new ExitPending();
}

/** Thrown by `fail` so callers unwind while the process exits; ignored by the top level. */
class ExitPending extends Error {}

const ctx: CliContext = {
  loadConfig(require) {
    try {
      return loadConfig(process.env, { require });
    } catch (error) {
      return fail(error);
    }
  },
  logger(config) {
    // The CLI's stderr is for people; JSON logs show up there only when asked for.
    lastLogger = createLogger({ level: process.env.LOG_LEVEL ? config.logLevel : 'warn' });
    return lastLogger;
  },
  async openRuntime(config, logger, options) {
    // Loaded on demand: the model and Milvus SDKs take seconds to import, and
    // commands such as `feedback` or `--help` need neither.
    const { openRuntime } = await import('../runtime.ts');
    const runtime = await openRuntime(config, { logger, createIndex: options?.createIndex === true });
    openRuntimes.add(runtime);
    const close = runtime.close.bind(runtime);
    runtime.close = async () => {
      // Forgotten only once closed: an exit while the command is closing it must wait for the engine to stop.
      try {
        await close();
      } finally {
        openRuntimes.delete(runtime);
      }
    };
    return runtime;
  },
  handOverSignals() {
    for (const signal of SIGNALS) process.removeListener(signal, exitOnSignal);
    // A long-running bot keeps serving through a stray rejection (its lifecycle logs and counts it).
    process.removeListener('unhandledRejection', failOnRejection);
  },
  fail,
};

// Short commands: close the runtime (stopping an embedded Milvus Lite) and exit.
const exitOnSignal = (signal: NodeJS.Signals) => {
  interrupted = true;
  process.stderr.write(`askdocs: ${interruptedMessage(currentCommand)}\n`);
  exitAfterClosing(signal === 'SIGINT' ? 130 : 143);
};
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
for (const signal of SIGNALS) process.once(signal, exitOnSignal);
// `askdocs ask … | head`: the reader left. Stop writing, stop the engine, and exit without a
// word, as a command ended by SIGPIPE does; with 0, since the reader had all it wanted
// (`set -o pipefail` scripts keep going). Node ignores SIGPIPE and reports EPIPE as an
// 'error' event on the stream, which unhandled printed a stack trace and left the embedded
// Milvus engine to notice on its own.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    // Nothing more to tell a reader that left, or through a stream that broke.
    if (error.code === 'EPIPE' || stream === process.stderr) interrupted = true;
    exitAfterClosing(error.code === 'EPIPE' ? 0 : report(error));
  });
}
// Short commands: a rejection nothing handled is a failure of the command.
const failOnRejection = (error: unknown) => {
  if (!(error instanceof ExitPending)) fail(error);
};
process.on('unhandledRejection', failOnRejection);

const program = new Command()
  .name('askdocs')
  .description('Ask your documentation: ingest docs into Milvus, answer questions with cited sources.')
  .version('0.1.0')
  .hook('preAction', (_program, action) => {
    const names: string[] = [];
    for (let command: Command | null = action; command?.parent; command = command.parent) names.unshift(command.name());
    currentCommand = names.join(' ');
  });

for (const register of [
  registerIngest,
  registerAsk,
  registerChat,
  registerEval,
  registerSlack,
  registerDiscord,
  registerFeedback,
  registerGaps,
]) {
  register(program, ctx);
}

/**
 * A wrong argument or option gets one line naming the command's help, like every other
 * failure, instead of commander's error followed by the whole usage text.
 */
function oneLineUsageErrors(command: Command, name: string): void {
  command.configureOutput({
    outputError: (message, write) => {
      // Commander puts a "Did you mean …?" suggestion on a line of its own.
      const line = message
        .replace(/^error:\s*/i, '')
        .trim()
        .replace(/\s*\n\s*/g, ' ')
        .replace(/\.$/, '');
      // Commander quotes the argument it refused: redacted like every failure line (a URL's
      // password, a token), and so are the values of a URL's query (`--base-url 'https://x/?token=…'`).
      write(`askdocs: ${redactUrlQueries(redactSecrets(line))} (see \`${name} --help\`)\n`);
    },
  });
  for (const sub of command.commands) oneLineUsageErrors(sub, `${name} ${sub.name()}`);
}
oneLineUsageErrors(program, 'askdocs');

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof ExitPending)) fail(error);
}
