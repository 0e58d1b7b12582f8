/**
 * A local fake of Discord (REST API v10 + gateway) for tests and benchmarks: one port on
 * 127.0.0.1 serves `/api/v10/...` over HTTP and the gateway over WebSocket. Point a real
 * discord.js Client at it with `rest: { api: fake.apiUrl }` (askdocs: DISCORD_API_URL);
 * the gateway URL is discovered through `GET /gateway/bot`, as discord.js does.
 *
 * Tests act as Discord users through the helpers below (post a message, run a slash
 * command, click a button, open a thread) and assert on what users would see
 * (`visibleMessages`, `thread`, `pings`), on recorded REST calls, and on gateway state.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Faults, type RecordedCall } from './faults.ts';
import { FakeGateway } from './gateway.ts';
import { handleRest } from './rest.ts';
import {
  ChannelKind,
  channelJson,
  type FakeChannel,
  FakeDiscordState,
  type FakeGuild,
  type FakeInteraction,
  type FakeMessage,
  type FakeUser,
  InteractionKind,
  interactionJson,
  MessageFlag,
  messageJson,
} from './state.ts';

export type { RecordedCall } from './faults.ts';
export type { FakeChannel, FakeGuild, FakeInteraction, FakeMessage, FakeUser } from './state.ts';
export { ChannelKind, InteractionKind, MessageFlag } from './state.ts';

export interface FakeDiscordOptions {
  token?: string;
  applicationId?: string;
  botName?: string;
  /** Whether the MessageContent privileged intent is enabled for the app (default true). */
  messageContentGranted?: boolean;
  heartbeatIntervalMs?: number;
  /** Deadline for the first interaction response (Discord: 3000 ms). */
  interactionDeadlineMs?: number;
  /** Lifetime of interaction tokens (Discord: 15 minutes). */
  interactionTokenTtlMs?: number;
  /**
   * Leaner gateways, to check the bot does not depend on details: no `channel_type` on
   * MESSAGE_CREATE, no THREAD_CREATE when the bot opens a thread.
   */
  lean?: { omitChannelType?: boolean; noThreadCreateEcho?: boolean };
}

/** Who runs a command and how the app is installed there. */
export interface CommandUse {
  user: FakeUser;
  name?: string;
  /** Installs that authorize it (default: the server's, or the bot's DM). */
  installs?: ('guild' | 'user')[];
  /** The member's permissions in the channel, as Discord's decimal string (default: all a member usually has). */
  memberPermissions?: string;
}

