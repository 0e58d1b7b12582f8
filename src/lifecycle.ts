/**
 * Graceful shutdown for long-running front ends (Slack, Discord bots).
 *
 * On SIGTERM or SIGINT (or `shutdown()`):
 *   1. draining starts: `isDraining()` turns true, `/readyz` answers 503, and the
 *      `onDrain` hooks run (front ends stop listening for new questions there);
 *   2. questions already in flight (`track`ed) are allowed to finish, for at most
 *      `timeoutMs` (SHUTDOWN_TIMEOUT_MS); past it, `signal` aborts and the rest get a
 *      short grace (`abortGraceMs`) to tell their users "restarting";
 *   3. the `onShutdown` hooks run in reverse order of registration, like `defer`:
 *      register the runtime (Milvus connection, embedded Milvus Lite) first and the
 *      chat client last, so the client closes before the store it was using;
 *   4. the process exits (once pending log lines are written): 0 when everything
 *      finished in time, 1 when the drain timed out, a hook failed, or the shutdown
 *      was asked for because something failed.
 * A second signal during shutdown exits within `forcedExitGraceMs` (an impatient Ctrl-C
 * must work): work still in flight is aborted first and gets that long to tell its users
 * "restarting" (a Slack stream left open shows "still being written" for good). A third
 * signal exits at once.
 *
 * The whole sequence fits a supervisor's grace period (30 s in deploy/: SHUTDOWN_TIMEOUT_MS
 * 20 s, then 2 s of abort grace, at most `closeTimeoutMs` of close hooks, at most 2 s to
 * exit): the close hooks together get one budget, not one each.
 *
 * `install()` also takes over stray promise rejections: a long-running bot must
 * survive any single bad request, so one is logged, counted in
 * `askdocs_unhandled_rejections_total`, and the process keeps serving. Only failures
 * of the process itself (its port, an engine it cannot restart) end it, elsewhere.
 *
 * ```ts
 * const lifecycle = createLifecycle({ logger, timeoutMs: config.shutdownTimeoutMs }).install();
 * lifecycle.onShutdown(() => runtime.close());
 * lifecycle.onDrain(() => socket.disconnect());
 * // per question (the chat delivery layer, src/chat/delivery.ts, does this for every bot):
 * if (lifecycle.isDraining()) reply(SHUTTING_DOWN_MESSAGE);
 * else await lifecycle.track(answerQuestion(q, lifecycle.signal)); // shutdown waits for it
 * ```
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from './logger.ts';
import { type AskdocsMetrics, metrics as processMetrics } from './observability/metrics.ts';
import type { Runtime } from './runtime.ts';

export type ShutdownHook = () => unknown;

export interface LifecycleOptions {
  logger: Logger;
  /** How long in-flight questions may take to finish once shutdown starts. */
  timeoutMs: number;
  /** Bound on each onDrain / onShutdown hook, so a hung close cannot block exit or the other hooks. Default 10 s. */
  hooksTimeoutMs?: number;
  /**
   * Bound on all onShutdown hooks together (each still at most `hooksTimeoutMs`). Default 5 s:
   * with SHUTDOWN_TIMEOUT_MS at its default of 20 s the process then ends within the 30 s a
   * supervisor waits before SIGKILL. A hook cut off here leaves its work to the process
   * exit (an embedded engine is killed then, see lite-server.ts).
   */
  closeTimeoutMs?: number;
  /** How long a second signal lets aborted work say goodbye before the process exits. Default 1.5 s. */
  forcedExitGraceMs?: number;
  /** Which signals start a shutdown. */
  signals?: NodeJS.Signals[];
  /**
   * How the process ends; tests replace it. By default a finished shutdown sets the exit
   * code and lets the process end once idle (at most 2 s later), and a second signal
   * calls `process.exit(1)` at once.
   */
  exit?: (code: number) => void;
  /** How long work still running at the deadline gets, once aborted, to say goodbye. Default 2 s. */
  abortGraceMs?: number;
  /** Where stray rejections are counted; the process-wide metrics by default. */
  metrics?: Pick<AskdocsMetrics, 'unhandledRejections'>;
}

