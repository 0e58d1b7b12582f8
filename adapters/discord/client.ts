/**
 * The discord.js Client askdocs runs on: the gateway intents it needs, the REST base
 * URL (DISCORD_API_URL, for self-hosted proxies and tests; the gateway URL then comes
 * from that API's /gateway/bot, as discord.js always does), allowed_mentions empty by
 * default so nothing the bot sends can ping anyone, long rate limits refused rather than
 * waited out (rate-limits.ts), and one fix-up of incoming packets.
 */
import {
  type APIApplication,
  ApplicationFlags,
  ChannelType,
  Client,
  Events,
  GatewayDispatchEvents,
  GatewayIntentBits,
  IntentsBitField,
  Partials,
  REST,
  Routes,
} from 'discord.js';
import type { Config } from '../../src/config.ts';
import { NO_MENTIONS } from './api.ts';
import { refuseLongRateLimit } from './rate-limits.ts';

/**
 * Guilds: channels and threads (which threads are the bot's, forum posts as they open).
 * GuildMessages / DirectMessages: mentions, forum posts, thread follow-ups and DMs.
 * MessageContent (privileged): the text of messages that do not mention the bot.
 * Without it Discord still sends the text of DMs and of messages that mention the bot.
 */
export function gatewayIntents(messageContent: boolean): IntentsBitField {
  const intents = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages];
  return new IntentsBitField(messageContent ? [...intents, GatewayIntentBits.MessageContent] : intents);
}

/**
 * Whether the app may use the MessageContent intent (enabled in the Developer Portal, or
 * approved for verified apps). Asked before connecting: Discord would refuse the gateway
 * connection (close code 4014) rather than connect without it.
 */
export async function messageContentEnabled(client: Client, token: string): Promise<boolean> {
  const app = (await client.rest.setToken(token).get(Routes.currentApplication())) as APIApplication;
  return ((app.flags ?? 0) & (ApplicationFlags.GatewayMessageContent | ApplicationFlags.GatewayMessageContentLimited)) !== 0;
}

/** DISCORD_API_URL as @discordjs/rest wants it: the API root without a version (`https://discord.com/api`). */
export function restApiBase(config: Config): string | undefined {
  return config.discord.apiUrl?.replace(/\/+$/, '').replace(/\/v\d+$/, '');
}

/**
 * What both REST instances share. Left to itself, `@discordjs/rest` holds a call for a 429's whole
 * Retry-After (minutes, at times), and the answer waiting on it with the asker watching nothing:
 * a long one is refused instead, and the answer says so (rate-limits.ts). Short ones are still waited out.
 */
function restOptions(config: Config) {
  const api = restApiBase(config);
  return { ...(api ? { api } : {}), rejectOnRateLimit: refuseLongRateLimit };
}

/** `isKnownThread`: a thread the bot opened or joined (see `fillChannelType`). */
export function createClient(config: Config, isKnownThread: (channelId: string) => boolean): Client {
  const client = new Client({
    intents: gatewayIntents(true),
    // DM channels are never in the cache; without this partial, DMs would be dropped.
    partials: [Partials.Channel],
    allowedMentions: NO_MENTIONS,
    // A reply to a message deleted meanwhile should still be posted.
    failIfNotExists: false,
    rest: restOptions(config),
    ...shardOptions(config),
  });
  // Runs before discord.js handles each packet.
  client.on(Events.Raw, (packet: { t?: string | null; d?: unknown }) => fillChannelType(client, packet, isKnownThread));
  return client;
}

/**
 * SHARD_COUNT / SHARD_IDS as discord.js options: one gateway session per shard this process
 * runs; Discord sends each guild's events to one shard. Unset: one shard.
 */
export function shardOptions(config: Config): { shards?: number[] | 'auto'; shardCount?: number } {
  const sharding = config.discord.sharding;
  if (!sharding) return {};
  if (sharding.count === 'auto') return { shards: 'auto' };
  return { shards: sharding.ids ?? [...Array(sharding.count).keys()], shardCount: sharding.count };
}

/** The REST instance for interaction webhooks (api.ts): no bot token, no global limit (Discord exempts them). */
export function createWebhookRest(config: Config): REST {
  return new REST({ ...restOptions(config), globalRequestsPerSecond: Number.POSITIVE_INFINITY });
}

/**
 * Fills in `channel_type` on a MESSAGE_CREATE for a channel discord.js has not cached: it
 * drops messages whose channel it cannot build, so a gateway that omits the field (an older
 * one, a proxy, a test double) would lose every DM and every follow-up in an unseen thread.
 * No guild means a DM; a thread the bot opened or joined is a public thread; anything else
 * a text channel (if it was a thread after all, the bot replies in place).
 */
function fillChannelType(client: Client, packet: { t?: string | null; d?: unknown }, isKnownThread: (id: string) => boolean): void {
  if (packet.t !== GatewayDispatchEvents.MessageCreate || !packet.d || typeof packet.d !== 'object') return;
  const data = packet.d as { channel_id?: string; guild_id?: string; channel_type?: number };
  if (data.channel_type !== undefined || !data.channel_id || client.channels.cache.has(data.channel_id)) return;
  if (!data.guild_id) data.channel_type = ChannelType.DM;
  else data.channel_type = isKnownThread(data.channel_id) ? ChannelType.PublicThread : ChannelType.GuildText;
}
