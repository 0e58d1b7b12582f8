/**
 * The fake Discord REST API (`/api/v10/...`) on `node:http`: the routes askdocs and
 * discord.js use, with Discord's validation (2000-char content, embed limits, empty
 * messages), error bodies and codes, interaction deadlines (3 s to respond, 15 min
 * token), and the gateway echo of every message a bot creates or edits.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Faults, RecordedCall } from './faults.ts';
import type { FakeGateway } from './gateway.ts';
import {
  ChannelKind,
  channelJson,
  type FakeChannel,
  type FakeDiscordState,
  type FakeInteraction,
  type FakeMessage,
  forcedEphemeral,
  MessageFlag,
  messageJson,
  userJson,
} from './state.ts';

export interface RestContext {
  state: FakeDiscordState;
  gateway: FakeGateway;
  faults: Faults;
  calls: RecordedCall[];
  token: string;
  gatewayUrl(): string;
  /** Time allowed for the first interaction response (Discord: 3 s). */
  interactionDeadlineMs: number;
  /** Send THREAD_CREATE when the bot opens a thread (Discord does). */
  echoThreadCreate: boolean;
  onCall(call: RecordedCall): void;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

const unknown = (what: 'Channel' | 'Message' | 'Interaction' | 'Webhook' | 'Guild', code: number) =>
  new ApiError(404, { message: `Unknown ${what}`, code });

interface Request {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  authorized: boolean;
}

type Handler = (ctx: RestContext, req: Request) => unknown | Promise<unknown>;

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  /** Bot-token auth required (interaction callback and webhook routes use the interaction token instead). */
  auth: boolean;
  handler: Handler;
}

const routes: Route[] = [];

function route(method: string, template: string, handler: Handler, auth = true): void {
  const names: string[] = [];
  const source = template
    .split('/')
    .map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(part.slice(1));
      return '([^/]+)';
    })
    .join('/');
  routes.push({ method, template, pattern: new RegExp(`^${source}$`), names, auth, handler });
}

// ---------------------------------------------------------------------------
// Gateway, users, application, commands
// ---------------------------------------------------------------------------

route('GET', '/gateway/bot', (ctx) => ({
  url: ctx.gatewayUrl(),
  shards: 1,
  session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
}));
route('GET', '/gateway', (ctx) => ({ url: ctx.gatewayUrl() }), false);
route('GET', '/users/@me', (ctx) => ({ ...userJson(ctx.state.botUser), verified: true, mfa_enabled: false }));
route('POST', '/users/@me/channels', (ctx, req) => {
  const user = ctx.state.users.get(String(req.body.recipient_id));
  if (!user) throw new ApiError(400, { message: 'Unknown User', code: 10013 });
  return channelJson(ctx.state.dmChannelWith(user));
});
route('GET', '/applications/@me', (ctx) => ({
  id: ctx.state.applicationId,
  name: ctx.state.botUser.username,
  flags: ctx.gateway.messageContentGranted ? 1 << 19 : 0,
  bot: userJson(ctx.state.botUser),
  bot_public: true,
  bot_require_code_grant: false,
  verify_key: 'fake',
  description: '',
  icon: null,
}));
route('PUT', '/applications/:app/commands', (ctx, req) => {
  checkApplication(ctx, req.params.app);
  ctx.state.commands.global = normaliseCommands(ctx, req.body);
  return ctx.state.commands.global;
});
route('GET', '/applications/:app/commands', (ctx, req) => {
  checkApplication(ctx, req.params.app);
  return ctx.state.commands.global;
});
route('PUT', '/applications/:app/guilds/:guild/commands', (ctx, req) => {
  checkApplication(ctx, req.params.app);
  if (!ctx.state.guilds.has(req.params.guild as string)) throw unknown('Guild', 10004);
  const commands = normaliseCommands(ctx, req.body, req.params.guild);
  ctx.state.commands.guild.set(req.params.guild as string, commands);
  return commands;
});
route('GET', '/applications/:app/guilds/:guild/commands', (ctx, req) => {
  checkApplication(ctx, req.params.app);
  return ctx.state.commands.guild.get(req.params.guild as string) ?? [];
});

function checkApplication(ctx: RestContext, app: string | undefined): void {
  if (app !== ctx.state.applicationId) throw new ApiError(403, { message: 'Missing Access', code: 50001 });
}