export interface Lifecycle {
  /** Registers work that shutdown must wait for; returns the same promise. */
  track<T>(work: Promise<T>): Promise<T>;
  /** True once shutdown has started: take no new questions. */
  isDraining(): boolean;
  /** Aborted when shutdown stops waiting for the work in flight (the drain deadline passed). */
  readonly signal: AbortSignal;
  /** How many tracked promises are still running. */
  inFlight(): number;
  /** Runs as soon as shutdown starts (stop accepting work). */
  onDrain(hook: ShutdownHook): void;
  /** Runs after in-flight work finished or timed out (close connections, stop servers). */
  onShutdown(hook: ShutdownHook): void;
  /**
   * Runs when the drain deadline passed with work still in flight, as that work is aborted:
   * release what may hold it (an embedded engine that stopped answering), so it can end
   * and tell its users within the abort grace, while the chat clients are still connected.
   */
  onAbandon(hook: ShutdownHook): void;
  /** Installs the signal handlers (once, however often it is called). */
  install(): Lifecycle;
  /**
   * Something the process cannot work without has failed for good (an embedded engine
   * that cannot be restarted, a chat gateway that will not reconnect): shut down, and,
   * when this lifecycle owns the process (`install`ed), exit 1 so a supervisor (systemd's
   * Restart=on-failure, Docker's restart policy) starts it again.
   */
  fail(reason: string): void;
  /**
   * Runs the shutdown sequence once and resolves with the exit code; `install`ed handlers
   * then exit. `failed`: the process ends because something failed (a bot that could not
   * start), so the code is 1 however cleanly the shutdown itself went.
   */
  shutdown(reason?: string, outcome?: { failed?: boolean }): Promise<number>;
}

export const SHUTTING_DOWN_MESSAGE = 'askdocs is restarting right now. Please ask again in a minute.';

const DEFAULT_HOOKS_TIMEOUT_MS = 10_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
const DEFAULT_ABORT_GRACE_MS = 2_000;
const DEFAULT_FORCED_EXIT_GRACE_MS = 1_500;
const EXIT_GRACE_MS = 2_000;

