/**
 * Fills in `channel_type` on a MESSAGE_CREATE for a channel discord.js has not cached,
 * before discord.js handles the packet. discord.js drops messages whose channel it
 * cannot build, and it needs the channel type to build one: Discord sends
 * `channel_type`, but a gateway that omits it (an older one, a proxy, a test double)
 * would silently lose every DM and every follow-up in a thread the client has not seen.
 *
 * Without the field: no guild means a DM; a thread the bot opened or joined is a public
 * thread; any other guild channel is taken as a text channel (if it was a thread after
 * all, opening a thread on the message fails and the bot replies in place).
 */
import { ChannelType, type Client, GatewayDispatchEvents } from 'discord.js';

interface RawPacket {
  t?: string | null;
  d?: unknown;
}

export function fillChannelType(client: Client, packet: RawPacket, isKnownThread: (channelId: string) => boolean): void {
  if (packet.t !== GatewayDispatchEvents.MessageCreate || !packet.d || typeof packet.d !== 'object') return;
  const data = packet.d as { channel_id?: string; guild_id?: string; channel_type?: number };
  if (data.channel_type !== undefined || !data.channel_id || client.channels.cache.has(data.channel_id)) return;
  if (!data.guild_id) data.channel_type = ChannelType.DM;
  else data.channel_type = isKnownThread(data.channel_id) ? ChannelType.PublicThread : ChannelType.GuildText;
}
