/**
 * Bench only: the Python Milvus Lite 3.2.2 engine askdocs used before the native
 * engine, as the latency section's baseline. It runs `milvus-lite server` from a
 * throw-away venv (bench/.venv-baseline, made by `ensureBaselineVenv`), exactly as
 * askdocs' manager ran it until the native engine replaced it.
 *
 * The child watches its stdin: when askdocs exits for any reason (even kill -9),
 * the pipe closes and the server shuts down cleanly with SIGINT semantics, which
 * is the only signal Milvus Lite handles gracefully. That releases the data
 * directory's LOCK, so the next run (say, a resumed ingest) can open it at once.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AskdocsError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { freePort } from '../../src/milvus/lite-server.ts';
import { PACKAGE_ROOT } from '../../src/paths.ts';

export interface BaselineLiteServer {
  pid: number | undefined;
  address: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface StartBaselineLiteOptions {
  dataDir: string;
  venvDir: string;
  timeoutMs?: number;
  logger?: Logger;
}

const SETUP_HINT = 'The bench creates it (needs python3 with venv and PyPI).';

// Python side of the watchdog: EOF on stdin means askdocs is gone.
const WATCHDOG = `
import os, signal, sys, threading
def watch():
    sys.stdin.buffer.read()
    os.kill(os.getpid(), signal.SIGINT)
threading.Thread(target=watch, daemon=True).start()
from milvus_lite.cmdline import main
sys.exit(main(sys.argv[1:]))
`;

export async function startBaselineLite(options: StartBaselineLiteOptions): Promise<BaselineLiteServer> {
  const python = join(options.venvDir, 'bin', 'python');
  if (!existsSync(python) || !existsSync(join(options.venvDir, 'bin', 'milvus-lite'))) {
    throw new AskdocsError('milvus_lite_missing', `Milvus Lite is not installed in ${options.venvDir}. ${SETUP_HINT}`);
  }
  await mkdir(options.dataDir, { recursive: true });
  const port = await freePort();
  const child = spawn(python, ['-c', WATCHDOG, 'server', '--data-dir', options.dataDir, '--host', '127.0.0.1', '--port', String(port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: liteEnvironment(port),
  });
  // Never keep askdocs alive just for the child; it exits with us (see WATCHDOG).
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();

  const address = `127.0.0.1:${port}`;
  await waitUntilListening(child, options.timeoutMs ?? 60_000, options.dataDir);
  options.logger?.debug({ address, dataDir: options.dataDir }, 'baseline milvus lite started');

  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid,
    address,
    port,
    dataDir: options.dataDir,
    stop() {
      stopping ??= stopChild(child, options.logger);
      return stopping;
    },
  };
}

/**
 * pymilvus (imported by the server) runs load_dotenv(), which walks up from its
 * install directory and finds askdocs' own .env, then aborts on a MILVUS_URI that
 * is a local path. Values already in the environment win over .env, so give the
 * child a valid MILVUS_URI (its own address) and none of askdocs' secrets.
 */
function liteEnvironment(port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  return { ...env, PYTHONUNBUFFERED: '1', MILVUS_URI: `http://127.0.0.1:${port}` };
}

function waitUntilListening(child: ChildProcess, timeoutMs: number, dataDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new AskdocsError('milvus_unavailable', `Milvus Lite did not start within ${Math.round(timeoutMs / 1000)} s.`));
    }, timeoutMs);
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.removeAllListeners('data');
      child.removeAllListeners('exit');
      if (error) reject(error);
      else resolve();
    };
    child.stdout?.on('data', (data: Buffer) => {
      if (data.toString().includes('listening on')) done();
    });
    child.stderr?.on('data', (data: Buffer) => {
      stderr = (stderr + data.toString()).slice(-4000);
    });
    child.once('error', (error) =>
      done(new AskdocsError('milvus_lite_missing', `Could not run Milvus Lite: ${error.message}. ${SETUP_HINT}`)),
    );
    child.once('exit', (code) => {
      if (/DataDirLocked/.test(stderr)) {
        done(
          new AskdocsError(
            'milvus_data_dir_locked',
            `The Milvus Lite data directory ${dataDir} is in use by another process (another askdocs?). Stop it, or set MILVUS_URI to another directory.`,
          ),
        );
      } else if (/No module named/.test(stderr)) {
        done(new AskdocsError('milvus_lite_missing', `Milvus Lite is not installed correctly. ${SETUP_HINT}`));
      } else {
        const lastLine = stderr.trim().split('\n').at(-1) ?? '';
        done(new AskdocsError('milvus_unavailable', `Milvus Lite exited (code ${code}) while starting: ${lastLine}`));
      }
    });
  });
}

async function stopChild(child: ChildProcess, logger?: Logger): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Keep the event loop alive until the server has really stopped and released its LOCK.
  child.ref();
  child.kill('SIGINT');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 8_000).unref());
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    logger?.warn('milvus lite did not stop within 8 s; killing it');
    child.kill('SIGKILL');
    await exited;
  }
}

export const BASELINE_VENV = join(PACKAGE_ROOT, 'bench', '.venv-baseline');
/** The engine askdocs used before the native one, with the pymilvus it imports. */
export const BASELINE_PACKAGES = ['milvus-lite==3.2.2', 'pymilvus==3.0.2'];

/** Creates bench/.venv-baseline with Milvus Lite 3.2.2 unless it is there (a minute, once). */
export function ensureBaselineVenv(log: (message: string) => void): string {
  if (existsSync(join(BASELINE_VENV, 'bin', 'milvus-lite'))) return BASELINE_VENV;
  log(`baseline: creating ${BASELINE_VENV} with ${BASELINE_PACKAGES.join(' ')}`);
  const python = process.env.PYTHON ?? 'python3';
  const run = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${(result.stderr ?? '').trim().split('\n').at(-1)}`);
  };
  run(python, ['-m', 'venv', BASELINE_VENV]);
  run(join(BASELINE_VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...BASELINE_PACKAGES]);
  return BASELINE_VENV;
}
