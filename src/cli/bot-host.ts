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

export async function startBotHost(ctx: CliContext, required: SettingName[], purpose: string): Promise<BotHost> {
  // Fails before loading Milvus and the model when the bot could never connect; the
  // missing settings are named together with any other problem in the config.
  const config = ctx.loadConfig({ names: required, purpose });
  ctx.logger(config);
  // A long-running bot logs at LOG_LEVEL (info by default), not the CLI's quiet default.
  const logger = createLogger({ level: config.logLevel });
  const lifecycle = createLifecycle({ logger, timeoutMs: config.shutdownTimeoutMs });
  // The CLI entry's own signal handlers exit at once; the lifecycle shuts down gracefully instead.
  ctx.handOverSignals();
  lifecycle.install();

  const failStartup = async (error: unknown): Promise<never> => {
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
    // A bot may start before the first ingest: it makes the (empty) index and reports not
    // ready on /readyz until one, rather than failing its start and being restarted in a loop.
    const runtime = await ctx.openRuntime(config, logger, { createIndex: true });
    lifecycle.onShutdown(() => runtime.close());
    endWithEngine(runtime, lifecycle);
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
