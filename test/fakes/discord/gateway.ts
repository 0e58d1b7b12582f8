/**
 * The fake Discord gateway (API v10, JSON encoding, no compression) on a `ws` server.
 *
 * Speaks the opcodes a discord.js 14 client uses: HELLO (10), HEARTBEAT (1) → ACK (11),
 * IDENTIFY (2) → READY + one GUILD_CREATE per guild, RESUME (6) → replay of missed
 * dispatches + RESUMED, RECONNECT (7), INVALID_SESSION (9). Tests drive dispatches and
 * can drop the connection to exercise resuming. Requesting the privileged MessageContent
 * intent when it is "not granted" closes with 4014, as Discord does.
 *
 * Sharding as Discord does it: IDENTIFY may carry `shard: [id, count]`; each shard is its
 * own session, READY lists only that shard's guilds, and a guild's dispatches go to shard
 * `(guild_id >> 22) % count` (DMs to shard 0). The single-session accessors (`sessionId`,
 * `sentEvents`, `drop()`…) are about shard 0, which is the only shard of an unsharded bot.
 */
import type { IncomingMessage, Server } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import { type FakeDiscordState, type FakeMessage, guildCreateJson, Intent, MESSAGE_CONTENT_FLAGS, messageJson, userJson } from './state.ts';

const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;

export interface GatewayOptions {
  state: FakeDiscordState;
  token: string;
  heartbeatIntervalMs: number;
  /** Whether the app has the MessageContent intent enabled "in the Developer Portal". */
  messageContentGranted: boolean;
  /** Leave `channel_type` out of MESSAGE_CREATE (as older gateways did). */
  omitChannelType?: boolean;
}

export interface DispatchRecord {
  s: number;
  t: string;
  d: unknown;
}

interface Session {
  id: string;
  shard: number;
  intents: number;
  seq: number;
  events: DispatchRecord[];
  socket?: WebSocket;
  /** False between a drop and a successful RESUME: dispatches are only buffered. */
  live: boolean;
}

export interface ConnectionRecord {
  url: string;
  openedAt: number;
  closedAt?: number;
  closeCode?: number;
}

export class FakeGateway {
  readonly wss: WebSocketServer;
  readonly connections: ConnectionRecord[] = [];
  readonly identifies: { intents: number; shard?: [number, number]; at: number }[] = [];
  readonly resumes: { sessionId: string; seq: number; replayed: number; at: number }[] = [];
  /** Every payload the client sent, in order (op, d); tokens are not kept. */
  readonly received: { op: number; at: number }[] = [];
  heartbeats = 0;
  /** Live sessions by shard id. */
  #sessions = new Map<number, Session>();
  /** Further live sessions of a shard: replicas of one bot, each of which Discord sends every event. */
  #replicas: Session[] = [];
  #shardCount = 1;
  #options: GatewayOptions;
  #baseUrl = '';
  #listeners = new Set<() => void>();

  constructor(server: Server, options: GatewayOptions) {
    this.#options = options;
    this.wss = new WebSocketServer({ server });
    this.wss.on('connection', (socket, request) => this.#onConnection(socket, request));
  }

  /** Shard 0's session: the whole bot when it is not sharded. */
  get #session(): Session | undefined {
    return this.#sessions.get(0);
  }

