/**
 * A private redis-server for tests: its own free port and temp folder, no persistence,
 * stopped (and restartable on the same port, for outage tests) by the test.
 *
 *   const redis = await startTestRedis();       // needs NO_REDIS to be false
 *   redis.url                                  // redis://127.0.0.1:<port>
 *   await redis.stop(); await redis.start();   // an outage and a recovery
 *   await redis.close();                       // stop and remove the folder
 *
 * `NO_REDIS` is false when Debian's redis-server is installed, else the reason a test
 * skips (scripts/test.sh installs it when it runs as root, as CI does).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/milvus/lite-server.ts';

const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((path) => existsSync(path));

export const NO_REDIS: string | false = REDIS_SERVER
  ? false
  : "needs Debian's redis-server (apt-get install redis-server; scripts/test.sh does it as root)";

export interface TestRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestRedis(): Promise<TestRedis> {
  if (!REDIS_SERVER) throw new Error(NO_REDIS || 'redis-server missing');
  const dir = await mkdtemp(join(tmpdir(), 'askdocs-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    if (child) return;
    const proc = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child = proc;
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    await waitForPort(port, 10_000);
  };
  const stop = async () => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not listen on :${port} within ${timeoutMs} ms`);
}