export interface FakeDiscord {
  apiUrl: string;
  gatewayUrl: string;
  token: string;
  applicationId: string;
  state: FakeDiscordState;
  gateway: FakeGateway;
  faults: Faults;
  calls: RecordedCall[];
  bot: FakeUser;
  /** A guild with one text channel, `#general`, made at start. */
  guild: FakeGuild;
  general: FakeChannel;
  addUser(name: string, options?: { bot?: boolean }): FakeUser;
  addChannel(name: string, guild?: FakeGuild): FakeChannel;
  /** A user posts a message; `mentionBot` prefixes `<@bot>` as Discord's client does. Only an embed: `content: ''` and `embeds`. */
  userSays(input: { user: FakeUser; channel: FakeChannel; content: string; mentionBot?: boolean; embeds?: unknown[] }): FakeMessage;
  /** A user sends the bot a direct message. */
  userDMs(input: { user: FakeUser; content: string }): FakeMessage;
  /** A user runs `/name option:value` in a channel. */
  slashCommand(input: CommandUse & { channel: FakeChannel; options?: Record<string, string> }): FakeInteraction;
  /** A user runs a message command ("Ask askdocs about this message") on a message, in the message's channel. */
  messageCommand(input: CommandUse & { message: FakeMessage }): FakeInteraction;
  /** A forum channel (type 15) in the test guild. */
  addForum(name: string): FakeChannel;
  /** A user opens a post in a forum: THREAD_CREATE, then the post's first message, whose id is the thread's. */
  userPosts(input: { user: FakeUser; forum: FakeChannel; title: string; content: string }): { thread: FakeChannel; message: FakeMessage };
  /** A server the bot was not added to (its users may still use a user install there), with one text channel. */
  addServerWithoutBot(name: string): { guild: FakeGuild; channel: FakeChannel };
  /** A group DM (or, of two users, a DM between them) the bot is not in. */
  addPrivateChannel(users: FakeUser[]): FakeChannel;
  /** A user clicks a button on a message. */
  clickButton(input: { user: FakeUser; message: FakeMessage; customId: string }): FakeInteraction;
  /** A user opens a thread in a channel (THREAD_CREATE), not started by the bot. */
  userOpensThread(input: { user: FakeUser; channel: FakeChannel; name: string }): FakeChannel;
  /** Messages a user can see in a channel (no ephemerals, no loading placeholders), oldest first. */
  visibleMessages(channel: FakeChannel | string): FakeMessage[];
  /** The thread started from a message, if any. */
  threadOf(message: FakeMessage): FakeChannel | undefined;
  message(id: string): FakeMessage | undefined;
  /** Waits until `predicate` returns a truthy value (re-checked on every REST call and gateway event). */
  waitFor<T>(predicate: () => T | undefined | null | false, options?: { timeoutMs?: number; what?: string }): Promise<T>;
  close(): Promise<void>;
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const token = options.token ?? 'fake-bot-token.discord';
  const applicationId = options.applicationId ?? '1100000000000000001';
  const state = new FakeDiscordState({
    botUser: { id: applicationId, username: options.botName ?? 'askdocs' },
    applicationId,
  });
  const tokenTtlMs = options.interactionTokenTtlMs ?? 15 * 60_000;
  const faults = new Faults();
  const calls: RecordedCall[] = [];
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };

  const server: Server = createServer();
  const gateway = new FakeGateway(server, {
    state,
    token,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    messageContentGranted: options.messageContentGranted ?? true,
    omitChannelType: options.lean?.omitChannelType,
  });
  let gatewayUrl = '';
  const ctx = {
    state,
    gateway,
    faults,
    calls,
    token,
    gatewayUrl: () => gatewayUrl,
    interactionDeadlineMs: options.interactionDeadlineMs ?? 3_000,
    echoThreadCreate: !options.lean?.noThreadCreateEcho,
    onCall: notify,
  };
  server.on('request', (req, res) => {
    handleRest(ctx, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  // Keep-alive sockets would hold `close()` open; Discord's edge closes idle ones too.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  gatewayUrl = `ws://127.0.0.1:${port}`;
  gateway.setBaseUrl(gatewayUrl);

  const guild = state.addGuild('askdocs test guild');
  const general = state.addTextChannel(guild.id, 'general');

  const poster = (user: FakeUser, channel: FakeChannel, content: string, embeds?: unknown[]) => {
    const message = state.addMessage({ channel, author: user, content, embeds });
    gateway.dispatchMessage('MESSAGE_CREATE', message);
    return message;
  };
  /** INTERACTION_CREATE for an application command, as Discord sends it. */
  const command = (use: CommandUse, channel: FakeChannel, type: number, name: string, data: Record<string, unknown>) => {
    const interaction = state.newInteraction(
      {
        type: InteractionKind.ApplicationCommand,
        applicationId,
        channelId: channel.id,
        guildId: channel.guildId,
        user: use.user,
        commandName: name,
        installs: use.installs,
        memberPermissions: use.memberPermissions,
      },
      tokenTtlMs,
    );
    const registered =
      state.commands.guild.get(channel.guildId ?? '')?.find((c) => (c as { name: string }).name === name) ??
      state.commands.global.find((c) => (c as { name: string }).name === name);
    const id = (registered as { id?: string } | undefined)?.id ?? `${BigInt(applicationId) + BigInt(type)}`;
    const where = channel.guildId ? { guild_id: channel.guildId } : {};
    gateway.dispatch('INTERACTION_CREATE', interactionJson(interaction, state, { id, name, type, ...where, ...data }));
    return interaction;
  };

  const fake: FakeDiscord = {
    apiUrl: `http://127.0.0.1:${port}/api`,
    gatewayUrl,
    token,
    applicationId,
    state,
    gateway,
    faults,
    calls,
    bot: state.botUser,
    guild,
    general,
    addUser: (name, userOptions) => state.addUser(name, userOptions),
    addChannel: (name, inGuild = guild) => {
      const channel = state.addTextChannel(inGuild.id, name);
      gateway.dispatch('CHANNEL_CREATE', channelJson(channel));
      return channel;
    },
    userSays: ({ user, channel, content, mentionBot, embeds }) =>
      poster(user, channel, mentionBot ? `<@${state.botUser.id}> ${content}` : content, embeds),
    userDMs: ({ user, content }) => poster(user, state.dmChannelWith(user), content),
    slashCommand: ({ channel, options: commandOptions = {}, ...use }) =>
      command(use, channel, 1, use.name ?? 'askdocs', {
        options: Object.entries(commandOptions).map(([optionName, value]) => ({ name: optionName, type: 3, value })),
      }),
    messageCommand: ({ message, ...use }) =>
      command(use, state.channel(message.channelId) as FakeChannel, 3, use.name ?? 'Ask askdocs about this message', {
        target_id: message.id,
        // Discord sends the message itself, its text included whatever the app's intents.
        resolved: { messages: { [message.id]: messageJson(message, state) } },
      }),
    addForum: (name) => {
      const forum = state.addTextChannel(guild.id, name, { type: ChannelKind.GuildForum });
      gateway.dispatch('CHANNEL_CREATE', channelJson(forum));
      return forum;
    },
    userPosts: ({ user, forum, title, content }) => {
      const thread = state.addThread(forum, { name: title, ownerId: user.id });
      gateway.dispatch('THREAD_CREATE', { ...channelJson(thread, state.botUser.id), newly_created: true });
      const message = state.addMessage({ id: thread.id, channel: thread, author: user, content });
      gateway.dispatchMessage('MESSAGE_CREATE', message);
      return { thread, message };
    },
    addServerWithoutBot: (name) => {
      const other = state.addGuild(name, { hasBot: false });
      return { guild: other, channel: state.addTextChannel(other.id, 'general') };
    },
    addPrivateChannel: (users) => state.addPrivateChannel(users),
    clickButton: ({ user, message, customId }) => {
      const interaction = state.newInteraction(
        {
          type: InteractionKind.MessageComponent,
          applicationId,
          channelId: message.channelId,
          guildId: message.guildId,
          user,
          messageId: message.id,
          customId,
        },
        tokenTtlMs,
      );
      gateway.dispatch('INTERACTION_CREATE', interactionJson(interaction, state, { custom_id: customId, component_type: 2 }));
      return interaction;
    },
    userOpensThread: ({ user, channel, name }) => {
      const thread = state.addThread(channel, { name, ownerId: user.id });
      gateway.dispatch('THREAD_CREATE', { ...channelJson(thread, state.botUser.id), newly_created: true });
      return thread;
    },
    visibleMessages: (channel) => {
      const id = typeof channel === 'string' ? channel : channel.id;
      return state.channelMessages(id).filter((m) => (m.flags & (MessageFlag.Ephemeral | MessageFlag.Loading)) === 0);
    },
    threadOf: (message) => (message.threadId ? state.channel(message.threadId) : undefined),
    message: (id) => state.messages.get(id),
    waitFor: <T>(predicate: () => T | undefined | null | false, waitOptions: { timeoutMs?: number; what?: string } = {}): Promise<T> => {
      const first = predicate();
      if (first) return Promise.resolve(first);
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const value = predicate();
          if (!value) return;
          cleanup();
          resolve(value);
        };
        // Gateway events and REST calls both trigger a check; the interval covers timers (e.g. throttled edits).
        const interval = setInterval(check, 25);
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`fake discord: timed out waiting for ${waitOptions.what ?? 'condition'}`));
        }, waitOptions.timeoutMs ?? 10_000);
        const cleanup = () => {
          clearInterval(interval);
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
      });
    },
    close: async () => {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

/** True for DM channels. */
export function isDm(channel: FakeChannel): boolean {
  return channel.type === ChannelKind.DM;
}
