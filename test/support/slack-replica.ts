/**
 * One Slack bot replica in this process, wired as `askdocs slack` wires it
 * (src/cli/commands/slack-bot.ts), with its shared state in the Redis that `config`
 * names; tests start two and send each its own deliveries.
 *
 *   const a = await startSlackReplica({ config, name: 'A', engine });
 *   await stopSlackReplicas([a, b]);
 */
import { createSlackApp, type SlackAppOptions, type SlackBot } from '../../adapters/slack/index.ts';
import type { Config } from '../../src/config.ts';
import type { Engine } from '../../src/engine/types.ts';
import type { ChatState } from '../../src/state/chat-state.ts';
import { type CapturedLog, capturedLogger } from './captured-logger.ts';
import { openReplicaState } from './redis.ts';

export interface SlackReplica {
  name: string;
  bot: SlackBot;
  state: ChatState;
  /** Its Events/commands/interactivity endpoint. */
  url: string;
  /** What it logged, as an operator would read it. */
  logs: CapturedLog['lines'];
}

export async function startSlackReplica(options: {
  config: Config;
  name: string;
  engine: Engine;
  retryConfig?: SlackAppOptions['retryConfig'];
}): Promise<SlackReplica> {
  const { config, name, engine } = options;
  const log = capturedLogger('info');
  const { state, logger, deps } = await openReplicaState(config, name, log.logger);
  const bot = createSlackApp({
    engine,
    config,
    logger,
    ...deps,
    threads: state.threads,
    retryConfig: options.retryConfig ?? { retries: 0 },
  });
  const { port } = await bot.start();
  return { name, bot, state, url: `http://127.0.0.1:${port}/slack/events`, logs: log.lines };
}

export async function stopSlackReplicas(replicas: (SlackReplica | undefined)[]): Promise<void> {
  for (const replica of replicas) {
    await replica?.bot.stop();
    await replica?.state.close();
  }
}
