/**
 * The askdocs Discord bot: a discord.js Client wired to the engine. `start()` logs in and
 * resolves once the client is ready; without the privileged MessageContent intent it warns
 * once and connects without it (thread follow-ups then need a mention). It registers with
 * the lifecycle like every bot (src/chat/delivery.ts): `stop()` takes no new questions, waits
 * (bounded) for answers in flight, then disconnects. Resumes after a drop are discord.js's;
 * events replayed on resume are answered once (claims by interaction / message id).
 */
import { type Client, Events, GatewayIntentBits, RESTEvents } from 'discord.js';
import { type ChatBot, type ChatBotDeps, ChatDelivery } from '../../src/chat/delivery.ts';
import { requireSettings } from '../../src/config.ts';
import { registerSecrets } from '../../src/logger.ts';
import { DiscordApi } from './api.ts';
import { createClient, createWebhookRest, gatewayIntents, messageContentEnabled } from './client.ts';
import type { BotContext, DiscordBotOptions } from './context.ts';
import { explainDiscordError } from './errors.ts';
import { handleInteraction } from './interactions.ts';
import { handleMessage } from './messages.ts';
import { refuseLongRateLimit } from './rate-limits.ts';
import { INTERACTION_TOKEN_TTL_MS, TOKEN_SAFETY_MARGIN_MS } from './transports.ts';

export interface DiscordBotDeps extends ChatBotDeps {
  options?: DiscordBotOptions;
}

export interface DiscordBot extends ChatBot {
  /** The discord.js Client. */
  readonly client: Client;
  /** False when running without the MessageContent intent. */
  readonly messageContent: boolean;
  /** Logs in and resolves once the gateway is ready. */
  start(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
/** How long shutdown lets answers still in flight post their last note before the client goes. */
const NOTES_BEFORE_DESTROY_MS = 1_500;

export const MESSAGE_CONTENT_WARNING =
  'The MessageContent intent is not enabled for this bot, so Discord would refuse it (gateway close code 4014). ' +
  'Enable "Message Content Intent" in the Developer Portal (your app → Bot → Privileged Gateway Intents) and restart. ' +
  'Until then askdocs answers only @-mentions, DMs, forum post titles and its commands; follow-ups in threads need an @-mention.';

export function createDiscordBot(deps: DiscordBotDeps): DiscordBot {
  const { config } = deps;
  requireSettings(config, ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID'], 'the Discord bot');
  const token = config.discord.token as string;
  registerSecrets(token);
  const logger = deps.logger.child({ platform: 'discord' });

  const delivery = new ChatDelivery({ ...deps, platform: 'discord', logger, shutdownTimeoutMs: deps.options?.stopTimeoutMs });
  const client = createClient(config, (id) => delivery.threads.isJoined(id));
  const webhookRest = createWebhookRest(config);
  // Set when a shard's gateway closed for good (a reset token: 4004): discord.js still
  // reports the client ready, but no event will reach it, so /readyz must say otherwise
  // while the process shuts down.
  let gatewayClosed = false;
  const closing = new AbortController();
  const bot = delivery.register(
    async () => {
      closing.abort();
      // Answers abandoned at the drain deadline may be posting their "restarting" note right now
      // (one that waited on a hung engine fails only once the engine is stopped): posted after
      // destroy(), it is refused for want of a token, and the asker is left with an empty thread.
      const until = Date.now() + NOTES_BEFORE_DESTROY_MS;
      while (delivery.lifecycle.inFlight() > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25));
      await client.destroy();
      webhookRest.clearHashSweeper();
      webhookRest.clearHandlerSweeper();
      logger.info('Discord bot stopped');
    },
    () => !gatewayClosed && client.isReady(),
  );
  const ctx: BotContext = {
    api: new DiscordApi(client.rest, webhookRest),
    config,
    logger,
    delivery,
    options: {
      textIntervalMs: 1_200,
      interactionTokenTtlMs: INTERACTION_TOKEN_TTL_MS,
      tokenSafetyMarginMs: TOKEN_SAFETY_MARGIN_MS,
      historyLimit: 30,
      ...deps.options,
    },
    botUserId: () => client.user?.id ?? (config.discord.applicationId as string),
    hasMessageContent: () => client.options.intents.has(GatewayIntentBits.MessageContent),
    closing: closing.signal,
  };

  const failed = (what: string) => (error: unknown) => logger.error({ err: error }, `${what} failed`);
  // Commands are acknowledged inside the handler's first await: nothing may run before it.
  client.on(Events.InteractionCreate, (interaction) => handleInteraction(ctx, interaction).catch(failed('interaction')));
  client.on(Events.MessageCreate, (message) => handleMessage(ctx, message).catch(failed('message handling')));
  client.on(Events.ShardDisconnect, (event, shardId) => {
    gatewayClosed = true;
    logger.error({ code: event.code, shardId }, 'gateway disconnected and will not reconnect');
    // No event will reach this process again; a restart (with a fixed token) is the way back.
    delivery.lifecycle.fail(`Discord gateway closed (code ${event.code})`);
  });
  client.on(Events.ShardReconnecting, (shardId) => {
    if (delivery.accepting()) logger.info({ shardId }, 'gateway connection lost; reconnecting');
  });
  client.on(Events.ShardResume, (shardId, replayed) => logger.info({ shardId, replayed }, 'gateway session resumed'));
  client.on(Events.ShardError, (error, shardId) => logger.warn({ err: error, shardId }, 'gateway error'));
  client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
  client.on(Events.Warn, (message) => logger.warn({ detail: message }, 'discord client warning'));
  for (const rest of [client.rest, webhookRest]) {
    // Emitted before each wait on a spent bucket. A call refused instead is logged by its answer, with its request id.
    rest.on(RESTEvents.RateLimited, (limit) => {
      const { route, method, retryAfter, global, scope } = limit;
      const detail = { route, method, retryAfterMs: retryAfter, global, scope };
      if (refuseLongRateLimit(limit)) logger.debug(detail, 'Discord rate limit: too long to wait; refusing the call');
      else logger.warn(detail, 'Discord rate limit: waiting before retrying');
    });
  }

  return {
    ...bot,
    client,
    get messageContent() {
      return ctx.hasMessageContent();
    },
    async start() {
      try {
        if (!(await messageContentEnabled(client, token))) {
          logger.warn(MESSAGE_CONTENT_WARNING);
          client.options.intents = gatewayIntents(false);
        }
        // Not events.once: that would also give up on any 'error' the client emits meanwhile.
        const ready = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('the Discord gateway did not become ready in time')), READY_TIMEOUT_MS).unref();
          client.once(Events.ClientReady, () => resolve(clearTimeout(timer)));
        });
        ready.catch(() => undefined);
        await client.login(token);
        await ready;
      } catch (error) {
        await client.destroy().catch(() => undefined);
        throw explainDiscordError(error, 'connecting to Discord');
      }
      logger.info(
        { user: client.user?.tag, guilds: client.guilds.cache.size, messageContent: ctx.hasMessageContent() },
        'Discord bot connected',
      );
    },
  };
}
