/**
 * Runs the embedded Milvus: the native C++ Milvus Lite engine (the `milvus` binary
 * from the pinned milvus-lite 2.5.1 wheel, unpacked by scripts/setup.sh into
 * vendor/milvus-lite/lib) as a child process serving ordinary Milvus gRPC on
 * 127.0.0.1 and a free port. No Python at run time.
 *
 *   LD_LIBRARY_PATH=<lib> <lib>/milvus <data dir>/milvus.db 127.0.0.1:<port> ERROR <lock file>
 *
 * One lock file guards the data folder and ties the engine's life to askdocs':
 * - askdocs holds an exclusive POSIX record lock on `<data dir>/askdocs-engine.lock`
 *   (through SQLite's own locking, which is what libsql gives Node; see ../sqlite.ts). A
 *   second askdocs on the same folder cannot take it and stops with one clear line.
 * - The engine is given the same file as its fifth argument: it waits on that lock
 *   and exits the moment it is released, which is when askdocs dies in any way (even
 *   kill -9: the kernel drops the lock). No orphaned engine can keep writing to the folder.
 * - askdocs stops the engine itself with SIGTERM (then SIGKILL), and releases the lock only
 *   once the engine has exited: released first, a hung engine could not notice, and a
 *   second askdocs would start a second engine on the same milvus.db. An engine still
 *   running when askdocs exits is killed on the way out.
 *
 * If the engine dies while askdocs runs, it is restarted on the same port (clients
 * reconnect by themselves) with backoff, each attempt logged. If that keeps failing,
 * the server reports itself failed, and liveness (/healthz) fails with it.
 *
 * The engine counts as started once it listens on its port: not merely once something
 * answers there (port-owner.ts), since another process may take a free port first.
 * At start-up that means another port; on a restart, a failed attempt naming the port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { AskdocsError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import { openSqlite, type SqliteDatabase } from '../sqlite.ts';
import {
  DAMAGE_PATTERN,
  damagedFile,
  diskFull,
  FULL_PATTERN,
  freeBytes,
  headerDamage,
  LOW_SPACE_BYTES,
  writeProblem,
} from './data-folder-health.ts';
import { loopbackListenerOwner } from './port-owner.ts';
import { rerunCannotHelp } from './status.ts';

export type EngineState = 'running' | 'restarting' | 'failed' | 'stopped';

export interface MilvusLiteServer {
  /** host:port; stays the same across restarts. */
  address: string;
  port: number;
  dataDir: string;
  /** The engine's process id (changes on restart; undefined while none runs). */
  readonly pid: number | undefined;
  /** Set when the data folder holds data from the old Python Milvus Lite 3.x engine. */
  legacyData?: string;
  state(): EngineState;
  /** Called after the engine came back from a crash (collections must be loaded again). */
  onRestart(listener: () => void): void;
  /** Called once when the engine died and could not be restarted. */
  onFailed(listener: (reason: string) => void): void;
  /**
   * Set while the hang watchdog found the engine not answering and it has not been
   * restarted yet (liveness fails meanwhile): why, in one line.
   */
  hung(): string | undefined;
  /**
   * askdocs is closing and will stop the engine once it is done with it: an exit from
   * now on is expected, neither announced nor restarted. Ctrl-C in a terminal (or a stop
   * of the whole process group) reaches the engine as well as askdocs.
   */
  expectStop(): void;
  stop(): Promise<void>;
}

export interface StartMilvusLiteOptions {
  dataDir: string;
  /** Folder holding lib/milvus and its libraries; default vendor/milvus-lite in the checkout. */
  engineDir?: string;
  timeoutMs?: number;
  logger?: Logger;
  /** Restart attempts after a crash before giving up (default 5), and the first delay (default 250 ms, doubling: about 8 s in all). */
  restartAttempts?: number;
  restartDelayMs?: number;
  /** The hang watchdog's timing (see startWatchdog); tests shorten it. `false`: none. */
  watchdog?: WatchdogOptions | false;
  /** Picks the port to start on (default: one the OS has free); tests hand out a taken one. */
  pickPort?: () => Promise<number>;
  /**
   * Whether a missing data folder or data file may be made (default true). False for
   * commands that only read (ask, eval, gaps): with nothing ingested there they fail at
   * once, naming the folder, and leave no empty folder or database behind.
   */
  createIfMissing?: boolean;
}

