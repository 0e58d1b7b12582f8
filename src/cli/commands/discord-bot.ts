/**
 * `askdocs discord`: runs the Discord bot until SIGINT/SIGTERM, with /healthz, /readyz
 * (including the gateway connection) and /metrics on HEALTH_PORT, and a graceful
 * shutdown that lets answers in flight finish.
 */
import { discordDigestChannel } from '../../../adapters/discord/digest.ts';
import { createDiscordBot, type DiscordBot } from '../../../adapters/discord/index.ts';
import type { ReadinessCheck } from '../../observability/health-server.ts';
import { serveOperations } from '../../observability/serve.ts';
import { startBotHost } from '../bot-host.ts';
import type { CliContext } from '../context.ts';

export async function runBot(ctx: CliContext): Promise<void> {
  const { lifecycle, runtime, state, startDigest, chatDeps, failStartup } = await startBotHost(
    ctx,
    ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID'],
    'the Discord bot',
  );
  let bot: DiscordBot | undefined;
  try {
    const gateway = gatewayCheck(() => bot);
    // Started before the bot registers, so it closes after the bot (hooks run last-first).
    const health = await serveOperations(runtime, lifecycle, [...(state.readiness ? [state.readiness] : []), gateway]);
    bot = createDiscordBot(chatDeps);
    await bot.start();
    startDigest(discordDigestChannel(bot));
    process.stderr.write(
      `askdocs: Discord bot running as ${bot.client.user?.tag ?? 'unknown'}` +
        `${bot.messageContent ? '' : ' (without the MessageContent intent: @-mentions, DMs, forum post titles and the commands only)'}; ` +
        `health on :${health.port}. Press Ctrl-C to stop.\n`,
    );
  } catch (error) {
    await failStartup(error);
  }
}

function gatewayCheck(bot: () => DiscordBot | undefined): ReadinessCheck {
  return {
    name: 'discord',
    run: () => {
      const current = bot();
      return current?.isReady()
        ? { ok: true, detail: `connected to the Discord gateway${current.messageContent ? '' : ' (no MessageContent intent)'}` }
        : { ok: false, detail: 'not connected to the Discord gateway' };
    },
  };
}