  set #session(session: Session | undefined) {
    if (session) this.#sessions.set(session.shard, session);
    else this.#sessions.delete(0);
  }

  /** The shard a guild's events go to, by Discord's formula; DMs (no guild) go to shard 0. */
  shardOf(guildId: string | undefined): number {
    if (!guildId) return 0;
    return Number((BigInt(guildId) >> 22n) % BigInt(this.#shardCount));
  }

  /** Which shards have a live session (after IDENTIFY), and the shard count they announced. */
  get shards(): { shard: number; count: number; sessionId: string; live: boolean }[] {
    return [...this.#sessions.values()].map((s) => ({ shard: s.shard, count: this.#shardCount, sessionId: s.id, live: s.live }));
  }

  setBaseUrl(url: string): void {
    this.#baseUrl = url;
  }

  get sessionId(): string | undefined {
    return this.#session?.id;
  }

  /** Every dispatch of the current session, in order (what a RESUME may replay). */
  get sentEvents(): readonly DispatchRecord[] {
    return this.#session?.events ?? [];
  }

  /** How many sessions (replicas of a shard included) were sent the dispatch of type `t` about object `id`. */
  deliveries(t: string, id: string): number {
    const matches = (e: DispatchRecord) => e.t === t && (e.d as { id?: unknown } | null)?.id === id;
    return [...this.#sessions.values(), ...this.#replicas].reduce((n, session) => n + session.events.filter(matches).length, 0);
  }

  /** Intents of the current session (after IDENTIFY). */
  get intents(): number | undefined {
    return this.#session?.intents;
  }

  get connected(): boolean {
    return this.#session?.live === true && this.#session.socket?.readyState === 1;
  }

  get messageContentGranted(): boolean {
    return this.#options.messageContentGranted;
  }

  /** Sends (or, while the client is disconnected, buffers for RESUME) one dispatch, to the shard of its guild. */
  dispatch(t: string, d: unknown): DispatchRecord | undefined {
    const guildId = guildIdOf(d);
    // From a server the app is not in (a user install), only interactions reach it.
    if (guildId && this.#options.state.guilds.get(guildId)?.hasBot === false && t !== 'INTERACTION_CREATE') return undefined;
    const shard = this.shardOf(guildId);
    for (const replica of this.#replicas) if (replica.shard === shard) this.#dispatchTo(replica, t, d);
    return this.#dispatchTo(this.#sessions.get(shard), t, d);
  }

  #dispatchTo(session: Session | undefined, t: string, d: unknown): DispatchRecord | undefined {
    if (!session) return undefined;
    session.seq += 1;
    const record = { s: session.seq, t, d };
    session.events.push(record);
    if (session.live) this.#send(session.socket, { op: Op.Dispatch, t, s: record.s, d });
    this.#notify();
    return record;
  }

  /** MESSAGE_CREATE / MESSAGE_UPDATE with Discord's intent rules (content hidden without MessageContent). */
  dispatchMessage(event: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE', message: FakeMessage): void {
    const session = this.#sessions.get(this.shardOf(message.guildId));
    if (!session) return;
    const dm = !message.guildId;
    const needed = dm ? Intent.DirectMessages : Intent.GuildMessages;
    if ((session.intents & needed) === 0) return;
    const channel = this.#options.state.channel(message.channelId);
    // Other people's DMs and group DMs never reach the bot.
    if (channel?.recipients) return;
    const hideContent = !this.canSeeContent(message);
    const d: Record<string, unknown> = { ...messageJson(message, this.#options.state, { hideContent }) };
    if (channel && !this.#options.omitChannelType) d.channel_type = channel.type;
    if (message.guildId && !message.author.bot) {
      d.member = { roles: [], joined_at: new Date(0).toISOString(), deaf: false, mute: false, flags: 0 };
    }
    this.dispatch(event, d);
  }

  /** Discord hides content from apps without the intent, except DMs, mentions of the app and its own messages. */
  canSeeContent(message: FakeMessage): boolean {
    const intents = this.#sessions.get(this.shardOf(message.guildId))?.intents ?? 0;
    if ((intents & Intent.MessageContent) !== 0) return true;
    const botId = this.#options.state.botUser.id;
    return (
      !message.guildId || message.author.id === botId || message.content.includes(`<@${botId}>`) || message.content.includes(`<@!${botId}>`)
    );
  }

  /** Closes the socket without ending the session (the client should RESUME). */
  drop(code = 4000): void {
    const session = this.#session;
    if (!session?.socket) return;
    session.live = false;
    session.socket.close(code, 'fake drop');
  }

  /** Asks the client to reconnect and resume (op 7), as Discord does before maintenance. */
  requestReconnect(): void {
    const session = this.#session;
    if (!session?.socket) return;
    session.live = false;
    this.#send(session.socket, { op: Op.Reconnect, d: null });
  }

  /** Invalidates the session (op 9); the client must IDENTIFY again and nothing is replayed. */
  invalidateSession(resumable = false): void {
    const session = this.#session;
    if (!session?.socket) return;
    if (!resumable) this.#session = { ...session, id: '', live: false };
    this.#send(session.socket, { op: Op.InvalidSession, d: resumable });
  }

  /** Resolves once `predicate` holds, re-checked after every gateway event. */
  async waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'gateway condition'): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      // Re-checked on every gateway event, and by a poll for conditions that change elsewhere.
      const poll = setInterval(() => check(), 25);
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake gateway: timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearInterval(poll);
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      const check = () => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      this.#listeners.add(check);
    });
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  #onConnection(socket: WebSocket, request: IncomingMessage): void {
    const record: ConnectionRecord = { url: request.url ?? '/', openedAt: Date.now() };
    this.connections.push(record);
    const params = new URL(request.url ?? '/', 'ws://fake').searchParams;
    socket.on('close', (code) => {
      record.closedAt = Date.now();
      record.closeCode = code;
      for (const session of [...this.#sessions.values(), ...this.#replicas]) if (session.socket === socket) session.live = false;
      this.#replicas = this.#replicas.filter((replica) => replica.live);
      this.#notify();
    });
    socket.on('message', (raw) => this.#onPayload(socket, raw.toString()));
    if (params.get('v') !== '10') {
      socket.close(4012, 'Invalid API version');
      return;
    }
    if ((params.get('encoding') ?? 'json') !== 'json') {
      socket.close(4002, 'Decode error');
      return;
    }
    this.#send(socket, { op: Op.Hello, d: { heartbeat_interval: this.#options.heartbeatIntervalMs, _trace: ['fake-gateway'] } });
    this.#notify();
  }

  #onPayload(socket: WebSocket, raw: string): void {
    let payload: { op: number; d: unknown };
    try {
      payload = JSON.parse(raw);
    } catch {
      socket.close(4002, 'Decode error');
      return;
    }
    this.received.push({ op: payload.op, at: Date.now() });
    switch (payload.op) {
      case Op.Heartbeat:
        this.heartbeats += 1;
        this.#send(socket, { op: Op.HeartbeatAck });
        break;
      case Op.Identify:
        this.#identify(socket, payload.d as { token: string; intents: number; shard?: [number, number] });
        break;
      case Op.Resume:
        this.#resume(socket, payload.d as { token: string; session_id: string; seq: number });
        break;
      case Op.PresenceUpdate:
      case Op.RequestGuildMembers:
        break;
      default:
        socket.close(4001, 'Unknown opcode');
    }
    this.#notify();
  }

  #identify(socket: WebSocket, d: { token: string; intents: number; shard?: [number, number] }): void {
    if (d.token !== this.#options.token) {
      socket.close(4004, 'Authentication failed');
      return;
    }
    this.identifies.push({ intents: d.intents, ...(d.shard ? { shard: d.shard } : {}), at: Date.now() });
    const [shard, count] = d.shard ?? [0, 1];
    if (!(count >= 1 && shard >= 0 && shard < count)) {
      socket.close(4010, 'Invalid shard.');
      return;
    }
    this.#shardCount = count;
    if ((d.intents & Intent.MessageContent) !== 0 && !this.#options.messageContentGranted) {
      socket.close(4014, 'Disallowed intent(s).');
      return;
    }
    const { state } = this.#options;
    const session: Session = {
      id: `fakesession${Math.random().toString(16).slice(2)}`,
      shard,
      intents: d.intents,
      seq: 0,
      events: [],
      socket,
      live: true,
    };
    // A second process running the same shard (a replica): Discord keeps both sessions and sends each every event.
    const running = this.#sessions.get(shard);
    if (running?.live && running.socket !== socket && running.socket?.readyState === 1) this.#replicas.push(running);
    this.#sessions.set(shard, session);
    const guilds = [...state.guilds.values()].filter((guild) => guild.hasBot && this.shardOf(guild.id) === shard);
    this.#dispatchTo(session, 'READY', {
      v: 10,
      user: { ...userJson(state.botUser), verified: true, mfa_enabled: false },
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: session.id,
      resume_gateway_url: `${this.#baseUrl}/resume`,
      session_type: 'normal',
      shard: [shard, count],
      application: {
        id: state.applicationId,
        flags: this.#options.messageContentGranted ? MESSAGE_CONTENT_FLAGS & (1 << 19) : 0,
      },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      user_settings: {},
      _trace: ['fake-gateway'],
    });
    if ((d.intents & Intent.Guilds) !== 0) {
      for (const guild of guilds) this.#dispatchTo(session, 'GUILD_CREATE', guildCreateJson(guild, state, Date.now()));
    }
  }

  #resume(socket: WebSocket, d: { token: string; session_id: string; seq: number }): void {
    const session = [...this.#sessions.values()].find((s) => s.id !== '' && s.id === d.session_id);
    if (d.token !== this.#options.token) {
      socket.close(4004, 'Authentication failed');
      return;
    }
    if (!session) {
      this.#send(socket, { op: Op.InvalidSession, d: false });
      return;
    }
    const missed = session.events.filter((event) => event.s > d.seq);
    this.resumes.push({ sessionId: d.session_id, seq: d.seq, replayed: missed.length, at: Date.now() });
    session.socket = socket;
    session.live = true;
    for (const event of missed) this.#send(socket, { op: Op.Dispatch, t: event.t, s: event.s, d: event.d });
    this.#dispatchTo(session, 'RESUMED', { _trace: ['fake-gateway'] });
  }

  #send(socket: WebSocket | undefined, payload: Record<string, unknown>): void {
    if (socket?.readyState === 1) socket.send(JSON.stringify({ s: null, t: null, ...payload }));
  }
}

/** The guild a dispatch is about: `guild_id`, or the guild itself for GUILD_CREATE-like payloads. */
function guildIdOf(d: unknown): string | undefined {
  if (!d || typeof d !== 'object') return undefined;
  const payload = d as { guild_id?: unknown; id?: unknown; unavailable?: unknown; channels?: unknown };
  if (typeof payload.guild_id === 'string') return payload.guild_id;
  // GUILD_CREATE / GUILD_UPDATE carry the guild as the payload.
  if (typeof payload.id === 'string' && Array.isArray(payload.channels)) return payload.id;
  return undefined;
}