export interface WatchdogOptions {
  /** Pause between health pings. */
  intervalMs?: number;
  /** How long one ping may take before it counts as failed. */
  timeoutMs?: number;
  /** Consecutive failed pings after which the engine is killed and restarted. */
  failures?: number;
}

/**
 * The watchdog's defaults: a ping every 2 s, failed after 4 s without an answer, the
 * engine killed after 3 failed pings in a row: a hang is acted on within about 20 s,
 * before a question stuck behind it reaches its own 30 s Milvus deadline (its search then
 * fails as "connection lost" and is retried on the restarted engine).
 *
 * Why these cannot fire on a merely busy engine: the ping is CheckHealth, which the
 * engine answers without touching any collection, and not queued behind other requests.
 * Measured on a 2-core machine at load average 5+ (engine 2.5.1, the Milvus 2.4 docs,
 * 3,182 chunks), the slowest ping took 1.5 s while ingesting them, 0.7 s during 100
 * concurrent hybrid and dense searches, 0.4 s during 75 s of 20 concurrent whole-
 * collection queries and 10 ms during a collection load. A kill takes 3 pings in a row
 * that each got no answer in 4 s: 12 s of silence on a no-op call, spread over about
 * 20 s, which only a stopped or deadlocked engine shows.
 */
const WATCHDOG_DEFAULTS: Required<WatchdogOptions> = { intervalMs: 2_000, timeoutMs: 4_000, failures: 3 };

export const DEFAULT_ENGINE_DIR = resolve(PACKAGE_ROOT, 'vendor', 'milvus-lite');
export const DB_FILE = 'milvus.db';
export const LOCK_FILE = 'askdocs-engine.lock';
const SETUP_HINT = 'Run `npm run setup` to install it, or set MILVUS_URI to a Milvus server.';
/** A run that lasted this long counts as healthy again: the next crash starts a fresh backoff. */
const STABLE_MS = 60_000;
/**
 * `mkdir -p`, one folder at a time. Node 20's recursive mkdir never returns where a
 * missing folder cannot be made (under /proc it is told ENOENT again and again, and
 * retries at full CPU); here that ENOENT is the answer.
 */
async function makeFolder(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = dir; !existsSync(at); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const folder of missing) {
    await mkdir(folder).catch((error: unknown) => {
      // A folder made meanwhile is fine; a dangling symlink "exists" too, and its child fails next.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    });
  }
  if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR' });
}

/** A MILVUS_URI folder that cannot be made, in one line that names the setting; other errors as they are. */
function dataDirProblem(error: unknown, dataDir: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const problem =
    code === 'EEXIST' || code === 'ENOTDIR'
      ? 'is a file, or inside one, not a folder'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? `cannot be created or written (${code})`
        : code === 'ENOENT'
          ? 'cannot be created: a folder on its path cannot be made (a broken symlink, or a system folder such as /proc)'
          : undefined;
  if (!problem) return error;
  return new AskdocsError(
    'config',
    `MILVUS_URI ${dataDir} ${problem}: point MILVUS_URI at a folder for the embedded engine, or at an http(s):// Milvus server.`,
    {
      cause: error,
    },
  );
}

/** Why a data folder holding only the 3.x engine's data looks empty, and what to do. */
export function legacyDataMessage(dataDir: string): string {
  return `${dataDir} holds data from the older Milvus Lite 3.x engine, which the native engine cannot read (left untouched): re-run \`askdocs ingest <docs folder>\`.`;
}

/** "Nothing is ingested yet", naming the data folder the command looked in. */
export function nothingIngestedIn(dataDir: string): string {
  return `Nothing is ingested yet in ${dataDir} (MILVUS_URI): run \`askdocs ingest <docs folder>\` first.`;
}

/** An embedded engine, as a Milvus client on its address sees it (client.ts). */
export interface EmbeddedEngine {
  /**
   * What a failed request more likely means than the engine's own answer: a damaged
   * data file, or (for a request that writes) a full disk.
   */
  diagnose(write: boolean): Promise<AskdocsError | undefined>;
  /** A write the engine answered with success that its log says failed since the last call: a full disk. Reported once. */
  lostWrite(): AskdocsError | undefined;
  /** How many times the engine was (re)started: a request made under one generation did not see the next. */
  generation(): number;
  /**
   * After a request under `since` lost its connection: resolves true once the engine
   * runs again (restarted, or the same one still running after a short settling time,
   * the connection loss then being a glitch), false when it is not back within
   * `timeoutMs`, failed, or is being stopped.
   */
  back(since: number, timeoutMs: number): Promise<boolean>;
}

const engines = new Map<string, EmbeddedEngine>();

/** The embedded engine serving `address` ("127.0.0.1:port") in this process, if any. */
export function embeddedEngineAt(address: string): EmbeddedEngine | undefined {
  return engines.get(address.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, ''));
}

