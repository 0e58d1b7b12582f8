/**
 * A private redis-server for tests: its own free port and temp folder, no persistence,
 * stopped (and restartable on the same port, for outage tests) by the test. And the
 * chat state of one bot replica sharing it, opened as the bot commands open it.
 *
 *   const redis = await startTestRedis();       // needs NO_REDIS to be false
 *   const redis = await startTestRedis({ persistent: true });  // keeps its data across stop/start, as
 *                                              // deployed (appendonly, docs/deploy.md); fsync on every write
 *   redis.url                                  // redis://127.0.0.1:<port>
 *   await redis.stop(); await redis.start();   // an outage (the process is killed) and a recovery
 *   await redis.close();                       // stop and remove the folder
 *
 *   const { state, logger, deps } = await openReplicaState(config, 'A');  // config has REDIS_URL
 *   createSlackApp({ engine, config, logger, ...deps, threads: state.threads });
 *   await state.close();
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
import type { ChatBotDeps } from '../../src/chat/delivery.ts';
import type { Config } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { freePort } from '../../src/milvus/lite-server.ts';
import { type ChatState, openChatState } from '../../src/state/chat-state.ts';

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

export async function startTestRedis(options: { persistent?: boolean } = {}): Promise<TestRedis> {
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
        // Persistent: every write is on disk before Redis answers, so a killed server restarts with it.
        ...(options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
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

/** Resolves once something accepts connections on 127.0.0.1:`port` (a redis-server just spawned). */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
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

export interface ReplicaState {
  state: ChatState;
  /** Silent unless TEST_LOG_LEVEL is set (or `base` given); every line says which replica wrote it. */
  logger: Logger;
  /** What the bot host (src/cli/bot-host.ts) hands every chat bot from the state. */
  deps: Required<Pick<ChatBotDeps, 'feedback' | 'claims' | 'limits'>>;
}

/**
 * One replica's chat state, opened as `askdocs slack` / `askdocs discord` open it, and
 * connected to Redis before the test uses it (a bot starting while Redis is still
 * connecting would decide its first claims alone, which these tests are not about).
 */
export async function openReplicaState(config: Config, name: string, base?: Logger): Promise<ReplicaState> {
  const logger = (base ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })).child({ replica: name });
  const state = openChatState(config, logger);
  if (!(await state.redis?.whenReady(5_000))) {
    await state.close();
    throw new Error(`replica ${name}: not connected to Redis within 5 s (REDIS_URL ${config.redis ? 'set' : 'unset'})`);
  }
  return { state, logger, deps: { feedback: state.feedback, claims: state.claims, limits: state.limits } };
}
