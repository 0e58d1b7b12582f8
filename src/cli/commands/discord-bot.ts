/**
 * `askdocs discord`: runs the Discord bot until SIGINT/SIGTERM, with /healthz, /readyz
 * (including the gateway connection) and /metrics on HEALTH_PORT, and a graceful
 * shutdown that lets answers in flight finish.
 * `askdocs discord register`: registers `/askdocs` in DISCORD_GUILD_ID, or globally.
 */
import { createDiscordBot, type DiscordBot } from '../../../adapters/discord/index.ts';
import { requireSettings } from '../../config.ts';
import { FeedbackStore } from '../../feedback/store.ts';
import { createLifecycle } from '../../lifecycle.ts';
import { createLogger } from '../../logger.ts';
import { type ReadinessCheck, startHealthServer } from '../../observability/health-server.ts';
import { runtimeReadinessChecks } from '../../observability/readiness.ts';
import { operationsEndpoints } from '../../observability/serve.ts';
import type { CliContext } from '../context.ts';

export async function runBot(ctx: CliContext): Promise<void> {
  const config = ctx.loadConfig();
  try {
    // Fail before loading Milvus and the model when the bot could never connect.
    requireSettings(config, ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID'], 'the Discord bot');
  } catch (error) {
    ctx.fail(error);
  }
  ctx.logger(config);
  // A long-running bot logs at LOG_LEVEL (info by default), not the CLI's quiet default.
  const logger = createLogger({ level: config.logLevel });
  const lifecycle = createLifecycle({ logger, timeoutMs: config.shutdownTimeoutMs });
  // The CLI entry's own signal handlers exit at once; the lifecycle below shuts down gracefully instead.
  ctx.handOverSignals();
  lifecycle.install();

  let bot: DiscordBot | undefined;
  try {
    const runtime = await ctx.openRuntime(config, logger);
    lifecycle.onShutdown(() => runtime.close());
    const feedback = FeedbackStore.open(config.feedbackDb);
    lifecycle.onShutdown(() => feedback.close());

    bot = createDiscordBot({ engine: runtime.engine, config, logger, feedback, lifecycle });
    const health = await startHealthServer({
      ...operationsEndpoints(runtime, lifecycle),
      checks: [...runtimeReadinessChecks(runtime), gatewayCheck(bot)],
      port: config.healthPort,
    });
    lifecycle.onShutdown(() => health.close());
    // Registered last, so it runs first: the bot disconnects before the runtime closes.
    const started = bot;
    lifecycle.onShutdown(() => started.stop());

    await bot.start();
    process.stderr.write(
      `askdocs: Discord bot running as ${bot.client.user?.tag ?? 'unknown'}` +
        `${bot.messageContent ? '' : ' (without the MessageContent intent: mentions, DMs and /askdocs only)'}; ` +
        `health on :${health.port}. Press Ctrl-C to stop.\n`,
    );
  } catch (error) {
    await bot?.stop().catch(() => undefined);
    await lifecycle.shutdown('startup failed');
    ctx.fail(error);
  }
}

function gatewayCheck(bot: DiscordBot): ReadinessCheck {
  return {
    name: 'discord',
    run: () =>
      bot.isReady()
        ? { ok: true, detail: `connected to the Discord gateway${bot.messageContent ? '' : ' (no MessageContent intent)'}` }
        : { ok: false, detail: 'not connected to the Discord gateway' },
  };
}