/** Ports tried at start-up when another process takes the picked one first. */
const PORT_ATTEMPTS = 3;

export async function startMilvusLite(options: StartMilvusLiteOptions): Promise<MilvusLiteServer> {
  const engineDir = options.engineDir ?? DEFAULT_ENGINE_DIR;
  const libDir = join(engineDir, 'lib');
  const binary = join(libDir, 'milvus');
  if (!existsSync(binary)) {
    throw new AskdocsError('milvus_lite_missing', `The embedded Milvus engine is not installed (${binary} is missing). ${SETUP_HINT}`);
  }
  const dataDir = resolve(options.dataDir);
  const dbPath = join(dataDir, DB_FILE);
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) {
    throw dataDirProblem(Object.assign(new Error(`${dataDir} is not a folder`), { code: 'ENOTDIR' }), dataDir);
  }
  const legacyData = detectLegacyData(dataDir);
  if (options.createIfMissing === false && !existsSync(dbPath)) {
    throw rerunCannotHelp(new AskdocsError('input', legacyData ? legacyDataMessage(legacyData) : nothingIngestedIn(dataDir)));
  }
  await makeFolder(dataDir).catch((error: unknown) => {
    throw dataDirProblem(error, dataDir);
  });
  const cannotWrite = writeProblem(dataDir, dbPath);
  if (cannotWrite) throw cannotWrite;
  const lock = takeLock(dataDir);
  // Checked under the lock: no other askdocs is writing the file meanwhile.
  const damage = headerDamage(dbPath);
  if (damage) {
    lock.close();
    throw damagedFile(dbPath, damage);
  }
  const logger = options.logger;
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (legacyData) {
    logger?.warn(
      { dataDir },
      `${dataDir} holds data from the older Milvus Lite 3.x engine, which the native engine cannot read (it is left untouched): re-run \`askdocs ingest <docs folder>\` to rebuild the index`,
    );
  }

  // Set once the engine said its data file is damaged; it stays so.
  let damageSeen: string | undefined;
  // Set when the engine logged that its disk is full, until reported.
  let fullSeen = false;
  const onOutput = (text: string) => {
    damageSeen ??= DAMAGE_PATTERN.exec(text)?.[0];
    if (FULL_PATTERN.test(text)) fullSeen = true;
  };
  // Every engine process this server started and that has not exited yet (a restart may be
  // starting one while stop() runs): the lock is released only once none is left.
  const spawned = new Set<ChildProcess>();
  // Set by stop() (and a failed start): from then on the last engine's exit releases the lock.
  let stopped = false;
  let lockReleased = false;
  const releaseLockOnceStopped = () => {
    if (lockReleased || spawned.size > 0) return;
    lockReleased = true;
    lock.close();
  };
  const onSpawn = (proc: ChildProcess) => {
    spawned.add(proc);
    proc.once('exit', () => {
      spawned.delete(proc);
      if (stopped) releaseLockOnceStopped();
    });
  };
  const launchOptions = { binary, libDir, dataDir, timeoutMs, lockPath: join(dataDir, LOCK_FILE), onOutput, onSpawn };

  let port: number;
  let child: ChildProcess;
  try {
    ({ port, child } = await launchOnFreePort(launchOptions, options));
  } catch (error) {
    // A failed launch killed its engine; the lock waits for it to be gone.
    stopped = true;
    await Promise.all([...spawned].map((proc) => stopChild(proc, logger)));
    releaseLockOnceStopped();
    throw error;
  }
  const address = `127.0.0.1:${port}`;
  logger?.debug({ address, dataDir, pid: child.pid }, 'milvus engine started');

  let state: EngineState = 'running';
  // Set by expectStop: askdocs is closing, so an exit is its doing (or a signal it got too).
  let stopExpected = false;
  let startedAt = Date.now();
  // Bumped on every restart, for requests to tell whether the engine they used is gone.
  let generation = 0;
  // Set by the watchdog when it kills an engine that stopped answering, until it is back.
  let hung: string | undefined;
  let attempt = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  const restartListeners: (() => void)[] = [];
  const failedListeners: ((reason: string) => void)[] = [];
  const attempts = options.restartAttempts ?? 5;
  const firstDelay = options.restartDelayMs ?? 250;

  const watch = (proc: ChildProcess) => {
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (state !== 'running' || proc !== child || stopExpected) return;
      if (Date.now() - startedAt > STABLE_MS) attempt = 0;
      state = 'restarting';
      const announce = () => logger?.warn({ code, signal, pid: proc.pid }, 'milvus engine exited unexpectedly; restarting it');
      // A signal a terminal or service manager sends the whole process group reaches
      // askdocs too, whose handler may run just after this: it is announced (and the
      // engine restarted) only if askdocs did not start closing before the first restart.
      if (signal === 'SIGINT' || signal === 'SIGTERM' || signal === 'SIGHUP') scheduleRestart(`exited (signal ${signal})`, announce);
      else {
        announce();
        scheduleRestart(`exited (code ${code}, signal ${signal})`);
      }
    };
    // It may already have ended between answering on its port and being watched.
    if (proc.exitCode !== null || proc.signalCode !== null) onExit(proc.exitCode, proc.signalCode);
    else proc.once('exit', onExit);
  };

  const scheduleRestart = (lastReason: string, beforeRestart?: () => void) => {
    if (attempt >= attempts) {
      state = 'failed';
      hung = undefined;
      const reason = `the embedded Milvus engine died and could not be restarted after ${attempts} attempts (${lastReason})`;
      logger?.error({ attempts, dataDir, reason }, 'milvus engine could not be restarted');
      for (const listener of failedListeners) notify(() => listener(reason));
      return;
    }
    const delayMs = firstDelay * 2 ** attempt;
    attempt++;
    retryTimer = setTimeout(async () => {
      retryTimer = undefined;
      if (state !== 'restarting' || stopExpected) return;
      beforeRestart?.();
      try {
        const next = await launch({ ...launchOptions, port });
        if (state !== 'restarting') {
          await stopChild(next, logger);
          return;
        }
        child = next;
        state = 'running';
        startedAt = Date.now();
        generation++;
        hung = undefined;
        watch(next);
        logger?.info({ attempt, pid: next.pid, address }, 'milvus engine restarted');
        for (const listener of restartListeners) notify(listener);
      } catch (error) {
        const reason = (error as Error).message;
        logger?.warn({ attempt, err: reason }, 'milvus engine restart failed');
        scheduleRestart(reason);
      }
    }, delayMs);
    retryTimer.unref();
  };
  /**
   * The hang watchdog. An engine that is stopped (SIGSTOP, a debugger) or deadlocked
   * keeps its process and port, so nothing exits and `watch` never notices: questions
   * would wait out their 30 s deadline one after another while liveness says all is
   * well. Pings it, one at a time; after `failures` failed pings in a row it kills the
   * engine (SIGKILL also ends a stopped process), and `watch` restarts it as after any
   * crash. Only the embedded engine has one: a Milvus server is not ours to kill.
   */
  function startWatchdog(settings: WatchdogOptions): { stop(): void } {
    const { intervalMs, timeoutMs, failures } = { ...WATCHDOG_DEFAULTS, ...settings };
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    let client: MilvusClient | undefined;
    let failed = 0;
    const stop = () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      void client?.closeConnection().catch(() => undefined);
      client = undefined;
    };
    const ping = async (): Promise<boolean> => {
      if (!client) {
        // Its own client, with the ping's deadline as its timeout (CheckHealth takes no
        // per-call one; the SDK does not retry a missed deadline, so a ping takes at most
        // that). It reconnects by itself after a restart, on the same port, and quickly,
        // as client.ts does for the embedded engine: a ping refused during gRPC's usual
        // reconnect backoff would count as failed.
        client = new MilvusClient({
          address,
          timeout: timeoutMs,
          logLevel: 'error',
          channelOptions: QUICK_RECONNECT,
        });
        // A refused handshake must not become an unhandled rejection; pings report it.
        client.connectPromise.catch(() => undefined);
      }
      try {
        await client.checkHealth();
        return true;
      } catch {
        return false;
      }
    };
    const tick = async () => {
      timer = undefined;
      if (stopped || stopExpected || state === 'stopped' || state === 'failed') return stop();
      if (state === 'running') {
        const watched = child;
        const ok = await ping();
        // Restarted, or closing, meanwhile: this ping's answer is about an engine gone.
        if (stopped || stopExpected || watched !== child || state !== 'running') {
          failed = 0;
        } else if (ok) {
          if (failed > 0)
            logger?.info({ event: 'milvus_engine_answering', pid: watched.pid, failedPings: failed }, 'milvus engine answers again');
          failed = 0;
        } else if (++failed < failures) {
          logger?.warn(
            { event: 'milvus_engine_ping_failed', pid: watched.pid, failedPings: failed, killAfter: failures, timeoutMs },
            'milvus engine did not answer a health ping',
          );
        } else {
          hung = `the embedded Milvus engine (pid ${watched.pid}) did not answer ${failed} health pings in a row (${timeoutMs} ms each); it was killed to be restarted`;
          logger?.error(
            { event: 'milvus_engine_hung', pid: watched.pid, address, failedPings: failed, intervalMs, timeoutMs },
            'milvus engine stopped answering; killing it so that it is restarted',
          );
          failed = 0;
          watched.kill('SIGKILL');
        }
      }
      if (!stopped) {
        timer = setTimeout(tick, intervalMs);
        // The engine keeps nothing alive (see launch); neither does its watchdog.
        timer.unref();
      }
    };
    timer = setTimeout(tick, intervalMs);
    timer.unref();
    return { stop };
  }

  watch(child);
  const watchdog = options.watchdog === false ? undefined : startWatchdog(options.watchdog ?? {});

  // The engine's "disk is full", reported once.
  const lostWrite = () => {
    if (!fullSeen) return undefined;
    fullSeen = false;
    return diskFull(dataDir, freeBytes(dataDir) ?? 0);
  };
  engines.set(address, {
    async diagnose(write) {
      // The engine's log line may arrive just after its answer.
      await new Promise((r) => setTimeout(r, 50));
      if (damageSeen) return damagedFile(dbPath, `the engine reports "${damageSeen}"`);
      const lost = lostWrite();
      if (lost) return lost;
      const free = write ? freeBytes(dataDir) : undefined;
      return free !== undefined && free < LOW_SPACE_BYTES ? diskFull(dataDir, free) : undefined;
    },
    lostWrite,
    generation: () => generation,
    async back(since, waitMs) {
      const deadline = Date.now() + waitMs;
      // The gRPC failure can reach us a moment before the engine's exit does.
      const settled = Date.now() + Math.min(500, waitMs);
      while (Date.now() < deadline) {
        if (state === 'failed' || state === 'stopped' || stopExpected) return false;
        if (state === 'running' && (generation !== since || Date.now() >= settled)) return true;
        await new Promise((r) => setTimeout(r, 25));
      }
      return false;
    },
  });

  let stopping: Promise<void> | undefined;
  return {
    address,
    port,
    dataDir,
    get pid() {
      return state === 'running' ? child.pid : undefined;
    },
    legacyData,
    state: () => state,
    onRestart: (listener) => restartListeners.push(listener),
    onFailed: (listener) => failedListeners.push(listener),
    hung: () => hung,
    expectStop() {
      stopExpected = true;
      watchdog?.stop();
    },
    stop() {
      stopping ??= (async () => {
        state = 'stopped';
        stopped = true;
        if (retryTimer) clearTimeout(retryTimer);
        engines.delete(address);
        // The lock goes when the last engine process has exited (onSpawn), not before.
        await Promise.all([...spawned].map((proc) => stopChild(proc, logger)));
        releaseLockOnceStopped();
      })();
      return stopping;
    },
  };
}

