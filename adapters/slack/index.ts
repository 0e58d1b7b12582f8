/**
 * The Slack front end: a Bolt 5 app that answers `/askdocs`, @-mentions, thread
 * follow-ups and DMs with the engine, streaming the answer and posting sources.
 *
 *   const slack = createSlackApp({ engine, config, logger, feedback });
 *   await slack.start();   // Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT
 *   await slack.stop();    // stop taking questions, wait (bounded) for answers in flight
 *
 * HTTP mode serves events, commands and interactivity at `/slack/events`, plus any
 * `customRoutes` (the health endpoints). SLACK_API_URL redirects every Web API call.
 */
import { App, type CustomRoute, HTTPReceiver, webApi } from '@slack/bolt';
import { AcknowledgementsFirst } from '../../src/chat/ack-first.ts';
import { InFlightTasks } from '../../src/chat/inflight.ts';
import { ChatLimits } from '../../src/chat/limits.ts';
import { type Config, requireSettings } from '../../src/config.ts';
import type { Engine } from '../../src/engine/types.ts';
import { AskdocsError } from '../../src/errors.ts';
import type { FeedbackRecorder } from '../../src/feedback/store.ts';
import { type Logger, registerSecrets } from '../../src/logger.ts';
import { type Claims, localClaims } from '../../src/state/claims.ts';
import { ThreadParticipation } from '../../src/state/thread-participation.ts';
import { SlackAnswerer } from './answer.ts';
import { boltLogger } from './bolt-logger.ts';
import { registerListeners } from './listeners.ts';
import { guardSlackRequests } from './request-guard.ts';
import { classifySlackError } from './slack-errors.ts';

export interface SlackAppOptions {
  engine: Engine;
  config: Config;
  logger: Logger;
  /** Where 👍/👎 clicks are recorded; without it the buttons answer with an apology. */
  feedback?: FeedbackRecorder;
  /** Event claims (src/state/claims.ts); shared through Redis when replicas run. Default: this process. */
  claims?: Claims;
  /** Question limits; shared through Redis when replicas run. Default: this process, from config. */
  limits?: ChatLimits;
  /** Which threads the bot takes part in; shared through Redis when replicas run. Default: this process. */
  threads?: ThreadParticipation;
  /** Extra HTTP routes in HTTP mode (e.g. `/healthz`, `/readyz`, `/metrics`). */
  customRoutes?: CustomRoute[];
  /** Web API retry policy (p-retry options). Tests pass `{ retries: 0 }`. */
  retryConfig?: { retries: number; factor?: number; minTimeout?: number; maxTimeout?: number; randomize?: boolean };
  /** Try Slack's chat streaming methods first (default true). */
  streaming?: boolean;
}

export interface SlackBot {
  app: App;
  mode: 'socket' | 'http';
  /** Connects (Socket Mode) or listens on PORT (HTTP); verifies the bot token first. Resolves with the bound port in HTTP mode. */
  start(): Promise<{ mode: 'socket' | 'http'; port?: number }>;
  /** Stops taking questions, waits up to `timeoutMs` (default SHUTDOWN_TIMEOUT_MS) for answers in flight, then disconnects. */
  stop(timeoutMs?: number): Promise<void>;
  /** Answers currently being worked on. */
  inFlight(): number;
  /** True between a successful start() and stop(): the readiness check. */
  isReady(): boolean;
}

/** A chat bot must not wait half an hour on Slack: a few quick retries, then a plain message. */
const DEFAULT_RETRY = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5_000, randomize: true };
const REQUEST_TIMEOUT_MS = 15_000;

const ACK_QUIET_MS = 30;