function normaliseCommands(ctx: RestContext, body: unknown, guildId?: string): unknown[] {
  if (!Array.isArray(body)) throw invalidForm('_errors', 'BASE_TYPE_ARRAY', 'Must be an array.');
  return body.map((command: Record<string, unknown>, index) => {
    const name = String(command.name ?? '');
    // Slash commands: lowercase, no spaces, and a description; user and message commands: any case, spaces, no description.
    const slash = (command.type ?? 1) === 1;
    if (slash ? !/^[-_\p{L}\p{N}]{1,32}$/u.test(name) || name !== name.toLowerCase() : !/^.{1,32}$/u.test(name)) {
      throw invalidForm(`${index}.name`, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
    }
    if (slash ? !command.description || String(command.description).length > 100 : command.description) {
      throw invalidForm(`${index}.description`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    }
    const badInstall = arrayOr(command.integration_types).some((t) => t !== 0 && t !== 1);
    if (badInstall || arrayOr(command.contexts).some((c) => c !== 0 && c !== 1 && c !== 2)) {
      throw invalidForm(
        `${index}.${badInstall ? 'integration_types' : 'contexts'}`,
        'BASE_TYPE_CHOICES',
        'Value must be one of the allowed types.',
      );
    }
    return {
      id: `${BigInt(ctx.state.applicationId) + BigInt(index + 1)}`,
      application_id: ctx.state.applicationId,
      version: '1',
      type: 1,
      default_member_permissions: null,
      ...(guildId ? { guild_id: guildId } : {}),
      ...command,
    };
  });
}

// ---------------------------------------------------------------------------
// Interactions and their webhook
// ---------------------------------------------------------------------------

route(
  'POST',
  '/interactions/:id/:token/callback',
  (ctx, req) => {
    const interaction = ctx.state.interactions.get(req.params.id as string);
    if (!interaction || interaction.token !== req.params.token) throw unknown('Interaction', 10062);
    if (interaction.callbackAt !== undefined) {
      throw new ApiError(400, { message: 'Interaction has already been acknowledged.', code: 40060 });
    }
    if (Date.now() - interaction.dispatchedAt > ctx.interactionDeadlineMs) throw unknown('Interaction', 10062);
    const type = Number(req.body.type);
    const data = (req.body.data ?? {}) as Record<string, unknown>;
    interaction.callbackAt = Date.now();
    interaction.callbackType = type;
    let message: FakeMessage | undefined;
    switch (type) {
      case 4: // CHANNEL_MESSAGE_WITH_SOURCE
      case 5: // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        message = createInteractionMessage(ctx, interaction, type === 5 ? { ...data, loading: true } : data);
        interaction.originalMessageId = message.id;
        break;
      case 6: // DEFERRED_UPDATE_MESSAGE
        break;
      case 7: {
        // UPDATE_MESSAGE
        const target = interaction.messageId ? ctx.state.messages.get(interaction.messageId) : undefined;
        if (!target) throw unknown('Message', 10008);
        message = editMessage(ctx, target, data);
        break;
      }
      default:
        throw invalidForm('type', 'BASE_TYPE_CHOICES', `Value must be one of (4, 5, 6, 7); got ${type}.`);
    }
    if (req.query.get('with_response') !== 'true') return undefined;
    return {
      interaction: {
        id: interaction.id,
        type: interaction.type,
        response_message_id: message?.id,
        response_message_loading: type === 5,
        response_message_ephemeral: ((message?.flags ?? 0) & MessageFlag.Ephemeral) !== 0,
      },
      resource: { type, ...(message ? { message: messageJson(message, ctx.state) } : {}) },
    };
  },
  false,
);

route('GET', '/webhooks/:app/:token/messages/:message', (ctx, req) => messageJson(webhookMessage(ctx, req), ctx.state), false);
route(
  'PATCH',
  '/webhooks/:app/:token/messages/:message',
  (ctx, req) => messageJson(editMessage(ctx, webhookMessage(ctx, req), req.body), ctx.state),
  false,
);
route(
  'DELETE',
  '/webhooks/:app/:token/messages/:message',
  (ctx, req) => {
    deleteMessage(ctx, webhookMessage(ctx, req));
    return undefined;
  },
  false,
);
route(
  'POST',
  '/webhooks/:app/:token',
  (ctx, req) => {
    const interaction = liveInteraction(ctx, req);
    if (interaction.callbackAt === undefined) throw unknown('Webhook', 10015);
    const threadId = req.query.get('thread_id');
    const channel = ctx.state.channel(threadId ?? interaction.channelId);
    if (!channel) throw unknown('Channel', 10003);
    const forced = forcedEphemeral(interaction, ctx.state) ? MessageFlag.Ephemeral : 0;
    const body = { ...req.body, flags: Number(req.body.flags ?? 0) | forced };
    const message = postMessage(ctx, channel, body, { webhookId: interaction.applicationId });
    return req.query.get('wait') === 'false' ? undefined : messageJson(message, ctx.state);
  },
  false,
);

function liveInteraction(ctx: RestContext, req: Request): FakeInteraction {
  if (req.params.app !== ctx.state.applicationId) throw unknown('Webhook', 10015);
  const interaction = ctx.state.interactionByToken(req.params.token as string);
  if (!interaction) throw unknown('Webhook', 10015);
  if (Date.now() > interaction.tokenExpiresAt) throw new ApiError(401, { message: 'Invalid Webhook Token', code: 50027 });
  return interaction;
}

function webhookMessage(ctx: RestContext, req: Request): FakeMessage {
  const interaction = liveInteraction(ctx, req);
  const id = req.params.message === '@original' ? interaction.originalMessageId : req.params.message;
  const message = id ? ctx.state.messages.get(id) : undefined;
  if (!message || message.deleted || message.webhookId !== interaction.applicationId) throw unknown('Message', 10008);
  return message;
}

function createInteractionMessage(ctx: RestContext, interaction: FakeInteraction, data: Record<string, unknown>): FakeMessage {
  const channel = ctx.state.channel(interaction.channelId);
  if (!channel) throw unknown('Channel', 10003);
  const loading = data.loading === true;
  const forced = forcedEphemeral(interaction, ctx.state) ? MessageFlag.Ephemeral : 0;
  const flags = Number(data.flags ?? 0) | (loading ? MessageFlag.Loading : 0) | forced;
  if (!loading) validateMessage(data);
  const message = ctx.state.addMessage({
    channel,
    author: ctx.state.botUser,
    content: loading ? '' : stringOr(data.content),
    embeds: loading ? [] : arrayOr(data.embeds),
    components: loading ? [] : arrayOr(data.components),
    flags,
    allowedMentions: data.allowed_mentions,
    webhookId: interaction.applicationId,
    interaction: {
      id: interaction.id,
      type: interaction.type,
      name: interaction.commandName ?? '',
      user: interaction.user,
    },
  });
  if ((flags & MessageFlag.Ephemeral) === 0) ctx.gateway.dispatchMessage('MESSAGE_CREATE', message);
  return message;
}

// ---------------------------------------------------------------------------
// Channels, messages, threads
// ---------------------------------------------------------------------------

route('GET', '/channels/:channel', (ctx, req) => channelJson(channelOf(ctx, req), ctx.state.botUser.id));
route('POST', '/channels/:channel/typing', (ctx, req) => {
  channelOf(ctx, req);
  return undefined;
});
route('PUT', '/channels/:channel/thread-members/@me', (ctx, req) => {
  const channel = channelOf(ctx, req);
  if (!channel.parentId) throw new ApiError(400, { message: 'Cannot execute action on this channel type', code: 50024 });
  channel.members.add(ctx.state.botUser.id);
  return undefined;
});
route('GET', '/channels/:channel/messages', (ctx, req) => {
  const channel = channelOf(ctx, req);
  const limit = Math.min(100, Math.max(1, Number(req.query.get('limit') ?? 50)));
  let list = ctx.state.channelMessages(channel.id).filter((m) => (m.flags & MessageFlag.Ephemeral) === 0);
  const before = req.query.get('before');
  const after = req.query.get('after');
  if (before) list = list.filter((m) => BigInt(m.id) < BigInt(before));
  if (after) list = list.filter((m) => BigInt(m.id) > BigInt(after));
  // Discord returns newest first; `after` pages walk forward from the oldest.
  const page = after ? list.slice(0, limit) : list.slice(-limit);
  return page.reverse().map((m) => messageJson(m, ctx.state, { hideContent: hideOverRest(ctx, m) }));
});
route('POST', '/channels/:channel/messages', (ctx, req) => {
  const channel = channelOf(ctx, req);
  const reference = req.body.message_reference as { message_id?: string } | undefined;
  if (reference?.message_id && !ctx.state.messages.has(reference.message_id)) {
    throw invalidForm('message_reference', 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
  }
  const message = postMessage(ctx, channel, req.body, {
    messageReference: reference?.message_id
      ? { message_id: reference.message_id, channel_id: channel.id, guild_id: channel.guildId }
      : undefined,
  });
  return messageJson(message, ctx.state);
});
route('GET', '/channels/:channel/messages/:message', (ctx, req) => {
  const message = messageOf(ctx, req);
  return messageJson(message, ctx.state, { hideContent: hideOverRest(ctx, message) });
});
route('PATCH', '/channels/:channel/messages/:message', (ctx, req) => {
  const message = messageOf(ctx, req);
  if (message.author.id !== ctx.state.botUser.id) {
    throw new ApiError(403, { message: 'Cannot edit a message authored by another user', code: 50005 });
  }
  return messageJson(editMessage(ctx, message, req.body), ctx.state);
});
route('DELETE', '/channels/:channel/messages/:message', (ctx, req) => {
  deleteMessage(ctx, messageOf(ctx, req));
  return undefined;
});
route('POST', '/channels/:channel/messages/:message/threads', (ctx, req) => {
  const channel = channelOf(ctx, req);
  const message = messageOf(ctx, req);
  if (channel.type !== ChannelKind.GuildText) {
    throw new ApiError(400, { message: 'Cannot execute action on this channel type', code: 50024 });
  }
  if (message.threadId) {
    throw new ApiError(400, { message: 'A thread has already been created for this message', code: 160004 });
  }
  const name = validateThreadName(req.body.name);
  // A thread started from a message has the message's id.
  const thread = ctx.state.addThread(channel, { name, ownerId: ctx.state.botUser.id, id: message.id });
  message.threadId = thread.id;
  if (ctx.echoThreadCreate) ctx.gateway.dispatch('THREAD_CREATE', { ...channelJson(thread, ctx.state.botUser.id), newly_created: true });
  return channelJson(thread, ctx.state.botUser.id);
});
route('POST', '/channels/:channel/threads', (ctx, req) => {
  const channel = channelOf(ctx, req);
  if (channel.type !== ChannelKind.GuildText) {
    throw new ApiError(400, { message: 'Cannot execute action on this channel type', code: 50024 });
  }
  const name = validateThreadName(req.body.name);
  const type = Number(req.body.type ?? ChannelKind.PrivateThread);
  const thread = ctx.state.addThread(channel, { name, ownerId: ctx.state.botUser.id, type });
  if (ctx.echoThreadCreate) ctx.gateway.dispatch('THREAD_CREATE', { ...channelJson(thread, ctx.state.botUser.id), newly_created: true });
  return channelJson(thread, ctx.state.botUser.id);
});

function channelOf(ctx: RestContext, req: Request): FakeChannel {
  const channel = ctx.state.channel(req.params.channel as string);
  if (!channel) throw unknown('Channel', 10003);
  if (!ctx.state.botCanSee(channel)) throw new ApiError(403, { message: 'Missing Access', code: 50001 });
  return channel;
}

function messageOf(ctx: RestContext, req: Request): FakeMessage {
  const channel = channelOf(ctx, req);
  const message = ctx.state.messages.get(req.params.message as string);
  if (!message || message.deleted || message.channelId !== channel.id) throw unknown('Message', 10008);
  return message;
}

/** REST hides content too when the app lacks the MessageContent intent (Discord applies it to every API). */
function hideOverRest(ctx: RestContext, message: FakeMessage): boolean {
  if (ctx.gateway.messageContentGranted) return false;
  const botId = ctx.state.botUser.id;
  return !!message.guildId && message.author.id !== botId && !message.content.includes(`<@${botId}>`);
}

function postMessage(
  ctx: RestContext,
  channel: FakeChannel,
  body: Record<string, unknown>,
  extra: { webhookId?: string; messageReference?: FakeMessage['messageReference'] },
): FakeMessage {
  validateMessage(body);
  const message = ctx.state.addMessage({
    channel,
    author: ctx.state.botUser,
    content: stringOr(body.content),
    embeds: arrayOr(body.embeds),
    components: arrayOr(body.components),
    flags: Number(body.flags ?? 0),
    allowedMentions: body.allowed_mentions,
    webhookId: extra.webhookId,
    messageReference: extra.messageReference,
  });
  if ((message.flags & MessageFlag.Ephemeral) === 0) ctx.gateway.dispatchMessage('MESSAGE_CREATE', message);
  return message;
}

function editMessage(ctx: RestContext, message: FakeMessage, body: Record<string, unknown>): FakeMessage {
  const next = {
    content: 'content' in body ? stringOr(body.content) : message.content,
    embeds: 'embeds' in body ? arrayOr(body.embeds) : message.embeds,
    components: 'components' in body ? arrayOr(body.components) : message.components,
  };
  validateMessage(next);
  ctx.state.editMessage(message, {
    ...('content' in body ? { content: next.content } : {}),
    ...('embeds' in body ? { embeds: next.embeds } : {}),
    ...('components' in body ? { components: next.components } : {}),
    ...('allowed_mentions' in body ? { allowedMentions: body.allowed_mentions } : {}),
  });
  if ((message.flags & MessageFlag.Ephemeral) === 0) ctx.gateway.dispatchMessage('MESSAGE_UPDATE', message);
  return message;
}

function deleteMessage(ctx: RestContext, message: FakeMessage): void {
  message.deleted = true;
  ctx.gateway.dispatch('MESSAGE_DELETE', { id: message.id, channel_id: message.channelId, guild_id: message.guildId });
}

// ---------------------------------------------------------------------------
// Validation, as Discord reports it (HTTP 400, code 50035 "Invalid Form Body")
// ---------------------------------------------------------------------------

function invalidForm(path: string, code: string, message: string): ApiError {
  const errors: Record<string, unknown> = {};
  let node = errors;
  const parts = path.split('.');
  parts.forEach((part, index) => {
    if (index === parts.length - 1) node[part] = { _errors: [{ code, message }] };
    else {
      const next: Record<string, unknown> = {};
      node[part] = next;
      node = next;
    }
  });
  return new ApiError(400, { message: 'Invalid Form Body', code: 50035, errors });
}

const len = (value: unknown) => (typeof value === 'string' ? value.length : 0);

export function validateMessage(body: Record<string, unknown>): void {
  const content = stringOr(body.content);
  const embeds = arrayOr(body.embeds) as Record<string, unknown>[];
  const components = arrayOr(body.components) as Record<string, unknown>[];
  if (content.length > 2000) throw invalidForm('content', 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
  if (content.trim() === '' && embeds.length === 0 && components.length === 0) {
    throw new ApiError(400, { message: 'Cannot send an empty message', code: 50006 });
  }
  if (embeds.length > 10) throw invalidForm('embeds', 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.');
  let total = 0;
  embeds.forEach((embed, i) => {
    const fields = arrayOr(embed.fields) as Record<string, unknown>[];
    const footer = (embed.footer ?? {}) as Record<string, unknown>;
    const author = (embed.author ?? {}) as Record<string, unknown>;
    const checks: [string, unknown, number][] = [
      ['title', embed.title, 256],
      ['description', embed.description, 4096],
      ['footer.text', footer.text, 2048],
      ['author.name', author.name, 256],
    ];
    for (const [field, value, max] of checks) {
      if (len(value) > max) throw invalidForm(`embeds.${i}.${field}`, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
    }
    if (fields.length > 25) throw invalidForm(`embeds.${i}.fields`, 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
    fields.forEach((field, j) => {
      if (len(field.name) === 0 || len(field.name) > 256) {
        throw invalidForm(`embeds.${i}.fields.${j}.name`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 256 in length.');
      }
      if (len(field.value) === 0 || len(field.value) > 1024) {
        throw invalidForm(`embeds.${i}.fields.${j}.value`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 1024 in length.');
      }
    });
    if (typeof embed.url === 'string' && !/^https?:\/\//.test(embed.url)) {
      throw invalidForm(`embeds.${i}.url`, 'URL_TYPE_INVALID_URL', 'Not a well formed URL.');
    }
    total +=
      len(embed.title) +
      len(embed.description) +
      len(footer.text) +
      len(author.name) +
      fields.reduce((sum, f) => sum + len(f.name) + len(f.value), 0);
  });
  if (total > 6000) throw invalidForm('embeds', 'BASE_TYPE_MAX_LENGTH', 'Embed size exceeds maximum size of 6000');
  if (components.length > 5) throw invalidForm('components', 'BASE_TYPE_MAX_LENGTH', 'Must be 5 or fewer in length.');
  components.forEach((row, i) => {
    const children = arrayOr(row.components) as Record<string, unknown>[];
    if (row.type !== 1 || children.length === 0 || children.length > 5) {
      throw invalidForm(`components.${i}`, 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', 'Invalid action row');
    }
    children.forEach((child, j) => {
      if (child.type === 2 && child.style !== 5 && (len(child.custom_id) === 0 || len(child.custom_id) > 100)) {
        throw invalidForm(`components.${i}.components.${j}.custom_id`, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
      }
      if (len(child.label) > 80) {
        throw invalidForm(`components.${i}.components.${j}.label`, 'BASE_TYPE_MAX_LENGTH', 'Must be 80 or fewer in length.');
      }
    });
  });
}

function validateThreadName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 100) {
    throw invalidForm('name', 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  }
  return name;
}

function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function arrayOr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

// ---------------------------------------------------------------------------
// HTTP plumbing
// ---------------------------------------------------------------------------

/** The major parameter of a route for rate-limit buckets (channel id or webhook id/token), as Discord scopes them. */
function majorIdOf(path: string): string {
  const match = /^\/(?:channels|guilds)\/(\d+)|^\/webhooks\/(\d+\/[^/]+)/.exec(path);
  return match?.[1] ?? match?.[2] ?? 'global';
}

export async function handleRest(ctx: RestContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake');
  const method = req.method ?? 'GET';
  const prefix = '/api/v10';
  const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
  const raw = await readBody(req);
  const match = routes
    .filter((r) => r.method === method)
    .map((r) => ({ r, m: r.pattern.exec(path) }))
    .find((x) => x.m);
  const call: RecordedCall = {
    method,
    path,
    route: match ? `${method} ${match.r.template}` : `${method} ${path}`,
    query: Object.fromEntries(url.searchParams),
    body: undefined,
    auth: (req.headers.authorization ?? '').split(' ')[0] || null,
    at: Date.now(),
    status: 0,
  };
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    call.status = status;
    ctx.calls.push(call);
    ctx.onCall(call);
    const json = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(json ? { 'content-type': 'application/json' } : {}),
      via: '1.1 fake-discord',
      ...headers,
    });
    res.end(json);
  };

  try {
    call.body = await parseBody(raw, req.headers['content-type']);
  } catch {
    send(400, { message: '400: Bad Request', code: 50109 });
    return;
  }
  if (!url.pathname.startsWith(prefix)) {
    send(404, { message: '404: Not Found', code: 0 });
    return;
  }
  if (!match) {
    send(404, { message: '404: Not Found', code: 0 });
    return;
  }
  const delay = ctx.faults.delayFor(call);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  if (match.r.auth && req.headers.authorization !== `Bot ${ctx.token}`) {
    send(401, { message: '401: Unauthorized', code: 0 });
    return;
  }
  const { fault, headers } = ctx.faults.check(call, majorIdOf(path));
  if (fault) {
    send(fault.status, fault.body, fault.headers);
    return;
  }
  const params: Record<string, string> = {};
  match.r.names.forEach((name, i) => {
    params[name] = decodeURIComponent(match.m?.[i + 1] ?? '');
  });
  try {
    const result = await match.r.handler(ctx, {
      method,
      params,
      query: url.searchParams,
      body: (call.body ?? {}) as Record<string, unknown>,
      authorized: true,
    });
    if (result === undefined) send(204, undefined, headers);
    else send(200, result, headers);
  } catch (error) {
    if (error instanceof ApiError) send(error.status, error.body, headers);
    else send(500, { message: '500: Internal Server Error', code: 0 });
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** JSON, or multipart/form-data with a `payload_json` part (what discord.js sends with files). */
async function parseBody(raw: Buffer, contentType: string | undefined): Promise<unknown> {
  if (raw.length === 0) return undefined;
  if (contentType?.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    const payload = form.get('payload_json');
    return typeof payload === 'string' ? JSON.parse(payload) : {};
  }
  return JSON.parse(raw.toString('utf8'));
}
