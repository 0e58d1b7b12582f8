/**
 * The askdocs Discord bot: a discord.js Client wired to the engine.
 *
 * `start()` logs in (gateway URL from the REST API's /gateway/bot) and resolves once the
 * client is ready. If Discord refuses the privileged MessageContent intent (close code
 * 4014), it logs one clear warning and reconnects without it: mentions, DMs and
 * /askdocs keep working, thread follow-ups then need a mention.
 * It registers with the lifecycle like every bot (src/chat/delivery.ts): `stop()` (the
 * lifecycle's shutdown) takes no new questions, waits (bounded) for answers in flight,
 * then disconnects. Gateway resumes after a drop are discord.js's; events replayed on resume
 * are answered once (dedupe by interaction / message id).
 */
import { type Client, Events, GatewayCloseCodes, type REST, RESTEvents } from 'discord.js';
import { type ChatBot, type ChatBotDeps, ChatDelivery } from '../../src/chat/delivery.ts';
import { requireSettings } from '../../src/config.ts';
import { registerSecrets } from '../../src/logger.ts';
import { DiscordApi } from './api.ts';
import { createClient, createWebhookRest, isDisallowedIntents } from './client.ts';
import { COMMAND_NAME } from './commands.ts';
import type { BotContext, DiscordBotOptions } from './context.ts';
import { explainDiscordError } from './errors.ts';
import { handleFeedbackButton, isFeedbackButton } from './feedback.ts';
import { INTERACTION_TOKEN_TTL_MS, TOKEN_SAFETY_MARGIN_MS } from './interaction-transport.ts';
import { handleMessage } from './messages.ts';
import { fillChannelType } from './packets.ts';
import { handleSlashCommand } from './slash.ts';

export interface DiscordBotDeps extends ChatBotDeps {
  options?: DiscordBotOptions;
}

export interface DiscordBot extends ChatBot {
  /** The current discord.js Client (replaced once if the MessageContent intent is refused). */
  readonly client: Client;
  /** False when running without the MessageContent intent. */
  readonly messageContent: boolean;
  /** Logs in and resolves once the gateway is ready. */
  start(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

export const MESSAGE_CONTENT_WARNING =
  'Discord refused the MessageContent intent (gateway close code 4014): it is not enabled for this bot. ' +
  'Enable "Message Content Intent" in the Developer Portal (your app → Bot → Privileged Gateway Intents) and restart. ' +
  'Until then askdocs answers only @-mentions, DMs and /askdocs; follow-ups in threads need an @-mention.';

export function createDiscordBot(deps: DiscordBotDeps): DiscordBot {
  const { config } = deps;
  requireSettings(config, ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID'], 'the Discord bot');
  const token = config.discord.token as string;
  registerSecrets(token);
  const logger = deps.logger.child({ platform: 'discord' });
  const options = {
    textIntervalMs: deps.options?.textIntervalMs ?? 1_200,
    interactionTokenTtlMs: deps.options?.interactionTokenTtlMs ?? INTERACTION_TOKEN_TTL_MS,
    tokenSafetyMarginMs: deps.options?.tokenSafetyMarginMs ?? TOKEN_SAFETY_MARGIN_MS,
    historyLimit: deps.options?.historyLimit ?? 30,
  };

  let messageContent = true;
  let client = createClient(config, { messageContent });
  const webhookRest = createWebhookRest(config);
  let api = new DiscordApi(client.rest, webhookRest);
  const delivery = new ChatDelivery({ ...deps, platform: 'discord', logger, shutdownTimeoutMs: deps.options?.stopTimeoutMs });
  const bot = delivery.register(
    async () => {
      await client.destroy();
      webhookRest.clearHashSweeper();
      webhookRest.clearHandlerSweeper();
      logger.info('Discord bot stopped');
    },
    () => client.isReady(),
  );

  const ctx: BotContext = {
    get api() {
      return api;
    },
    config,
    logger,
    delivery,
    options,
    botUserId: () => client.user?.id ?? (config.discord.applicationId as string),
    hasMessageContent: () => messageContent,
  };

  let lastCloseCode: number | undefined;

  function wire(target: Client): void {
    // Runs before discord.js handles each packet (see packets.ts).
    target.on(Events.Raw, (packet: { t?: string | null; d?: unknown }) =>
      fillChannelType(target, packet, (id) => delivery.threads.isJoined(id)),
    );
    target.on(Events.InteractionCreate, (interaction) => {
      // Slash commands are acknowledged inside the handler's first await: nothing may run before it.
      if (interaction.isChatInputCommand() && interaction.commandName === COMMAND_NAME) {
        handleSlashCommand(ctx, interaction).catch((error: unknown) => logger.error({ err: error }, 'slash command failed'));
      } else if (interaction.isButton() && isFeedbackButton(interaction.customId)) {
        handleFeedbackButton(ctx, interaction).catch((error: unknown) => logger.error({ err: error }, 'feedback failed'));
      }
    });
    target.on(Events.MessageCreate, (message) => {
      handleMessage(ctx, message).catch((error: unknown) => logger.error({ err: error }, 'message handling failed'));
    });
    target.on(Events.ShardDisconnect, (event, shardId) => {
      lastCloseCode = event.code;
      // A refused MessageContent intent is handled in start(), with its own single warning.
      if (event.code === GatewayCloseCodes.DisallowedIntents) return;
      logger.warn({ code: event.code, shardId }, 'gateway disconnected and will not reconnect');
    });
    target.on(Events.ShardReconnecting, (shardId) => {
      if (delivery.accepting()) logger.info({ shardId }, 'gateway connection lost; reconnecting');
    });
    target.on(Events.ShardResume, (shardId, replayed) => logger.info({ shardId, replayed }, 'gateway session resumed'));
    target.on(Events.ShardError, (error, shardId) => {
      if (isDisallowedIntents(error, undefined)) return;
      logger.warn({ err: error, shardId }, 'gateway error');
    });
    target.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
    target.on(Events.Warn, (message) => logger.warn({ detail: message }, 'discord client warning'));
    watchRateLimits(target.rest);
  }

  function watchRateLimits(rest: REST): void {
    rest.on(RESTEvents.RateLimited, (info) =>
      logger.warn(
        { route: info.route, method: info.method, retryAfterMs: info.retryAfter, global: info.global, scope: info.scope },
        'Discord rate limit: waiting before retrying',
      ),
    );
  }

  async function login(target: Client): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the Discord gateway did not become ready in time')), READY_TIMEOUT_MS);
      timer.unref();
      target.once(Events.ClientReady, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    ready.catch(() => undefined);
    await target.login(token);
    await ready;
  }

  wire(client);
  watchRateLimits(webhookRest);

  return {
    ...bot,
    get client() {
      return client;
    },
    get messageContent() {
      return messageContent;
    },
    async start() {
      try {
        await login(client);
      } catch (error) {
        await client.destroy().catch(() => undefined);
        if (!isDisallowedIntents(error, lastCloseCode)) throw explainDiscordError(error, 'connecting to Discord');
        logger.warn(MESSAGE_CONTENT_WARNING);
        messageContent = false;
        client = createClient(config, { messageContent });
        api = new DiscordApi(client.rest, webhookRest);
        wire(client);
        try {
          await login(client);
        } catch (retryError) {
          await client.destroy().catch(() => undefined);
          throw explainDiscordError(retryError, 'connecting to Discord');
        }
      }
      logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size, messageContent }, 'Discord bot connected');
    },
  };
}