export function createSlackApp(options: SlackAppOptions): SlackBot {
  const { config, logger } = options;
  requireSettings(config, ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'], 'the Slack bot (askdocs slack)');
  const { botToken, signingSecret, appToken, apiUrl } = config.slack;
  registerSecrets(botToken, signingSecret, appToken);
  const mode = appToken ? 'socket' : 'http';
  const log = logger.child({ platform: 'slack' });

  const app = new App({
    token: botToken,
    ...(mode === 'socket'
      ? { socketMode: true, appToken, signingSecret }
      : { receiver: guardedReceiver(signingSecret as string, options.customRoutes ?? [], log, config.slack.port) }),
    // auth.test runs in start(), so a bad token fails there with a clear message.
    deferInitialization: true,
    convoStore: false,
    logger: boltLogger(log),
    clientOptions: {
      ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
      retryConfig: options.retryConfig ?? DEFAULT_RETRY,
      timeout: REQUEST_TIMEOUT_MS,
    },
  });
  app.error(async (error) => {
    log.error({ err: error }, 'slack: unhandled listener error');
  });

  // startStream must fail fast (unsupported, 404, 429): the answer then falls back to chat.update.
  const streamStarter = new webApi.WebClient(botToken, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 5_000,
    logger: boltLogger(log),
  });
  const tasks = new InFlightTasks();
  const threads = options.threads ?? new ThreadParticipation();
  // Over HTTP a burst of slash commands arrives as separate requests; answers wait
  // until the burst's acks are out (quiet for 30 ms, at most 500 ms).
  const acks = new AcknowledgementsFirst({ quietMs: ACK_QUIET_MS });
  const answerer = new SlackAnswerer({
    acks,
    engine: options.engine,
    limits: options.limits ?? new ChatLimits(config.limits),
    threads,
    feedback: options.feedback,
    logger: log,
    streaming: options.streaming,
    streamStarter,
  });
  registerListeners(app, {
    answerer,
    acks,
    threads,
    seen: options.claims ?? localClaims(),
    tasks,
    feedback: options.feedback,
    allowedChannels: config.slack.allowedChannels,
    logger: log,
  });

  let started = false;
  return {
    app,
    mode,
    async start() {
      try {
        await app.init();
      } catch (error) {
        throw authFailure(error, apiUrl);
      }
      const listen = config.bindAddress ? { port: config.slack.port, host: config.bindAddress } : config.slack.port;
      const server: unknown = mode === 'http' ? await app.start(listen) : await app.start();
      started = true;
      const port = mode === 'http' ? boundPort(server) : undefined;
      log.info({ mode, port, apiUrl: apiUrl ?? 'https://slack.com/api/' }, 'slack: bot started');
      return { mode, port };
    },
    async stop(timeoutMs = config.shutdownTimeoutMs) {
      const { finished, aborted } = await tasks.drain(timeoutMs);
      log.info({ finished, aborted }, 'slack: answers in flight settled');
      if (started) {
        started = false;
        await app.stop();
      }
    },
    inFlight: () => tasks.size,
    isReady: () => started && tasks.accepting,
  };
}

const EVENTS_PATH = '/slack/events';

/** Bolt's HTTP receiver with the request gate (request-guard.ts) in front of it. */
function guardedReceiver(signingSecret: string, customRoutes: CustomRoute[], log: Logger, port: number): HTTPReceiver {
  const receiver = new HTTPReceiver({ signingSecret, endpoints: [EVENTS_PATH], customRoutes, port, logger: boltLogger(log) });
  receiver.requestListener = guardSlackRequests(receiver.requestListener, { signingSecret, endpoints: [EVENTS_PATH], logger: log });
  return receiver;
}

function boundPort(server: unknown): number | undefined {
  const address = (server as { address?: () => unknown } | undefined)?.address?.();
  return address && typeof address === 'object' && 'port' in address ? (address as { port: number }).port : undefined;
}

/** Turns a failed auth.test into one clear line for the CLI. */
function authFailure(error: unknown, apiUrl: string | undefined): AskdocsError {
  const failure = classifySlackError(error);
  if (failure?.kind === 'platform') {
    return new AskdocsError(
      'config',
      `Slack rejected SLACK_BOT_TOKEN (${failure.error}). Check the bot token (xoxb-…) of your Slack app.`,
      { cause: error },
    );
  }
  return new AskdocsError(
    'config',
    `Could not reach the Slack Web API at ${apiUrl ?? 'https://slack.com/api/'} to verify SLACK_BOT_TOKEN.`,
    { cause: error },
  );
}
