/**
 * What every long-running chat bot command shares: settings checked before anything
 * slow loads, a service logger, graceful shutdown, the runtime and the chat state
 * (claims, limits, feedback; shared through Redis when REDIS_URL is set), each closed
 * in the right order on shutdown, and the gaps digest.
 */
import type { ChatBotDeps } from '../chat/delivery.ts';
import type { Config, SettingName } from '../config.ts';
import type { FeedbackRecorder } from '../feedback/store.ts';
import { type DigestChannel, type DigestJob, digestFor } from '../gaps/digest-schedule.ts';
import { loadGapsReport } from '../gaps/load.ts';
import { createLifecycle, endWithEngine, type Lifecycle } from '../lifecycle.ts';
import { createLogger, type Logger } from '../logger.ts';
import type { Runtime } from '../runtime.ts';
import { type ChatState, openChatState } from '../state/chat-state.ts';
import type { CliContext } from './context.ts';

export interface BotHost {
  config: Config;
  logger: Logger;
  lifecycle: Lifecycle;
  runtime: Runtime;
  /** Claims, limits, thread participation and feedback: in this process, or shared through Redis (REDIS_URL). */
  state: ChatState;
  feedback: FeedbackRecorder;
  /**
   * Starts the weekly gaps digest when GAPS_DIGEST_CHANNEL names a channel of this
   * platform (the bot supplies how to post); stopped when shutdown starts.
   */
  startDigest(channel: DigestChannel): DigestJob | undefined;
  /** What every chat bot is built with: the engine, settings, lifecycle, metrics and the shared claims, limits and feedback. */
  chatDeps: ChatBotDeps;
  /** Ends a failed start: shuts the lifecycle down (the bot registered with it too), prints one line, exits non-zero. */
  failStartup(error: unknown): Promise<never>;
}

/** How long a bot waits for Redis at start-up before it starts degraded (see above). */
const REDIS_STARTUP_WAIT_MS = 5_000;
/** How long the engine may take to answer at the drain deadline before it is taken for hung (within the 2 s abort grace). */
const ENGINE_PROBE_MS = 1_000;

export async function startBotHost(ctx: CliContext, required: SettingName[], purpose: string): Promise<BotHost> {
  // Fails before loading Milvus and the model when the bot could never connect; the
  // missing settings are named together with any other problem in the config.
  const config = ctx.loadConfig({ names: required, purpose });
  ctx.logger(config);
  // A long-running bot logs at LOG_LEVEL (info by default), not the CLI's quiet default.
  const logger = createLogger({ level: config.logLevel });
  const lifecycle = createLifecycle({ logger, timeoutMs: config.shutdownTimeoutMs });
  // The CLI entry's own signal handlers exit at once; the lifecycle shuts down gracefully instead.
  // Installed before the CLI's are removed: removing a signal's last listener closes Node's
  // handle for it, and a signal delivered but not yet dispatched (the process was busy loading
  // modules) went with it, leaving the bot running after a SIGTERM.
  lifecycle.install();
  ctx.handOverSignals();
  /**
   * A signal during the start (seconds: Redis, the model, the engine) shuts the lifecycle down
   * at once, with what is registered by then; the start does not go on to connect the bot. The
   * returned promise never settles: the lifecycle ends the process.
   */
  const stopStarting = async (): Promise<never> => {
    await lifecycle.shutdown('interrupted during start-up');
    return new Promise<never>(() => undefined);
  };

  const failStartup = async (error: unknown): Promise<never> => {
    // A start cut short by a signal is not a failure to report.
    if (lifecycle.isDraining()) return stopStarting();
    await lifecycle.shutdown('startup failed', { failed: true });
    return ctx.fail(error);
  };

  try {
    // Shutdown hooks run last-registered-first: the bot (registered by the caller)
    // stops before the runtime and the feedback store it uses are closed.
    const state = openChatState(config, logger);
    lifecycle.onShutdown(() => state.close());
    // Until Redis answers, event claims are decided by this process alone, so two replicas
    // given the same event at start-up would both answer it: wait for it, briefly. Before
    // Milvus and the model load, so that a REDIS_URL Redis refuses (a wrong password, a
    // database it does not have) ends the start at once, in one line: whenReady rejects.
    if (state.redis && !(await state.redis.whenReady(REDIS_STARTUP_WAIT_MS))) {
      logger.warn(
        { waitedMs: REDIS_STARTUP_WAIT_MS },
        'starting without Redis: event claims and limits are this process alone until it connects',
      );
    }
    if (lifecycle.isDraining()) return stopStarting();
    // A bot may start before the first ingest: it makes the (empty) index and reports not
    // ready on /readyz until one, rather than failing its start and being restarted in a loop.
    const opening = ctx.openRuntime(config, logger, { createIndex: true });
    // Registered before the runtime is open: a shutdown during the opening closes it (and
    // stops its engine) once open, instead of leaving that to the process exit.
    lifecycle.onShutdown(async () => (await opening.catch(() => undefined))?.close());
    const runtime = await opening;
    if (lifecycle.isDraining()) return stopStarting();
    endWithEngine(runtime, lifecycle);
    // Answers still running at the drain deadline may be waiting on an engine that stopped
    // answering (their Milvus calls end only at their own 30 s timeout): stopped now, their
    // calls fail at once and they post "restarting" while the chat clients are still connected.
    lifecycle.onAbandon(async () => {
      const lite = runtime.lite;
      if (!lite) return;
      if (lite.state() !== 'running' || (await runtime.engineAnswers(ENGINE_PROBE_MS))) return;
      logger.warn({ waitedMs: ENGINE_PROBE_MS }, 'the milvus engine does not answer: stopping it so the answers waiting on it can end');
      lite.expectStop();
      await lite.stop();
    });
    const startDigest = (channel: DigestChannel) =>
      digestFor(config, channel, {
        report: async (options) => (await loadGapsReport(runtime, config, logger, options)).report,
        // Every replica runs the schedule; the first to claim a run posts it.
        claim: (key) => state.claims.claim(key),
        logger,
        lifecycle,
      });
    const chatDeps: ChatBotDeps = {
      engine: runtime.engine,
      config,
      logger,
      feedback: state.feedback,
      claims: state.claims,
      limits: state.limits,
      lifecycle,
      metrics: runtime.metrics,
    };
    return { config, logger, lifecycle, runtime, state, feedback: state.feedback, startDigest, chatDeps, failStartup };
  } catch (error) {
    return failStartup(error);
  }
}
