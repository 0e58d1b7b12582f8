/**
 * The fake Discord's world: users, guilds, channels, threads, messages and interactions,
 * and their JSON in the shapes of API v10 (what discord.js parses). REST handlers and
 * the gateway both read and write this one model, so a message the bot posts over REST
 * is also what a test later sees, what history fetches return, and what the gateway
 * echoes back as MESSAGE_CREATE, as Discord does.
 */
import { snowflake } from './snowflake.ts';

export const ChannelKind = { GuildText: 0, DM: 1, GroupDM: 3, PublicThread: 11, PrivateThread: 12, GuildForum: 15 } as const;
export const InteractionKind = { ApplicationCommand: 2, MessageComponent: 3 } as const;
export const MessageFlag = { Ephemeral: 64, Loading: 128 } as const;
/** Intent bits the fake cares about. */
export const Intent = {
  Guilds: 1 << 0,
  GuildMessages: 1 << 9,
  DirectMessages: 1 << 12,
  MessageContent: 1 << 15,
} as const;
/** Application flags that say the MessageContent intent is enabled in the Developer Portal. */
export const MESSAGE_CONTENT_FLAGS = (1 << 18) | (1 << 19);

export interface FakeUser {
  id: string;
  username: string;
  bot?: boolean;
}

export interface FakeGuild {
  id: string;
  name: string;
  ownerId: string;
  /** False for a server where only users installed the app: no bot member, no gateway events, no bot-token access. */
  hasBot: boolean;
}

export interface FakeChannel {
  id: string;
  type: number;
  name: string;
  guildId?: string;
  /** Threads: the channel the thread lives in. */
  parentId?: string;
  /** Threads: who created it. */
  ownerId?: string;
  /** DMs: the other user. */
  recipient?: FakeUser;
  /** Group DMs, and DMs between two users: who is in it (the bot is not). */
  recipients?: FakeUser[];
  createdAt: number;
  lastMessageId?: string;
  messageCount: number;
  /** Thread member ids (the bot joins threads it creates or posts in). */
  members: Set<string>;
}

export interface Pings {
  users: string[];
  roles: string[];
  everyone: boolean;
}

export interface MessageRevision {
  at: number;
  content: string;
  embeds: unknown[];
  components: unknown[];
}

export interface FakeMessage {
  id: string;
  channelId: string;
  guildId?: string;
  author: FakeUser;
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  /** `allowed_mentions` exactly as the sender gave it (undefined when absent). */
  allowedMentions: unknown;
  /** Who this message would actually notify, given its content and allowed_mentions. */
  pings: Pings;
  createdAt: number;
  editedAt?: number;
  /** Every state the message has been in, oldest first (the first is the create). */
  revisions: MessageRevision[];
  messageReference?: { message_id: string; channel_id: string; guild_id?: string };
  webhookId?: string;
  interaction?: { id: string; type: number; name: string; user: FakeUser };
  /** Set when a thread was started from this message (thread id == message id). */
  threadId?: string;
  deleted?: boolean;
}

export interface FakeInteraction {
  id: string;
  token: string;
  type: number;
  applicationId: string;
  channelId: string;
  guildId?: string;
  user: FakeUser;
  /** For components: the message whose button was clicked. */
  messageId?: string;
  customId?: string;
  commandName?: string;
  /** How the app is installed where the interaction happens (default: to the server, or the bot's DM). */
  installs?: ('guild' | 'user')[];
  /** The invoking member's permissions in the channel (guilds). */
  memberPermissions?: string;
  dispatchedAt: number;
  callbackAt?: number;
  callbackType?: number;
  /** The interaction response message, once the callback created one. */
  originalMessageId?: string;
  tokenExpiresAt: number;
}

export interface StateOptions {
  botUser: FakeUser;
  applicationId: string;
}

export class FakeDiscordState {
  readonly botUser: FakeUser;
  readonly applicationId: string;
  readonly users = new Map<string, FakeUser>();
  readonly guilds = new Map<string, FakeGuild>();
  readonly channels = new Map<string, FakeChannel>();
  readonly messages = new Map<string, FakeMessage>();
  readonly interactions = new Map<string, FakeInteraction>();
  readonly commands = { global: [] as unknown[], guild: new Map<string, unknown[]>() };

  constructor(options: StateOptions) {
    this.botUser = { ...options.botUser, bot: true };
    this.applicationId = options.applicationId;
    this.users.set(this.botUser.id, this.botUser);
  }

  addUser(username: string, options: { bot?: boolean; id?: string } = {}): FakeUser {
    const user: FakeUser = { id: options.id ?? snowflake(), username, ...(options.bot ? { bot: true } : {}) };
    this.users.set(user.id, user);
    return user;
  }