export function createLifecycle(options: LifecycleOptions): Lifecycle {
  const { logger } = options;
  const hooksTimeoutMs = options.hooksTimeoutMs ?? DEFAULT_HOOKS_TIMEOUT_MS;
  // After a clean shutdown, let the process end by itself so pending log writes land;
  // a second signal ends it at once.
  const exitWhenIdle = options.exit ?? exitOnceIdle;
  const exitNow = options.exit ?? ((code: number) => process.exit(code));
  const running = new Set<Promise<unknown>>();
  const drainHooks: ShutdownHook[] = [];
  const closeHooks: ShutdownHook[] = [];
  const abandonHooks: ShutdownHook[] = [];
  let draining = false;
  let installed = false;
  let shuttingDown: Promise<number> | undefined;
  const abandon = new AbortController();
  // Every answer in flight listens on this one signal: many listeners are expected.
  setMaxListeners(0, abandon.signal);

  async function waitForInFlight(): Promise<boolean> {
    const deadline = Date.now() + options.timeoutMs;
    // Loop: work tracked while draining (e.g. a final post of an answer) is waited for too.
    while (running.size > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await withTimeout(Promise.allSettled([...running]), remaining);
    }
    return true;
  }

  /**
   * Runs hooks one by one, each bounded by hooksTimeoutMs, so one that hangs cannot keep the
   * rest from running; all of them by `totalMs`, so together they cannot outlast a
   * supervisor's grace period.
   */
  async function runHooks(hooks: ShutdownHook[], phase: string, totalMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    let ok = true;
    const deadline = Date.now() + totalMs;
    for (const [index, hook] of hooks.entries()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        ok = false;
        logger.error({ phase, skipped: hooks.length - index, totalMs }, 'shutdown out of time: skipping the remaining steps');
        break;
      }
      try {
        const finished = await withTimeout(
          Promise.resolve()
            .then(hook)
            .then(() => true),
          Math.min(hooksTimeoutMs, remaining),
        );
        if (!finished) {
          ok = false;
          logger.error({ phase, step: index, hooksTimeoutMs, totalMs }, 'shutdown step timed out');
        }
      } catch (error) {
        ok = false;
        logger.error({ err: error, phase, step: index }, 'shutdown step failed');
      }
    }
    return ok;
  }

  // Set by any shutdown asked for because something failed, also one arriving while another
  // shutdown already runs (a SIGTERM's): the sequence reads it at its end, so either ends in 1.
  let failed = false;

  async function sequence(reason: string): Promise<number> {
    draining = true;
    const started = Date.now();
    logger.info({ reason, inFlight: running.size, timeoutMs: options.timeoutMs }, 'shutting down: draining');

    const drained = await runHooks(drainHooks, 'drain');
    const finished = await waitForInFlight();
    if (finished) logger.info({ ms: Date.now() - started }, 'in-flight questions finished');
    else {
      logger.warn({ abandoned: running.size, timeoutMs: options.timeoutMs }, 'shutdown timeout: abandoning questions');
      abandon.abort(new Error('shutting down'));
      const graceMs = options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS;
      // Aborted answers post their "restarting" note; give them a moment to do so. What may
      // hold them (an engine that stopped answering) is released meanwhile, within the same grace.
      void runHooks(abandonHooks, 'abandon', graceMs);
      await withTimeout(Promise.allSettled([...running]), graceMs);
    }

    // Last registered, first closed: front ends close before the runtime they use.
    const closed = await runHooks([...closeHooks].reverse(), 'close', options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);

    const code = !failed && finished && drained && closed ? 0 : 1;
    logger.info({ code, ms: Date.now() - started }, 'shutdown complete');
    return code;
  }

  const lifecycle: Lifecycle = {
    track(work) {
      running.add(work);
      const settle = () => running.delete(work);
      work.then(settle, settle);
      return work;
    },
    isDraining: () => draining,
    signal: abandon.signal,
    inFlight: () => running.size,
    onDrain(hook) {
      drainHooks.push(hook);
    },
    onShutdown(hook) {
      closeHooks.push(hook);
    },
    onAbandon(hook) {
      abandonHooks.push(hook);
    },
    shutdown(reason = 'requested', outcome = {}) {
      if (outcome.failed) failed = true;
      shuttingDown ??= sequence(reason);
      return shuttingDown;
    },
    fail(reason) {
      logger.error({ reason }, 'cannot go on: shutting down so the process is restarted');
      lifecycle.shutdown(reason, { failed: true }).then(
        (code) => {
          if (installed) exitWhenIdle(code);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          if (installed) exitWhenIdle(1);
        },
      );
    },
    install() {
      if (installed) return lifecycle;
      installed = true;
      const counted = options.metrics ?? processMetrics;
      let strays = 0;
      process.on('unhandledRejection', (reason) => {
        strays++;
        counted.unhandledRejections.inc();
        logger.error({ err: reason, unhandledRejections: strays }, 'unhandled promise rejection: logged, still serving');
      });
      let forcing = false;
      for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
        process.on(signal, () => {
          if (forcing) {
            exitNow(1);
            return;
          }
          if (shuttingDown) {
            forcing = true;
            const graceMs = options.forcedExitGraceMs ?? DEFAULT_FORCED_EXIT_GRACE_MS;
            logger.warn({ signal, inFlight: running.size, graceMs }, 'second signal during shutdown: exiting now');
            // Exiting mid-answer would leave its message as it is (a Slack stream "still being
            // written" for good): aborted, answers end with the "restarting" note, if they can
            // within this bound.
            abandon.abort(new Error('shutting down'));
            void withTimeout(Promise.allSettled([...running]), graceMs).then(() => exitNow(1));
            return;
          }
          lifecycle.shutdown(signal).then(exitWhenIdle, (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            exitWhenIdle(1);
          });
        });
      }
      return lifecycle;
    },
  };
  return lifecycle;
}

/**
 * Resolves with the promise's value, or `undefined` when it takes longer than `ms`.
 * The timer is deliberately not unref'd: it holds the process open until shutdown
 * decides, even when the work it waits for holds no handle of its own.
 */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sets the exit code and lets the event loop run dry, so pino's asynchronous writes
 * (the last lines, "shutdown complete") reach stderr in order. Anything a front end
 * left open (a keep-alive socket, a library timer) cannot hold the process for more
 * than EXIT_GRACE_MS.
 */
function exitOnceIdle(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}

/**
 * A long-running front end ends (exit 1, for its supervisor to restart it) once its
 * embedded engine died and could not be restarted: every question would fail from
 * then on, and a supervisor that does not probe /healthz would never notice.
 */
export function endWithEngine(runtime: Pick<Runtime, 'lite'>, lifecycle: Pick<Lifecycle, 'fail'>): void {
  runtime.lite?.onFailed((reason) => lifecycle.fail(`embedded Milvus engine failed: ${reason}`));
}
