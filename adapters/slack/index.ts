/**
 * The Slack front end: a Bolt 5 app answering `/askdocs`, @-mentions, thread follow-ups, DMs
 * and the AI-app split view with the engine. Socket Mode when SLACK_APP_TOKEN is set, else
 * HTTP on PORT: events, commands and interactivity at `/slack/events`, plus `customRoutes`
 * (the health endpoints). SLACK_API_URL redirects every Web API call.
 *
 *   const slack = createSlackApp({ engine, config, logger, feedback, lifecycle });
 *   await slack.start();   await slack.stop();   // stop: the lifecycle's graceful shutdown
 */
import type { Server } from 'node:http';
import { App, type CustomRoute, webApi } from '@slack/bolt';
import { type ChatBot, type ChatBotDeps, ChatDelivery } from '../../src/chat/delivery.ts';
import { type DocTitle, promptSource } from '../../src/chat/suggestions.ts';
import { requireSettings } from '../../src/config.ts';
import { AskdocsError } from '../../src/errors.ts';
import { registerSecrets } from '../../src/logger.ts';
import { SlackAnswers } from './answer.ts';
import { boltLogger } from './bolt-logger.ts';
import { registerListeners } from './listeners.ts';
import { guardedReceiver } from './request-guard.ts';
import { classifySlackError } from './slack-errors.ts';

export interface SlackAppOptions extends ChatBotDeps {
  /** Extra HTTP routes in HTTP mode (e.g. `/healthz`, `/readyz`, `/metrics`). */
  customRoutes?: CustomRoute[];
  /** Web API retry policy (p-retry options). Tests pass `{ retries: 0 }`. */
  retryConfig?: webApi.RetryOptions;
  /** The ingested docs' titles, for the assistant's default suggested prompts (runtime.store.documentTitles). */
  docTitles?: () => Promise<DocTitle[]>;
}

export interface SlackBot extends ChatBot {
  app: App;
  mode: 'socket' | 'http';
  /** Connects (Socket Mode) or listens on PORT (HTTP); verifies the bot token first. Resolves with the bound port in HTTP mode. */
  start(): Promise<{ mode: 'socket' | 'http'; port?: number }>;
}

/**
 * A chat bot must not wait half an hour on Slack: a few quick retries (15 s each at most), then a plain message.
 * These are for failures (5xx, network); rate limits are not retried by the client (see below).
 */
const DEFAULT_RETRY = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5_000, randomize: true };

export function createSlackApp(options: SlackAppOptions): SlackBot {
  const { config, logger } = options;
  requireSettings(config, ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'], 'the Slack bot (askdocs slack)');
  const { botToken, signingSecret, appToken, apiUrl } = config.slack;
  registerSecrets(botToken, signingSecret, appToken);
  const mode = appToken ? 'socket' : 'http';
  const log = logger.child({ platform: 'slack' });

  const delivery = new ChatDelivery({
    platform: 'slack',
    ...options,
    logger: log,
    // Over HTTP a burst of commands or mentions arrives as separate requests; answers wait
    // until the burst's acks are out (quiet for 30 ms, at most 500 ms).
    ackQuietMs: 30,
  });
  const app = new App({
    token: botToken,
    ...(mode === 'socket'
      ? { socketMode: true, appToken, signingSecret }
      : {
          receiver: guardedReceiver({
            signingSecret: signingSecret as string,
            customRoutes: options.customRoutes ?? [],
            logger: log,
            port: config.slack.port,
            acks: delivery.acks,
          }),
        }),
    // auth.test runs in start(), so a bad token fails there with a clear message.
    deferInitialization: true,
    convoStore: false,
    logger: boltLogger(log),
    clientOptions: {
      ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
      retryConfig: options.retryConfig ?? DEFAULT_RETRY,
      // Left to itself, the WebClient pauses its whole queue (every answer in the workspace) for
      // a 429's full Retry-After, unbounded, though Slack limits each method (chat.postMessage
      // each channel) on its own. Rejected at once instead, the one limited call is waited out
      // briefly or given up where it is made (src/chat/rate-limit.ts), and the user told.
      rejectRateLimitedCalls: true,
      timeout: 15_000,
    },
  });
  app.error(async (error) => log.error({ err: error }, 'slack: unhandled listener error'));

  // startStream must fail fast (unsupported, 404, 429): the answer then falls back to chat.update.
  const streamStarter = new webApi.WebClient(botToken, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 5_000,
    logger: boltLogger(log),
  });
  registerListeners(app, {
    answers: new SlackAnswers(delivery, log, streamStarter),
    allowedChannels: config.slack.allowedChannels,
    logger: log,
    prompts: promptSource(config.slack.suggestedPrompts, options.docTitles, log),
  });

  let started = false;
  const bot = delivery.register(
    async () => {
      if (!started) return;
      started = false;
      await app.stop();
    },
    () => started,
  );
  return {
    ...bot,
    app,
    mode,
    async start() {
      await app.init().catch((error: unknown) => {
        throw authFailure(error, apiUrl);
      });
      const listen = config.bindAddress ? { port: config.slack.port, host: config.bindAddress } : config.slack.port;
      // HTTP mode: Bolt's receiver resolves with its node:http server.
      const address =
        mode === 'http'
          ? (
              (await app.start(listen).catch((error: unknown) => {
                throw portInUse(error, config.slack.port);
              })) as Server
            ).address()
          : await app.start();
      started = true;
      const port = address && typeof address === 'object' && 'port' in address ? address.port : undefined;
      log.info({ mode, port, apiUrl: apiUrl ?? 'https://slack.com/api/' }, 'slack: bot started');
      return { mode, port };
    },
  };
}

/** A taken PORT, in one line that names the setting (as HEALTH_PORT's does); other errors as they are. */
function portInUse(error: unknown, port: number): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') return error;
  return new AskdocsError('config', `PORT ${port} is already in use: stop what is listening there, or set PORT to a free port.`, {
    cause: error,
  });
}

/** Turns a failed auth.test into one clear line for the CLI. */
function authFailure(error: unknown, apiUrl: string | undefined): AskdocsError {
  const failure = classifySlackError(error);
  const message =
    failure?.kind === 'platform'
      ? `Slack rejected SLACK_BOT_TOKEN (${failure.error}). Check the bot token (xoxb-…) of your Slack app.`
      : `Could not reach the Slack Web API at ${apiUrl ?? 'https://slack.com/api/'} to verify SLACK_BOT_TOKEN.`;
  return new AskdocsError('config', message, { cause: error });
}
