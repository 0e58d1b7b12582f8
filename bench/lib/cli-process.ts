/**
 * Runs the real `askdocs` command (bin/askdocs.js) as a child process, the way an
 * operator runs the bot, with settings passed in the environment and a throw-away
 * working directory (so no developer .env is read). Memory is sampled from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { type RssSamples, readMemory, sampleRss } from './proc.ts';

export interface CliProcess {
  pid: number;
  child: ChildProcess;
  /** Polls `url` until it answers 200. */
  waitReady(url: string, timeoutMs?: number): Promise<void>;
  rssBytes(): number | null;
  /** SIGTERM (graceful shutdown), then the memory samples of its whole life. */
  stop(timeoutMs?: number): Promise<RssSamples & { code: number | null }>;
  stderrTail(): string;
}

export function startCli(args: string[], options: { env: Record<string, string>; cwd: string }): CliProcess {
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'askdocs.js'), ...args], {
    cwd: options.cwd,
    // Only what the bot needs, plus PATH/HOME: never the bench's own environment.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start askdocs ${args.join(' ')}`);
  const pid = child.pid;
  const sampler = sampleRss(pid);
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString()).slice(-4_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let samples: RssSamples | undefined;

  return {
    pid,
    child,
    async waitReady(url, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`askdocs ${args.join(' ')} exited (code ${child.exitCode}): ${reasonOf(stderr)}`);
        try {
          const response = await fetch(url);
          if (response.ok) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline)
          throw new Error(`askdocs ${args.join(' ')} not ready at ${url} within ${timeoutMs} ms: ${reasonOf(stderr)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    rssBytes: () => readMemory(pid).rssBytes,
    async stop(timeoutMs = 30_000) {
      // Read the high-water mark while the process still exists.
      samples ??= sampler.stop();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      return { ...samples, code: child.exitCode };
    },
    stderrTail: () => stderr,
  };
}

/** The line of a crashed process's stderr that says what went wrong. */
function reasonOf(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim());
  return lines.find((line) => /^askdocs:|Error\b/.test(line)) ?? lines.filter(Boolean).at(-1) ?? '(no output)';
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}
