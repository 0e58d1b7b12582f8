/**
 * The interactive `askdocs chat` loop: one terminal thread where follow-ups see
 * the conversation so far. Ctrl-C during an answer cancels that answer; Ctrl-C at
 * the prompt, Ctrl-D, `/exit` or `/quit` end the session. `/new` starts a fresh
 * thread. Works with piped input too (one question per line), which is how it is tested.
 */
import { createInterface } from 'node:readline';
import { cleanQuestion } from '../../engine/question.ts';
import type { Engine, Turn } from '../../engine/types.ts';
import { userMessageOf } from '../../errors.ts';
import { renderAnswer, type TerminalIO, writeErrorLine } from './render.ts';

export interface ChatLoopOptions {
  engine: Engine;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  io: TerminalIO;
  /** Turns kept for follow-ups (the engine bounds what it sends to the LLM further). */
  maxTurns?: number;
}

const HELP = 'Ask a question about the docs. Follow-ups use this conversation. /new starts over, /exit quits.';

export async function runChatLoop(options: ChatLoopOptions): Promise<void> {
  const { engine, io } = options;
  const maxTurns = options.maxTurns ?? 12;
  const terminal = Boolean(options.input.isTTY && io.stdout.isTTY);
  const rl = createInterface({ input: options.input, output: io.stdout, terminal, prompt: terminal ? '› ' : '' });
  let history: Turn[] = [];
  let current: AbortController | undefined;

  rl.on('SIGINT', () => {
    if (current) current.abort(new Error('cancelled'));
    else rl.close();
  });

  if (terminal) io.stdout.write(`${HELP}\n\n`);
  rl.prompt();
  for await (const raw of rl) {
    // A line of only control or zero-width characters is a blank line, as `askdocs ask` sees it.
    const line = cleanQuestion(raw);
    if (line === '/exit' || line === '/quit') break;
    if (line === '/new') {
      history = [];
      io.stdout.write('Started a new conversation.\n\n');
    } else if (line === '/help') {
      io.stdout.write(`${HELP}\n\n`);
    } else if (line.length > 0) {
      current = new AbortController();
      try {
        const final = await renderAnswer(engine.answer({ text: line, history, scope: { platform: 'cli' }, signal: current.signal }), io);
        history = [...history, { role: 'user' as const, content: line }, { role: 'assistant' as const, content: final.text }].slice(
          -maxTurns,
        );
      } catch (error) {
        // renderAnswer ended the line a half-written answer left open.
        if (current.signal.aborted) io.stdout.write('(cancelled)\n');
        else writeErrorLine(io, userMessageOf(error));
      } finally {
        current = undefined;
      }
      io.stdout.write('\n');
    }
    rl.prompt();
  }
  rl.close();
}
