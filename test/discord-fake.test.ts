/**
 * The fake Discord itself speaks Discord's wire formats: what the bot tests rely on
 * (gateway handshake and close codes, REST validation errors, rate-limit responses,
 * interaction deadlines) checked with plain HTTP and WebSocket clients.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { WebSocket } from 'ws';
import { type FakeDiscord, startFakeDiscord } from './fakes/discord/index.ts';

let fake: FakeDiscord | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function api(method: string, path: string, body?: unknown, auth = true) {
  const res = await fetch(`${fake!.apiUrl}/v10${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bot ${fake!.token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

test('REST: auth, validation errors and rate limits look like Discord', async () => {
  fake = await startFakeDiscord();
  const channel = fake.general.id;
  assert.equal((await api('GET', '/users/@me', undefined, false)).status, 401);
  const gateway = await api('GET', '/gateway/bot');
  assert.equal(gateway.body.url, fake.gatewayUrl);
  assert.equal(gateway.body.session_start_limit.max_concurrency, 1);

  const tooLong = await api('POST', `/channels/${channel}/messages`, { content: 'x'.repeat(2001) });
  assert.equal(tooLong.status, 400);
  assert.equal(tooLong.body.code, 50035);
  assert.equal(tooLong.body.errors.content._errors[0].code, 'BASE_TYPE_MAX_LENGTH');
  assert.equal((await api('POST', `/channels/${channel}/messages`, { content: '' })).body.code, 50006);
  const bigEmbed = await api('POST', `/channels/${channel}/messages`, { embeds: [{ description: 'x'.repeat(4097) }] });
  assert.equal(bigEmbed.body.code, 50035);

  fake.faults.rateLimit({ match: 'POST /channels/:channel/messages', retryAfter: 1.5, global: true });
  const limited = await api('POST', `/channels/${channel}/messages`, { content: 'hi' });
  assert.equal(limited.status, 429);
  assert.deepEqual({ retry_after: limited.body.retry_after, global: limited.body.global }, { retry_after: 1.5, global: true });
  assert.equal(limited.headers.get('retry-after'), '1.5');
  assert.equal(limited.headers.get('x-ratelimit-global'), 'true');
  const ok = await api('POST', `/channels/${channel}/messages`, { content: 'hi <@123456789012345678>' });
  assert.equal(ok.status, 200);
  assert.deepEqual(
    ok.body.mentions.map((u: { id: string }) => u.id),
    ['123456789012345678'],
    'no allowed_mentions: pings',
  );

  const thread = await api('POST', `/channels/${channel}/messages/${ok.body.id}/threads`, { name: 'topic' });
  assert.equal(thread.body.id, ok.body.id, 'thread id == message id');
  assert.equal((await api('POST', `/channels/${channel}/messages/${ok.body.id}/threads`, { name: 'again' })).body.code, 160004);
});

test('REST: a sustained rate limit answers every call with the time it has left, until it has passed', async () => {
  fake = await startFakeDiscord();
  const channel = fake.general.id;
  fake.faults.rateLimit({ match: 'POST /channels/:channel/messages', retryAfter: 0.4, sustained: true });
  const first = await api('POST', `/channels/${channel}/messages`, { content: 'hi' });
  assert.equal(first.status, 429);
  assert.equal(first.body.retry_after, 0.4);
  await new Promise((resolve) => setTimeout(resolve, 150));
  const again = await api('POST', `/channels/${channel}/messages`, { content: 'hi' });
  assert.equal(again.status, 429, 'still limited');
  assert.ok(again.body.retry_after > 0 && again.body.retry_after < 0.4, `the time left (${again.body.retry_after})`);
  assert.equal(Number(again.headers.get('x-ratelimit-remaining')), 0);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal((await api('POST', `/channels/${channel}/messages`, { content: 'hi' })).status, 200, 'over');
});

test('interactions: 3-second deadline, one acknowledgement, webhook token lifetime', async () => {
  // The token outlives the deadline by a wide margin, so a loaded machine cannot expire it early.
  const tokenTtlMs = 1_500;
  fake = await startFakeDiscord({ interactionDeadlineMs: 200, interactionTokenTtlMs: tokenTtlMs });
  const user = fake.addUser('u');
  const late = fake.slashCommand({ user, channel: fake.general, options: { question: 'q' } });
  const early = fake.slashCommand({ user, channel: fake.general, options: { question: 'q' } });
  const created = Date.now();
  const callback = (id: string, token: string) => api('POST', `/interactions/${id}/${token}/callback`, { type: 5 }, false);
  assert.equal((await callback(early.id, early.token)).status, 204);
  assert.equal((await callback(early.id, early.token)).body.code, 40060);
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.equal((await callback(late.id, late.token)).body.code, 10062);
  const edit = await api('PATCH', `/webhooks/${fake.applicationId}/${early.token}/messages/@original`, { content: 'done' }, false);
  assert.equal(edit.status, 200);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, created + tokenTtlMs + 50 - Date.now())));
  const expired = await api('PATCH', `/webhooks/${fake.applicationId}/${early.token}/messages/@original`, { content: 'x' }, false);
  assert.deepEqual([expired.status, expired.body.code], [401, 50027]);
});

test('gateway: HELLO, heartbeat ACK, IDENTIFY → READY + GUILD_CREATE, 4014 for an intent not granted', async () => {
  fake = await startFakeDiscord({ messageContentGranted: false, heartbeatIntervalMs: 1000 });
  const frames: { op: number; t?: string; d: Record<string, unknown> }[] = [];
  const ws = new WebSocket(`${fake.gatewayUrl}/?v=10&encoding=json`);
  ws.on('message', (data) => frames.push(JSON.parse(String(data))));
  await new Promise((resolve) => ws.once('open', resolve));
  await fake.waitFor(() => frames.length > 0, { what: 'HELLO' });
  assert.deepEqual([frames[0]?.op, frames[0]?.d.heartbeat_interval], [10, 1000]);
  ws.send(JSON.stringify({ op: 1, d: null }));
  await fake.waitFor(() => frames.some((f) => f.op === 11), { what: 'ACK' });
  ws.send(JSON.stringify({ op: 2, d: { token: fake.token, intents: 1 | (1 << 9) } }));
  await fake.waitFor(() => frames.some((f) => f.t === 'GUILD_CREATE'), { what: 'GUILD_CREATE' });
  const ready = frames.find((f) => f.t === 'READY');
  assert.equal((ready?.d.application as { id: string } | undefined)?.id, fake.applicationId);
  assert.match(String(ready?.d.resume_gateway_url), /^ws:\/\/127\.0\.0\.1:\d+\/resume$/);
  ws.close();

  const refused = new WebSocket(`${fake.gatewayUrl}/?v=10&encoding=json`);
  await new Promise((resolve) => refused.once('open', resolve));
  refused.send(JSON.stringify({ op: 2, d: { token: fake.token, intents: 1 | (1 << 15) } }));
  const code = await new Promise<number>((resolve) => refused.once('close', resolve));
  assert.equal(code, 4014);
});
