/**
 * The discord.js Client askdocs runs on: the gateway intents it needs, the REST base
 * URL (DISCORD_API_URL, for self-hosted proxies and tests; the gateway URL then comes
 * from that API's /gateway/bot, as discord.js always does), and allowed_mentions empty
 * by default so nothing the bot sends can ping anyone.
 */
import { Client, GatewayCloseCodes, GatewayIntentBits, Partials, REST } from 'discord.js';
import type { Config } from '../../src/config.ts';
import { NO_MENTIONS } from './api.ts';

/**
 * Guilds: channels and threads (to know which threads are the bot's).
 * GuildMessages / DirectMessages: mentions, thread follow-ups and DMs.
 * MessageContent (privileged): the text of thread follow-ups that do not mention the bot.
 * Without it Discord still sends the text of DMs and of messages that mention the bot.
 */
export function gatewayIntents(messageContent: boolean): GatewayIntentBits[] {
  const intents = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages];
  return messageContent ? [...intents, GatewayIntentBits.MessageContent] : intents;
}

/** DISCORD_API_URL as @discordjs/rest wants it: the API root without a version (`https://discord.com/api`). */
export function restApiBase(config: Config): string | undefined {
  const url = config.discord.apiUrl;
  if (!url) return undefined;
  return url.replace(/\/+$/, '').replace(/\/v\d+$/, '');
}

export function createClient(config: Config, options: { messageContent: boolean }): Client {
  const api = restApiBase(config);
  return new Client({
    intents: gatewayIntents(options.messageContent),
    // DM channels are never in the cache; without this partial, DMs would be dropped.
    partials: [Partials.Channel],
    allowedMentions: NO_MENTIONS,
    // A reply to a message deleted meanwhile should still be posted.
    failIfNotExists: false,
    rest: api ? { api } : {},
    ...shardOptions(config),
  });
}

/**
 * SHARD_COUNT / SHARD_IDS as discord.js client options: discord.js opens one gateway
 * session per shard this process runs, and Discord sends each guild's events to one shard.
 * Unset: one shard, as before.
 */
export function shardOptions(config: Config): { shards?: number[] | 'auto'; shardCount?: number } {
  const sharding = config.discord.sharding;
  if (!sharding) return {};
  if (sharding.count === 'auto') return { shards: 'auto' };
  return { shards: sharding.ids ?? [...Array(sharding.count).keys()], shardCount: sharding.count };
}

/**
 * The REST instance for interaction webhooks (see api.ts): same API base, no bot token,
 * and no client-side global limit, since Discord exempts interaction endpoints from it.
 */
export function createWebhookRest(config: Config): REST {
  const api = restApiBase(config);
  return new REST({ ...(api ? { api } : {}), globalRequestsPerSecond: Number.POSITIVE_INFINITY });
}

/** True when a login failed because Discord refused a privileged intent (close code 4014). */
export function isDisallowedIntents(error: unknown, lastCloseCode: number | undefined): boolean {
  return lastCloseCode === GatewayCloseCodes.DisallowedIntents || (error instanceof Error && /disallowed intents/i.test(error.message));
}
