/**
 * The askdocs Discord bot: a discord.js Client wired to the engine.
 *
 * `start()` logs in (gateway URL from the REST API's /gateway/bot) and resolves once the
 * client is ready. If Discord refuses the privileged MessageContent intent (close code
 * 4014), it logs one clear warning and reconnects without it: mentions, DMs and
 * /askdocs keep working, thread follow-ups then need a mention.
 * `stop()` takes no new questions, waits (bounded) for answers in flight, then
 * disconnects. Gateway resumes after a drop are discord.js's; events replayed on resume
 * are answered once (dedupe by interaction / message id).
 */
import { type Client, Events, GatewayCloseCodes, type REST, RESTEvents } from 'discord.js';
import { AcknowledgementsFirst } from '../../src/chat/ack-first.ts';
import { ChatLimits } from '../../src/chat/limits.ts';
import { type Config, requireSettings } from '../../src/config.ts';
import type { Engine } from '../../src/engine/types.ts';
import type { FeedbackRecorder } from '../../src/feedback/store.ts';
import { type Logger, registerSecrets } from '../../src/logger.ts';
import { type Claims, localClaims } from '../../src/state/claims.ts';
import { DiscordApi } from './api.ts';
import { createClient, createWebhookRest, isDisallowedIntents } from './client.ts';
import { COMMAND_NAME } from './commands.ts';
import { type BotContext, type DiscordBotOptions, ThreadMemory } from './context.ts';
import { explainDiscordError } from './errors.ts';
import { handleFeedbackButton, isFeedbackButton } from './feedback.ts';
import { INTERACTION_TOKEN_TTL_MS, TOKEN_SAFETY_MARGIN_MS } from './interaction-transport.ts';
import { handleMessage } from './messages.ts';
import { fillChannelType } from './packets.ts';
import { handleSlashCommand } from './slash.ts';

export interface DiscordBotDeps {
  engine: Engine;
  config: Config;
  logger: Logger;
  /** Where 👍/👎 clicks and answered questions are recorded (shared with Slack). */
  feedback?: FeedbackRecorder;
  /** Event claims (src/state/claims.ts); shared through Redis when replicas run. Default: this process. */
  claims?: Claims;
  /** Question limits; shared through Redis when replicas run. Default: this process, from config. */
  limits?: ChatLimits;
  /**
   * Optional graceful-shutdown hook-up (src/lifecycle.ts): answers in flight are tracked
   * there too, and once it drains new questions get the plain "restarting" message.
   */
  lifecycle?: { track<T>(work: Promise<T>): Promise<T>; isDraining?(): boolean };
  options?: DiscordBotOptions;
}

export interface DiscordBot {
  /** The current discord.js Client (replaced once if the MessageContent intent is refused). */
  readonly client: Client;
  /** False when running without the MessageContent intent. */
  readonly messageContent: boolean;
  /** Answers in flight. */
  inFlight(): number;
  /** True while connected to the gateway and ready. */
  isReady(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const DEDUPE_TTL_MS = 60 * 60_000;

export const MESSAGE_CONTENT_WARNING =
  'Discord refused the MessageContent intent (gateway close code 4014): it is not enabled for this bot. ' +
  'Enable "Message Content Intent" in the Developer Portal (your app → Bot → Privileged Gateway Intents) and restart. ' +
  'Until then askdocs answers only @-mentions, DMs and /askdocs; follow-ups in threads need an @-mention.';

export function createDiscordBot(deps: DiscordBotDeps): DiscordBot {
  const { config, engine } = deps;
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
  const stopTimeoutMs = deps.options?.stopTimeoutMs ?? config.shutdownTimeoutMs;

  let messageContent = true;
  let client = createClient(config, { messageContent });
  const webhookRest = createWebhookRest(config);
  let api = new DiscordApi(client.rest, webhookRest);
  let accepting = true;
  let stopping: Promise<void> | undefined;
  const running = new Set<Promise<unknown>>();
  const shutdown = new AbortController();
  const claims = deps.claims ?? localClaims({ ttlMs: DEDUPE_TTL_MS });

  const ctx: BotContext = {
    get api() {
      return api;
    },
    engine,
    config,
    logger,
    feedback: deps.feedback,
    limits: deps.limits ?? new ChatLimits(config.limits),
    threads: new ThreadMemory(),
    options,
    botUserId: () => client.user?.id ?? (config.discord.applicationId as string),
    hasMessageContent: () => messageContent,
    accepting: () => accepting && !deps.lifecycle?.isDraining?.(),
    track(work) {
      running.add(work);
      const settle = () => running.delete(work);
      work.then(settle, settle);
      return deps.lifecycle ? deps.lifecycle.track(work) : work;
    },
    shutdownSignal: shutdown.signal,
    firstSeen: (key) => claims.claim(key),
    acks: new AcknowledgementsFirst(),
  };

  let lastCloseCode: number | undefined;

  function wire(target: Client): void {
    // Runs before discord.js handles each packet (see packets.ts).
    target.on(Events.Raw, (packet: { t?: string | null; d?: unknown }) =>
      fillChannelType(target, packet, (id) => ctx.threads.isJoined(id)),
    );
    target.on(Events.InteractionCreate, (interaction) => {
      // Slash commands are claimed, then acknowledged, at the start of the handler: nothing may run before it.
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
      if (!stopping) logger.info({ shardId }, 'gateway connection lost; reconnecting');
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
    get client() {
      return client;
    },
    get messageContent() {
      return messageContent;
    },
    inFlight: () => running.size,
    isReady: () => client.isReady(),
    async start() {
      try {
        await login(client);
      } catch (error) {
        if (!isDisallowedIntents(error, lastCloseCode)) {
          await client.destroy().catch(() => undefined);
          throw explainDiscordError(error, 'connecting to Discord');
        }
        logger.warn(MESSAGE_CONTENT_WARNING);
        await client.destroy().catch(() => undefined);
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
    stop() {
      stopping ??= (async () => {
        accepting = false;
        if (running.size > 0) {
          logger.info({ inFlight: running.size, timeoutMs: stopTimeoutMs }, 'waiting for answers in flight');
          const finished = await settleWithin([...running], stopTimeoutMs);
          if (!finished) {
            logger.warn({ abandoned: running.size }, 'answers still running at the stop deadline; cancelling them');
            shutdown.abort();
            // Let cancelled answers post their "restarting" note before disconnecting.
            await settleWithin([...running], 2_000);
          }
        }
        await client.destroy();
        webhookRest.clearHashSweeper();
        webhookRest.clearHandlerSweeper();
        logger.info('Discord bot stopped');
      })();
      return stopping;
    },
  };
}

async function settleWithin(work: Promise<unknown>[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = Promise.allSettled(work).then(() => true as const);
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