  addGuild(name: string, options: { id?: string; ownerId?: string; hasBot?: boolean } = {}): FakeGuild {
    const guild: FakeGuild = {
      id: options.id ?? snowflake(),
      name,
      ownerId: options.ownerId ?? snowflake(),
      hasBot: options.hasBot ?? true,
    };
    this.guilds.set(guild.id, guild);
    return guild;
  }

  addTextChannel(guildId: string, name: string, options: { id?: string; type?: number } = {}): FakeChannel {
    const channel: FakeChannel = {
      id: options.id ?? snowflake(),
      type: options.type ?? ChannelKind.GuildText,
      name,
      guildId,
      createdAt: Date.now(),
      messageCount: 0,
      members: new Set(),
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  dmChannelWith(user: FakeUser): FakeChannel {
    for (const channel of this.channels.values()) {
      if (channel.type === ChannelKind.DM && channel.recipient?.id === user.id) return channel;
    }
    const channel: FakeChannel = {
      id: snowflake(),
      type: ChannelKind.DM,
      name: '',
      recipient: user,
      createdAt: Date.now(),
      messageCount: 0,
      members: new Set(),
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** A group DM, or a DM between two users: the bot is not in it. */
  addPrivateChannel(users: FakeUser[]): FakeChannel {
    const channel: FakeChannel = {
      id: snowflake(),
      type: users.length > 2 ? ChannelKind.GroupDM : ChannelKind.DM,
      name: '',
      recipients: users,
      createdAt: Date.now(),
      messageCount: 0,
      members: new Set(),
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** Whether the bot can see a channel with its own token (not in servers without the bot, nor others' DMs). */
  botCanSee(channel: FakeChannel): boolean {
    if (channel.recipients) return false;
    return !channel.guildId || this.guilds.get(channel.guildId)?.hasBot !== false;
  }

  addThread(parent: FakeChannel, options: { name: string; ownerId: string; id?: string; type?: number }): FakeChannel {
    const thread: FakeChannel = {
      id: options.id ?? snowflake(),
      type: options.type ?? ChannelKind.PublicThread,
      name: options.name,
      guildId: parent.guildId,
      parentId: parent.id,
      ownerId: options.ownerId,
      createdAt: Date.now(),
      messageCount: 0,
      members: new Set([options.ownerId]),
    };
    this.channels.set(thread.id, thread);
    return thread;
  }

  channel(id: string): FakeChannel | undefined {
    return this.channels.get(id);
  }

  addMessage(input: {
    /** Forum posts: the first message has the thread's id. */
    id?: string;
    channel: FakeChannel;
    author: FakeUser;
    content?: string;
    embeds?: unknown[];
    components?: unknown[];
    flags?: number;
    allowedMentions?: unknown;
    messageReference?: FakeMessage['messageReference'];
    webhookId?: string;
    interaction?: FakeMessage['interaction'];
  }): FakeMessage {
    const now = Date.now();
    const content = input.content ?? '';
    const message: FakeMessage = {
      id: input.id ?? snowflake(now),
      channelId: input.channel.id,
      guildId: input.channel.guildId,
      author: input.author,
      content,
      embeds: input.embeds ?? [],
      components: input.components ?? [],
      flags: input.flags ?? 0,
      allowedMentions: input.allowedMentions,
      pings: computePings(content, input.allowedMentions),
      createdAt: now,
      revisions: [],
      messageReference: input.messageReference,
      webhookId: input.webhookId,
      interaction: input.interaction,
    };
    message.revisions.push(revisionOf(message, now));
    this.messages.set(message.id, message);
    input.channel.lastMessageId = message.id;
    input.channel.messageCount += 1;
    if (input.channel.parentId) input.channel.members.add(input.author.id);
    return message;
  }

  editMessage(
    message: FakeMessage,
    patch: { content?: string; embeds?: unknown[]; components?: unknown[]; flags?: number; allowedMentions?: unknown },
  ): FakeMessage {
    const now = Date.now();
    if (patch.content !== undefined) message.content = patch.content ?? '';
    if (patch.embeds !== undefined) message.embeds = patch.embeds ?? [];
    if (patch.components !== undefined) message.components = patch.components ?? [];
    if (patch.allowedMentions !== undefined) message.allowedMentions = patch.allowedMentions;
    // Editing a deferred ("thinking…") response replaces the loading state.
    message.flags = (patch.flags ?? message.flags) & ~MessageFlag.Loading;
    message.pings = computePings(message.content, message.allowedMentions);
    message.editedAt = now;
    message.revisions.push(revisionOf(message, now));
    return message;
  }

  /** Messages of a channel, oldest first, without deleted ones. */
  channelMessages(channelId: string): FakeMessage[] {
    return [...this.messages.values()]
      .filter((m) => m.channelId === channelId && !m.deleted)
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  newInteraction(input: Omit<FakeInteraction, 'id' | 'token' | 'dispatchedAt' | 'tokenExpiresAt'>, ttlMs: number) {
    const now = Date.now();
    const interaction: FakeInteraction = {
      ...input,
      id: snowflake(now),
      token: `aW50ZXJhY3Rpb24${snowflake(now)}${Math.random().toString(36).slice(2)}`,
      dispatchedAt: now,
      tokenExpiresAt: now + ttlMs,
    };
    this.interactions.set(interaction.id, interaction);
    return interaction;
  }

  interactionByToken(token: string): FakeInteraction | undefined {
    for (const interaction of this.interactions.values()) if (interaction.token === token) return interaction;
    return undefined;
  }
}

function revisionOf(message: FakeMessage, at: number): MessageRevision {
  return { at, content: message.content, embeds: message.embeds, components: message.components };
}

/**
 * Who a message would notify. Mirrors Discord's allowed_mentions rules: absent means
 * "parse everything in the content"; present means only what `parse`/`users`/`roles` allow.
 */
export function computePings(content: string, allowedMentions: unknown): Pings {
  const users = [...content.matchAll(/<@!?(\d{5,20})>/g)].map((m) => m[1] as string);
  const roles = [...content.matchAll(/<@&(\d{5,20})>/g)].map((m) => m[1] as string);
  const everyone = /@(everyone|here)\b/.test(content);
  if (allowedMentions === undefined || allowedMentions === null) {
    return { users: unique(users), roles: unique(roles), everyone };
  }
  const allowed = allowedMentions as { parse?: string[]; users?: string[]; roles?: string[] };
  const parse = allowed.parse ?? [];
  return {
    users: unique(users.filter((id) => parse.includes('users') || (allowed.users ?? []).includes(id))),
    roles: unique(roles.filter((id) => parse.includes('roles') || (allowed.roles ?? []).includes(id))),
    everyone: everyone && parse.includes('everyone'),
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

// ---------------------------------------------------------------------------
// JSON shapes (API v10)
// ---------------------------------------------------------------------------

export function userJson(user: FakeUser) {
  return {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.bot ? null : user.username,
    avatar: null,
    ...(user.bot ? { bot: true } : {}),
    public_flags: 0,
    flags: 0,
  };
}

export function memberJson(user: FakeUser, joinedAt: number) {
  return {
    user: userJson(user),
    roles: [],
    joined_at: new Date(joinedAt).toISOString(),
    deaf: false,
    mute: false,
    flags: 0,
    nick: null,
    avatar: null,
    pending: false,
    permissions: '2248473465835073',
  };
}

export function channelJson(channel: FakeChannel, botUserId?: string) {
  if (channel.type === ChannelKind.DM || channel.type === ChannelKind.GroupDM) {
    return {
      id: channel.id,
      type: channel.type,
      last_message_id: channel.lastMessageId ?? null,
      recipients: (channel.recipients ?? (channel.recipient ? [channel.recipient] : [])).map(userJson),
      flags: 0,
      ...(channel.type === ChannelKind.GroupDM ? { name: null, icon: null, owner_id: channel.recipients?.[0]?.id } : {}),
    };
  }
  const base = {
    id: channel.id,
    type: channel.type,
    guild_id: channel.guildId,
    name: channel.name,
    last_message_id: channel.lastMessageId ?? null,
    rate_limit_per_user: 0,
    flags: 0,
  };
  if (channel.parentId) {
    const isMember = botUserId !== undefined && channel.members.has(botUserId);
    return {
      ...base,
      parent_id: channel.parentId,
      owner_id: channel.ownerId,
      message_count: channel.messageCount,
      total_message_sent: channel.messageCount,
      member_count: channel.members.size,
      thread_metadata: {
        archived: false,
        auto_archive_duration: 1440,
        archive_timestamp: new Date(channel.createdAt).toISOString(),
        locked: false,
        create_timestamp: new Date(channel.createdAt).toISOString(),
      },
      ...(isMember
        ? {
            member: {
              id: channel.id,
              user_id: botUserId,
              join_timestamp: new Date(channel.createdAt).toISOString(),
              flags: 0,
            },
          }
        : {}),
    };
  }
  const forum =
    channel.type === ChannelKind.GuildForum
      ? {
          available_tags: [],
          default_reaction_emoji: null,
          default_sort_order: null,
          default_forum_layout: 0,
          default_thread_rate_limit_per_user: 0,
        }
      : {};
  return { ...base, position: 0, permission_overwrites: [], parent_id: null, nsfw: false, topic: null, ...forum };
}

export function messageJson(message: FakeMessage, state: FakeDiscordState, options: { hideContent?: boolean } = {}) {
  const hide = options.hideContent === true;
  const thread = message.threadId ? state.channel(message.threadId) : undefined;
  const channel = state.channel(message.channelId);
  return {
    id: message.id,
    type: message.messageReference ? 19 : message.interaction ? 20 : 0,
    channel_id: message.channelId,
    ...(message.guildId ? { guild_id: message.guildId } : {}),
    author: userJson(message.author),
    content: hide ? '' : message.content,
    timestamp: new Date(message.createdAt).toISOString(),
    edited_timestamp: message.editedAt ? new Date(message.editedAt).toISOString() : null,
    tts: false,
    mention_everyone: message.pings.everyone,
    mentions: message.pings.users.map((id) => userJson(state.users.get(id) ?? { id, username: `user${id.slice(-4)}` })),
    mention_roles: message.pings.roles,
    attachments: [],
    embeds: hide ? [] : message.embeds,
    components: hide ? [] : message.components,
    pinned: false,
    flags: message.flags,
    ...(channel?.parentId ? { position: Math.max(0, channel.messageCount - 1) } : {}),
    ...(message.messageReference ? { message_reference: { type: 0, ...message.messageReference } } : {}),
    ...(message.webhookId ? { webhook_id: message.webhookId, application_id: state.applicationId } : {}),
    ...(message.interaction
      ? {
          interaction_metadata: {
            id: message.interaction.id,
            type: message.interaction.type,
            name: message.interaction.name,
            user: userJson(message.interaction.user),
            authorizing_integration_owners: {},
          },
        }
      : {}),
    ...(thread ? { thread: channelJson(thread, state.botUser.id) } : {}),
  };
}

export function guildCreateJson(guild: FakeGuild, state: FakeDiscordState, joinedAt: number) {
  const channels = [...state.channels.values()].filter((c) => c.guildId === guild.id);
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    owner_id: guild.ownerId,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    premium_tier: 0,
    nsfw_level: 0,
    system_channel_flags: 0,
    premium_progress_bar_enabled: false,
    preferred_locale: 'en-US',
    features: [],
    roles: [
      {
        id: guild.id,
        name: '@everyone',
        permissions: '2248473465835073',
        position: 0,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: false,
        flags: 0,
      },
    ],
    emojis: [],
    stickers: [],
    joined_at: new Date(joinedAt).toISOString(),
    large: false,
    unavailable: false,
    member_count: 2,
    members: [memberJson(state.botUser, joinedAt)],
    channels: channels.filter((c) => !c.parentId).map((c) => channelJson(c)),
    threads: channels.filter((c) => c.parentId).map((c) => channelJson(c, state.botUser.id)),
    presences: [],
    voice_states: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export function interactionJson(interaction: FakeInteraction, state: FakeDiscordState, data: unknown) {
  const channel = state.channel(interaction.channelId);
  const message = interaction.messageId ? state.messages.get(interaction.messageId) : undefined;
  const installs = interaction.installs ?? ['guild'];
  // Where it was used: a server, the bot's DM, or a group DM / someone else's DM.
  const context = interaction.guildId ? 0 : channel?.recipients ? 2 : 1;
  // Which installs authorized it: a server install names the server ("0" in the bot's DM); a user install the user.
  const owners: Record<string, string> = {};
  if (installs.includes('guild') && context !== 2) owners['0'] = interaction.guildId ?? '0';
  if (installs.includes('user')) owners['1'] = interaction.user.id;
  return {
    id: interaction.id,
    application_id: interaction.applicationId,
    type: interaction.type,
    data,
    ...(interaction.guildId
      ? {
          guild_id: interaction.guildId,
          guild: { id: interaction.guildId, locale: 'en-US', features: [] },
          member: {
            ...memberJson(interaction.user, Date.now()),
            ...(interaction.memberPermissions ? { permissions: interaction.memberPermissions } : {}),
          },
        }
      : { user: userJson(interaction.user) }),
    channel_id: interaction.channelId,
    ...(channel ? { channel: channelJson(channel, state.botUser.id) } : {}),
    ...(message ? { message: messageJson(message, state) } : {}),
    token: interaction.token,
    version: 1,
    app_permissions: '2248473465835073',
    locale: 'en-US',
    ...(interaction.guildId ? { guild_locale: 'en-US' } : {}),
    entitlements: [],
    authorizing_integration_owners: owners,
    context,
    attachment_size_limit: 10_485_760,
  };
}

/**
 * Discord shows a user-installed app's responses only to the user where a server does not
 * let that user use external apps (no USE_EXTERNAL_APPS) and the app is not in the server.
 */
export function forcedEphemeral(interaction: FakeInteraction, state: FakeDiscordState): boolean {
  if (!interaction.guildId || state.guilds.get(interaction.guildId)?.hasBot !== false) return false;
  const permissions = BigInt(interaction.memberPermissions ?? memberJson(interaction.user, 0).permissions);
  return (permissions & USE_EXTERNAL_APPS) === 0n;
}

export const USE_EXTERNAL_APPS = 1n << 50n;
