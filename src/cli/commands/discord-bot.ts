/**
 * `askdocs discord`: runs the Discord bot until SIGINT/SIGTERM, with /healthz, /readyz
 * (including the gateway connection) and /metrics on HEALTH_PORT, and a graceful
 * shutdown that lets answers in flight finish.
 * `askdocs discord register`: registers `/askdocs` in DISCORD_GUILD_ID, or globally.
 */
import { createDiscordBot, type DiscordBot } from '../../../adapters/discord/index.ts';
import { type ReadinessCheck, startHealthServer } from '../../observability/health-server.ts';
import { runtimeReadinessChecks } from '../../observability/readiness.ts';
import { operationsEndpoints } from '../../observability/serve.ts';
import { startBotHost } from '../bot-host.ts';
import type { CliContext } from '../context.ts';

export async function runBot(ctx: CliContext): Promise<void> {
  const { config, logger, lifecycle, runtime, state, failStartup } = await startBotHost(
    ctx,
    ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID'],
    'the Discord bot',
  );
  let bot: DiscordBot | undefined;
  try {
    bot = createDiscordBot({
      engine: runtime.engine,
      config,
      logger,
      feedback: state.feedback,
      claims: state.claims,
      limits: state.limits,
      lifecycle,
    });
    const health = await startHealthServer({
      ...operationsEndpoints(runtime, lifecycle),
      checks: [...runtimeReadinessChecks(runtime), ...(state.readiness ? [state.readiness] : []), gatewayCheck(bot)],
      port: config.healthPort,
      host: config.bindAddress,
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
    await failStartup(error, bot && (() => bot!.stop()));
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