/** A listener's failure must not stop the others, nor escape into a timer callback. */
function notify(listener: () => void): void {
  try {
    listener();
  } catch {
    // Listeners report their own failures.
  }
}

/**
 * The data-folder lock: an exclusive SQLite transaction on the lock file, held for
 * as long as this process runs the engine. SQLite locks with POSIX record locks,
 * which the kernel releases when the process ends however it ends, so a crash never
 * leaves a stale lock behind.
 */
function takeLock(dataDir: string): { close(): void } {
  const path = join(dataDir, LOCK_FILE);
  let db: SqliteDatabase | undefined;
  try {
    db = openSqlite(path, { timeoutMs: 0 });
    // exec(), not pragma(): a prepared statement would keep the connection, and so the
    // lock, open after close() until it is garbage-collected, and the engine running.
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db?.close();
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new AskdocsError(
        'milvus_data_dir_locked',
        `The Milvus data folder ${dataDir} is in use by another askdocs process. Stop it, or set MILVUS_URI to another folder.`,
      );
    }
    if (code === 'SQLITE_FULL') {
      const free = freeBytes(dataDir);
      if (free !== undefined) throw diskFull(dataDir, free);
    }
    throw new AskdocsError('milvus_unavailable', `Cannot lock the Milvus data folder ${dataDir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const held = db;
  return {
    close() {
      if (held.open) held.close();
    },
  };
}

/**
 * Milvus Lite 3.x (the Python engine askdocs used before) kept its data in the folder
 * as `LOCK`, `databases/` and `collections/<name>/` (schema.json, manifest.json,
 * parquet files); the native engine keeps one `milvus.db`. Returns the folder when it
 * holds 3.x data and no native database yet.
 */
function detectLegacyData(dataDir: string): string | undefined {
  let entries: string[];
  try {
    entries = readdirSync(dataDir);
  } catch {
    return undefined;
  }
  if (entries.includes(DB_FILE)) return undefined;
  return entries.includes('collections') || entries.includes('databases') ? dataDir : undefined;
}

interface LaunchOptions {
  binary: string;
  libDir: string;
  dataDir: string;
  port: number;
  timeoutMs: number;
  lockPath: string;
  /** Everything the engine prints, as it prints it. */
  onOutput?: (text: string) => void;
  /** Each engine process, as soon as it is spawned. */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * The picked port is free when picked, not necessarily when the engine binds it: if
 * another process takes it in between, the engine starts again on another one.
 */
async function launchOnFreePort(
  launchOptions: Omit<LaunchOptions, 'port'>,
  { pickPort = freePort, logger }: Pick<StartMilvusLiteOptions, 'pickPort' | 'logger'>,
): Promise<{ port: number; child: ChildProcess }> {
  for (let attempt = 1; ; attempt++) {
    const port = await pickPort();
    try {
      return { port, child: await launch({ ...launchOptions, port }) };
    } catch (error) {
      if (!(error instanceof AskdocsError && error.code === 'milvus_port_taken') || attempt >= PORT_ATTEMPTS) throw error;
      logger?.warn({ port, attempt }, 'another process took the port picked for the milvus engine; trying another');
    }
  }
}

/** Starts the engine and resolves once it accepts connections on its port. */
async function launch(options: LaunchOptions): Promise<ChildProcess> {
  const { binary, libDir, dataDir, port } = options;
  const libraryPath = [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const child = spawn(binary, [join(dataDir, DB_FILE), `127.0.0.1:${port}`, 'ERROR', options.lockPath], {
    cwd: dataDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      // The engine needs nothing of askdocs' environment (and gets none of its secrets).
      PATH: process.env.PATH,
      // The engine aborts when HOME is unset.
      HOME: process.env.HOME ?? dataDir,
      TMPDIR: process.env.TMPDIR,
      LD_LIBRARY_PATH: libraryPath,
      DYLD_LIBRARY_PATH: libraryPath,
    },
  });
  track(child);
  options.onSpawn?.(child);
  // Never keep askdocs alive just for the engine; it ends with us (see the lock).
  child.unref();
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (data: Buffer) => {
      const text = data.toString();
      output = (output + text).slice(-4000);
      options.onOutput?.(text);
    });
    (stream as { unref?: () => void } | null)?.unref?.();
  }
  const lastLine = () => output.trim().split('\n').at(-1) ?? '';
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(new AskdocsError('milvus_lite_missing', `Could not run the embedded Milvus engine: ${error.message}. ${SETUP_HINT}`)),
    );
    child.once('exit', (code, signal) =>
      reject(/Address already in use/.test(output) ? portTaken(port) : startFailure(options, `${code ?? signal}`, output, lastLine())),
    );
  });
  exited.catch(() => undefined);
  const deadline = Date.now() + options.timeoutMs;
  const ready = async () => {
    if (!(await Promise.race([canConnect(port), exited]))) return false;
    // Something answers on the port; it must be this engine, not whoever took the port.
    const owner = child.pid === undefined ? 'unknown' : loopbackListenerOwner(child.pid, port);
    if (owner === 'other') throw portTaken(port);
    return true;
  };
  try {
    while (!(await ready())) {
      if (Date.now() > deadline) {
        throw new AskdocsError(
          'milvus_unavailable',
          `The embedded Milvus engine did not start within ${Math.round(options.timeoutMs / 1000)} s.`,
        );
      }
      await Promise.race([new Promise((r) => setTimeout(r, 50)), exited]);
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

/**
 * The engine exited before it listened. Its log line (timestamp, source file) stays in
 * the error's cause, for the debug log; the user gets what it means. A damaged data file
 * the header check at start-up let through shows as SQLite's own words in the output.
 */
function startFailure(options: LaunchOptions, exit: string, output: string, logLine: string): AskdocsError {
  // "E20261203 12:00:00.000 123 server.cpp:73] Init milvus failed" -> "Init milvus failed"
  const said = logLine.replace(/^.*\]\s*/, '').trim();
  const cause = new Error(`milvus exited with ${exit}: ${output.trim()}`);
  const damage = DAMAGE_PATTERN.exec(output)?.[0];
  if (damage) return damagedFile(join(options.dataDir, DB_FILE), `the engine reports "${damage}"`, cause);
  return new AskdocsError(
    'milvus_unavailable',
    `The embedded Milvus engine exited while starting (exit code ${exit}${said ? `: "${said.slice(0, 200)}"` : ''}).`,
    { cause },
  );
}

function portTaken(port: number): AskdocsError {
  return new AskdocsError(
    'milvus_port_taken',
    `Port ${port} on 127.0.0.1 was taken by another process before the embedded Milvus engine could listen on it.`,
  );
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** How long a stopped engine has to exit after SIGTERM, and then after SIGKILL. */
const TERM_WAIT_MS = 1_500;
const KILL_WAIT_MS = 1_500;

/**
 * Stops an engine: SIGTERM (it has no handler: it ends at once, and what it acknowledged is
 * in milvus.db), then SIGKILL. SIGCONT too, for an engine that was stopped (SIGSTOP, a
 * debugger): a signal does not end a stopped process until it runs again. Bounded by
 * TERM_WAIT_MS + KILL_WAIT_MS, so that a process shutdown fits its supervisor's grace period.
 * The data-folder lock is not touched here: it is released on the engine's 'exit'.
 */
async function stopChild(child: ChildProcess, logger?: Logger): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<true>((resolve) => child.once('exit', () => resolve(true)));
  // Keep the event loop alive until the engine has really stopped.
  child.ref();
  const wait = (ms: number) => Promise.race([gone, new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
  signal(child, 'SIGTERM');
  signal(child, 'SIGCONT');
  if (await wait(TERM_WAIT_MS)) return;
  logger?.warn({ pid: child.pid, waitedMs: TERM_WAIT_MS }, 'milvus engine did not stop on SIGTERM; killing it');
  signal(child, 'SIGKILL');
  if (await wait(KILL_WAIT_MS)) return;
  // Not even SIGKILL ended it yet (stuck in the kernel): the lock stays held until it exits,
  // or until askdocs exits; askdocs does not wait for it any longer.
  logger?.error({ pid: child.pid }, 'milvus engine did not exit even after SIGKILL; the data folder stays locked until it does');
  child.unref();
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    child.kill(name);
  } catch {
    // Already gone.
  }
}

/**
 * Engines of this process that have not exited. On the way out (process.exit, a second
 * Ctrl-C, a shutdown cut off by its budget) they are killed, synchronously: an engine that
 * hangs cannot notice the lock going with askdocs, and would be left running on the data
 * folder, unlocked.
 */
const running = new Set<ChildProcess>();
let exitHandlerInstalled = false;

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const engine of running) {
      if (exited(engine)) continue;
      signal(engine, 'SIGKILL');
    }
  });
}

/**
 * gRPC channel options for clients of the embedded engine. It is back on the same port about
 * half a second after a crash, but gRPC, refused meanwhile, waits out a reconnect backoff (1 s,
 * growing) during which every request fails at once. Reconnecting to our own child on loopback
 * costs nothing; retry it quickly.
 */
export const QUICK_RECONNECT = { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 250 };

/** A free TCP port on 127.0.0.1 (the engine binds to loopback only). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
