/**
 * Runs an entry point (TypeScript through tsx, or bin/askdocs.js) as a child process for the ops tests,
 * capturing stdout and stderr and offering the parsed JSON log lines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.ts';

export interface ChildRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stderr's JSON lines (pino), parsed; other lines are skipped. */
  logs(): Record<string, unknown>[];
  /** Resolves once a JSON log line with this `msg` has appeared on stderr. */
  waitForLog(msg: string): Promise<Record<string, unknown>>;
  /** Resolves with the first stdout line, parsed as JSON (the child's "ready" report). */
  firstLine<T>(): Promise<T>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the child has exited and all of its output has been read (unlike `exited`). */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ends the child if it is still running (test clean-up). */
  kill(): void;
}

/** Only what the child needs: never the developer's secrets or .env settings. */
export function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { PATH, HOME, TMPDIR, LANG, NODE_PATH } = process.env;
  const kept = Object.entries({ PATH, HOME, TMPDIR, LANG, NODE_PATH }).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return { ...Object.fromEntries(kept), ...extra };
}

export function runTs(entry: string, args: string[], env: NodeJS.ProcessEnv, options: { cwd?: string } = {}): ChildRun {
  // bin/askdocs.js loads tsx itself and runs as an operator starts it: `node bin/askdocs.js`.
  // A .ts entry gets tsx by absolute URL (the child may run in a directory outside the
  // package); preloading it for bin/askdocs.js too would put every module it loads through
  // two tsx loaders, about a second of CPU per child.
  const preload = entry.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
  const child = spawn(process.execPath, [...preload, resolve(PACKAGE_ROOT, entry), ...args], {
    // Commands that read .env from their working directory get a scratch cwd from the caller.
    cwd: options.cwd ?? PACKAGE_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('close', (code, signal) => done({ code, signal }));
  });
  const logs = () =>
    err
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    logs,
    waitForLog(msg) {
      return new Promise((done, fail) => {
        const check = () => {
          const found = logs().find((line) => line.msg === msg);
          if (found) {
            child.stderr?.off('data', check);
            done(found);
          }
        };
        child.stderr?.on('data', check);
        check();
        void exited.then(() => fail(new Error(`child exited before logging "${msg}":\n${err.slice(-3000)}`)));
      });
    },
    firstLine<T>() {
      return new Promise<T>((done, fail) => {
        const check = () => {
          const newline = out.indexOf('\n');
          if (newline >= 0) {
            child.stdout?.off('data', check);
            done(JSON.parse(out.slice(0, newline)) as T);
          }
        };
        child.stdout?.on('data', check);
        check();
        void exited.then(({ code, signal }) =>
          fail(new Error(`child exited (code ${code}, signal ${signal}) before reporting:\n${err.slice(-3000)}`)),
        );
      });
    },
    exited,
    closed,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
