/**
 * Runs one bench step in its own Node process (with tsx), so its memory can be
 * measured on its own: the parent samples the child's RSS from /proc while it runs,
 * and the two talk over the IPC channel.
 *
 * Child side: `reportToParent(result)` sends the result and lets the process exit;
 * `onParentMessage` receives commands (e.g. `stop`) for long-lived children.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type RssSamples, sampleRss } from './proc.ts';

export interface ChildMessage {
  type: string;
  [key: string]: unknown;
}

export interface RunningChild {
  process: ChildProcess;
  pid: number;
  /** The next message of this type from the child (rejects if the child dies first). */
  next<T extends { type: string }>(type: string, timeoutMs?: number): Promise<T>;
  send(message: ChildMessage): void;
  /** Resolves when the child exits; returns its memory samples. */
  exited(): Promise<{ code: number | null; memory: RssSamples }>;
  kill(): void;
}

const CHILD_STDERR_TAIL = 4_000;

export function startChild(script: string, payload: unknown, options: { env?: NodeJS.ProcessEnv } = {}): RunningChild {
  const child = fork(fileURLToPath(new URL(`../children/${script}`, import.meta.url)), [JSON.stringify(payload)], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start bench child ${script}`);
  const sampler = sampleRss(pid);
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString()).slice(-CHILD_STDERR_TAIL);
  });
  const inbox: ChildMessage[] = [];
  const waiters: { type: string; resolve(m: ChildMessage): void; reject(e: Error): void }[] = [];
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'error') {
      const error = new Error(`bench child ${script} failed: ${String(message.message)}`);
      for (const waiter of waiters.splice(0)) waiter.reject(error);
      return;
    }
    const index = waiters.findIndex((w) => w.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(message);
    else inbox.push(message);
  });
  let memory: RssSamples | undefined;
  const exit = new Promise<{ code: number | null; memory: RssSamples }>((resolve) => {
    child.once('exit', (code) => {
      memory ??= sampler.stop();
      const error = new Error(`bench child ${script} exited (code ${code}) before reporting.\n${stderr.trim()}`);
      for (const waiter of waiters.splice(0)) waiter.reject(error);
      resolve({ code, memory });
    });
  });

  return {
    process: child,
    pid,
    next<T extends { type: string }>(type: string, timeoutMs = 30 * 60_000) {
      const index = inbox.findIndex((m) => m.type === type);
      if (index >= 0) return Promise.resolve(inbox.splice(index, 1)[0] as T);
      if (child.exitCode !== null) return Promise.reject(new Error(`bench child ${script} has exited.\n${stderr.trim()}`));
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`bench child ${script}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          type,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      });
    },
    send(message) {
      child.send(message);
    },
    exited: () => exit,
    kill() {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}

/** Runs a child to completion and returns its `result` message plus its memory. */
export async function runChild<T extends { type: string }>(
  script: string,
  payload: unknown,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ result: T; memory: RssSamples; wallSeconds: number }> {
  const started = performance.now();
  const child = startChild(script, payload, options);
  try {
    const result = await child.next<T>('result');
    const { memory } = await child.exited();
    return { result, memory, wallSeconds: (performance.now() - started) / 1000 };
  } catch (error) {
    child.kill();
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Child side

/** The JSON payload the parent passed to this child. */
export function childPayload<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

export function reportToParent(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('not started as a bench child (no IPC channel)'));
    process.send(message, (error: Error | null) => (error ? reject(error) : resolve()));
  });
}

export function onParentMessage(handler: (message: ChildMessage) => void): void {
  process.on('message', (message: ChildMessage) => handler(message));
}

/** Runs a child's main function; any failure is reported to the parent and exits non-zero. */
export function runAsChild(main: () => Promise<void>): void {
  main().then(
    // Exit at once: an SDK client left open must not keep a finished child alive.
    () => process.exit(0),
    async (error: unknown) => {
      await reportToParent({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }).catch(
        () => undefined,
      );
      process.exit(1);
    },
  );
}
