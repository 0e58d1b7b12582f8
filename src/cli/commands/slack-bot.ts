/**
 * `askdocs slack`: runs the Slack bot until SIGINT/SIGTERM.
 * Socket Mode when SLACK_APP_TOKEN is set; otherwise Bolt's HTTP receiver on PORT with
 * events, commands and interactivity at /slack/events. /healthz, /readyz and /metrics are
 * on HEALTH_PORT; in HTTP mode PORT also serves /healthz (all three when HEALTH_PORT = PORT).
 * Shutdown is graceful: no new questions, answers in flight finish (SHUTDOWN_TIMEOUT_MS).
 */
import { slackDigestChannel } from '../../../adapters/slack/digest.ts';
import { createSlackApp, type SlackBot } from '../../../adapters/slack/index.ts';
import { HEALTH_PATHS, healthRoutes, type ReadinessCheck } from '../../observability/health-server.ts';
import { operationsEndpoints, serveOperations } from '../../observability/serve.ts';
import { startBotHost } from '../bot-host.ts';
import type { CliContext } from '../context.ts';

export async function runBot(ctx: CliContext): Promise<void> {
  const { config, lifecycle, runtime, state, startDigest, chatDeps, failStartup } = await startBotHost(
    ctx,
    ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'],
    'the Slack bot (askdocs slack)',
  );
  let bot: SlackBot | undefined;
  try {
    const readiness: ReadinessCheck = {
      name: 'slack',
      run: () => (bot?.isReady() ? { ok: true, detail: `connected (${bot.mode} mode)` } : { ok: false, detail: 'not connected to Slack' }),
    };
    const checks = [...(state.readiness ? [state.readiness] : []), readiness];
    const socketMode = Boolean(config.slack.appToken);
    // Probes (compose, Kubernetes) look at HEALTH_PORT in every mode. In HTTP mode PORT faces
    // Slack, so the internet: beside /slack/events it serves only /healthz (for a load
    // balancer); /readyz (collection, models) and /metrics stay on HEALTH_PORT, unless the
    // operator made it the same port. Started before the bot registers, so it closes after
    // the bot (hooks run last-first).
    const samePort = !socketMode && config.healthPort === config.slack.port;
    let healthNote = 'health on the same port';
    if (!samePort) {
      const health = await serveOperations(runtime, lifecycle, checks);
      healthNote = socketMode ? `health on :${health.port}` : `health on :${health.port}, /healthz also on the same port`;
    }
    const endpoints = healthRoutes(operationsEndpoints(runtime, lifecycle, checks));
    bot = createSlackApp({
      ...chatDeps,
      // Slack threads can be continued on any replica; Discord's sharding keeps a guild on one.
      threads: state.threads,
      docTitles: () => runtime.store.documentTitles(),
      customRoutes: socketMode ? undefined : samePort ? endpoints : endpoints.filter((route) => route.path === HEALTH_PATHS.liveness),
    });
    const { mode, port } = await bot.start();
    startDigest(slackDigestChannel(bot.app.client));
    process.stderr.write(
      mode === 'http'
        ? `askdocs: Slack bot listening on :${port} (POST /slack/events); ${healthNote}. Press Ctrl-C to stop.\n`
        : `askdocs: Slack bot connected in Socket Mode; ${healthNote}. Press Ctrl-C to stop.\n`,
    );
  } catch (error) {
    await failStartup(error);
  }
}
