/**
 * Two bots on the same Discord shard, as during a rolling update or when a replica is
 * started twice: Discord then sends each of that shard's events to every session that
 * identified for it, so both bots receive the same slash-command interaction and the
 * same mention. The fake gateway keeps one session per shard (the last to identify), so
 * this relay sits in front of the fake and does what Discord does: every event dispatch
 * the fake sends to one bot's connection is copied, unchanged, to the other bots'
 * connections of the same shard. The connection set-up each session gets for itself
 * (READY, RESUMED, GUILD_CREATE) is not copied.
 *
 *   const relay = await startSameShardRelay(fake);
 *   // DISCORD_API_URL=relay.apiUrl: REST goes to the fake unchanged; `GET /gateway/bot`
 *   // answers with the relay's own WebSocket URL, so the bots' gateway traffic passes here.
 *   relay.copied('INTERACTION_CREATE')   // copies delivered so far
 *   await relay.close();
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { FakeDiscord } from '../fakes/discord/index.ts';

/** Dispatches a session receives for itself when it connects; never copied to the others. */
const OWN_SESSION_EVENTS = new Set(['READY', 'RESUMED', 'GUILD_CREATE']);

export interface SameShardRelay {
  /** Use as DISCORD_API_URL. */
  apiUrl: string;
  /** Copies of this dispatch type the relay delivered to a second session. */
  copied(type: string): number;
  close(): Promise<void>;
}

interface Connection {
  client: WebSocket;
  /** Set by the bot's IDENTIFY: [shard id, shard count]; [0, 1] when unsharded. */
  shard?: number;
}

export async function startSameShardRelay(fake: FakeDiscord): Promise<SameShardRelay> {
  const upstream = new URL(fake.apiUrl);
  const server: Server = createServer((req, res) => {
    forwardRest(req, res, upstream, relayWsUrl()).catch(() => {
      if (!res.headersSent) res.writeHead(502).end();
    });
  });
  const wss = new WebSocketServer({ server });
  const connections = new Set<Connection>();
  const copies = new Map<string, number>();

  wss.on('connection', (client, req) => {
    const connection: Connection = { client };
    connections.add(connection);
    const toFake = new WebSocket(`${fake.gatewayUrl}${req.url ?? '/'}`);
    const pending: RawData[] = [];
    toFake.on('open', () => {
      for (const data of pending.splice(0)) toFake.send(data.toString());
    });
    client.on('message', (data) => {
      const payload = parse(data);
      if (payload?.op === 2) connection.shard = (payload.d as { shard?: [number, number] } | undefined)?.shard?.[0] ?? 0;
      if (toFake.readyState === WebSocket.OPEN) toFake.send(data.toString());
      else pending.push(data);
    });
    toFake.on('message', (data) => {
      const text = data.toString();
      if (client.readyState === WebSocket.OPEN) client.send(text);
      const payload = parse(data);
      if (payload?.op !== 0 || typeof payload.t !== 'string' || OWN_SESSION_EVENTS.has(payload.t)) return;
      for (const other of connections) {
        if (other === connection || other.shard !== connection.shard || other.client.readyState !== WebSocket.OPEN) continue;
        other.client.send(text);
        copies.set(payload.t, (copies.get(payload.t) ?? 0) + 1);
      }
    });
    // Close codes 1005/1006 cannot be sent; anything else is passed on as the fake or the bot sent it.
    const sendable = (code: number) => (code >= 3000 && code < 5000) || code === 1000;
    toFake.on('close', (code, reason) => {
      if (client.readyState === WebSocket.OPEN) client.close(sendable(code) ? code : 1000, reason.toString());
    });
    client.on('close', (code, reason) => {
      connections.delete(connection);
      if (toFake.readyState === WebSocket.OPEN) toFake.close(sendable(code) ? code : 1000, reason.toString());
      else toFake.terminate();
    });
    toFake.on('error', () => client.terminate());
    client.on('error', () => toFake.terminate());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const relayWsUrl = () => `ws://127.0.0.1:${port}`;
  return {
    apiUrl: `http://127.0.0.1:${port}${upstream.pathname}`,
    copied: (type) => copies.get(type) ?? 0,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parse(data: RawData): { op?: number; t?: unknown; d?: unknown } | undefined {
  try {
    return JSON.parse(data.toString()) as { op?: number; t?: unknown; d?: unknown };
  } catch {
    return undefined;
  }
}

/** Passes a REST request to the fake as it came; `/gateway/bot` gets the relay's WebSocket URL instead of the fake's. */
async function forwardRest(req: IncomingMessage, res: ServerResponse, upstream: URL, relayWsUrl: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const isGatewayInfo = req.method === 'GET' && /\/gateway(\/bot)?$/.test(new URL(req.url ?? '/', 'http://relay').pathname);
  const answer = await new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(parts) }));
        response.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
  let payload = answer.body;
  if (isGatewayInfo && answer.status === 200) {
    payload = Buffer.from(JSON.stringify({ ...(JSON.parse(payload.toString()) as object), url: relayWsUrl }));
  }
  const headers = { ...answer.headers, 'content-length': String(payload.length) };
  delete headers['transfer-encoding'];
  res.writeHead(answer.status, headers).end(payload);
}
