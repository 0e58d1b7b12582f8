/**
 * The Discord bot under Discord's failure modes, against the local fake: gateway drops
 * and resumes (nothing answered twice, nothing missed), redelivered events, 429s with
 * real rate-limit headers, 5xx errors, the 15-minute interaction token running out,
 * and a graceful stop with an answer in flight.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { FakeInteraction } from './fakes/discord/index.ts';
import { ScriptedEngine, source } from './fakes/engine.ts';
import { type BotHarness, startBotHarness } from './support/discord-bot.ts';

let harness: BotHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const originalOf = (h: BotHarness, interaction: FakeInteraction) =>
  interaction.originalMessageId ? h.fake.message(interaction.originalMessageId) : undefined;

test('a gateway closed for good (a reset token, 4004) makes the bot not ready and shuts it down', async () => {
  harness = await startBotHarness({ engine: new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}`, citations: [source(1)] })) });
  const { fake, bot } = harness;
  assert.equal(bot.isReady(), true);
  fake.gateway.drop(4004);
  await fake.waitFor(() => !bot.isReady(), { what: 'not ready' });
  assert.ok(harness.logs.some((line) => line.msg === 'gateway disconnected and will not reconnect'));
  // And it shuts down, so a process that owns its lifecycle exits 1 for its supervisor.
  const ending = harness.logs.find((line) => line.msg === 'cannot go on: shutting down so the process is restarted');
  assert.match(String(ending?.reason), /^Discord gateway closed \(code 4004\)$/);
  await fake.waitFor(() => harness?.logs.some((line) => line.msg === 'shutdown complete'), { what: 'shutdown' });
});

test('after a dropped connection the bot resumes: events sent meanwhile are answered once, nothing twice', async () => {
  const engine = new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}`, citations: [source(1)] }));
  harness = await startBotHarness({ engine });
  const { fake } = harness;
  const alice = fake.addUser('alice');

  const before = fake.userSays({ user: alice, channel: fake.general, content: 'first question', mentionBot: true });
  await fake.waitFor(() => fake.threadOf(before) && fake.visibleMessages(fake.threadOf(before)!).length >= 2, { what: 'first answer' });

  fake.gateway.drop(4000);
  await fake.gateway.waitFor(() => !fake.gateway.connected, 5_000, 'disconnect');
  // Sent while the bot is disconnected: Discord buffers them and replays on RESUME.
  const during = fake.userSays({ user: alice, channel: fake.general, content: 'asked while down', mentionBot: true });
  const command = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'slash while down' } });

  await fake.gateway.waitFor(() => fake.gateway.resumes.length === 1, 10_000, 'RESUME');
  assert.equal(fake.gateway.identifies.length, 1, 'resumed, not re-identified');
  assert.ok((fake.gateway.resumes[0]?.replayed ?? 0) >= 2);
  await fake.waitFor(() => fake.threadOf(during) && fake.visibleMessages(fake.threadOf(during)!).length >= 2, {
    what: 'answer to the message sent while down',
  });
  await fake.waitFor(() => originalOf(harness!, command)?.content === 'Answer to: slash while down', { what: 'slash answer' });

  // Discord may deliver an event twice (e.g. a resume from an older sequence): answered once.
  const delivered = fake.gateway.sentEvents.find((e) => e.t === 'INTERACTION_CREATE');
  assert.ok(delivered);
  fake.gateway.dispatch('INTERACTION_CREATE', delivered.d);
  fake.userSays({ user: alice, channel: fake.general, content: 'a last question', mentionBot: true });
  await fake.waitFor(() => engine.questions.some((q) => q.text === 'a last question'), { what: 'last question' });
  await new Promise((resolve) => setTimeout(resolve, 200));

  const texts = engine.questions.map((q) => q.text).sort();
  assert.deepEqual(texts, ['a last question', 'asked while down', 'first question', 'slash while down']);
  const callbacks = fake.calls.filter((c) => c.route === 'POST /interactions/:id/:token/callback');
  assert.equal(callbacks.length, 1, 'one deferral for the one interaction');
  assert.equal(
    fake.calls.filter((c) => c.route === 'POST /channels/:channel/messages/:message/threads').length,
    4,
    'one thread per answer',
  );
});

test('the same INTERACTION_CREATE delivered twice gets one answer', async () => {
  const engine = new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}` }));
  harness = await startBotHarness({ engine });
  const { fake } = harness;
  const alice = fake.addUser('alice');
  const interaction = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'twice?' } });
  const event = fake.gateway.sentEvents.findLast((e) => e.t === 'INTERACTION_CREATE');
  assert.ok(event);
  fake.gateway.dispatch('INTERACTION_CREATE', event.d);
  await fake.waitFor(() => originalOf(harness!, interaction)?.content === 'Answer to: twice?', { what: 'answer' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(engine.questions.length, 1);
  assert.equal(fake.calls.filter((c) => c.route === 'POST /interactions/:id/:token/callback').length, 1);
});

test('429s are waited out using Discord rate-limit headers; 5xx are retried; the answer still arrives', async () => {
  const engine = new ScriptedEngine(() => ({
    text: 'Rate limited but delivered. [1]',
    chunkChars: 6,
    delayMs: 40,
    citations: [source(1)],
  }));
  harness = await startBotHarness({ engine });
  const { fake } = harness;
  fake.faults.rateLimit({ match: 'PATCH /webhooks/:app/:token/messages/:message', retryAfter: 0.4, times: 1 });
  fake.faults.rateLimit({ match: 'POST /channels/:channel/messages', retryAfter: 0.3, global: true, times: 1 });
  fake.faults.fail({ match: 'POST /channels/:channel/messages/:message/threads', status: 502, times: 1 });
  const alice = fake.addUser('alice');
  const interaction = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'limits?' } });
  const reply = await fake.waitFor(
    () => {
      const m = originalOf(harness!, interaction);
      return m?.content === 'Rate limited but delivered. [1]' ? m : undefined;
    },
    { what: 'final answer' },
  );
  const thread = await fake.waitFor(() => fake.threadOf(reply), { what: 'thread after a 502' });
  await fake.waitFor(() => fake.visibleMessages(thread).find((m) => m.embeds.length > 0), { what: 'sources after a 429' });

  const edits = fake.calls.filter((c) => c.route === 'PATCH /webhooks/:app/:token/messages/:message');
  const limited = edits.findIndex((c) => c.status === 429);
  assert.ok(limited >= 0);
  const retry = edits[limited + 1];
  assert.ok(retry && retry.at - (edits[limited]?.at ?? 0) >= 400, 'waited retry_after before editing again');
  const posts = fake.calls.filter((c) => c.route === 'POST /channels/:channel/messages');
  const globalLimited = posts.findIndex((c) => c.status === 429);
  assert.ok((posts[globalLimited + 1]?.at ?? 0) - (posts[globalLimited]?.at ?? 0) >= 300, 'respected the global limit');
  assert.ok(harness.logs.some((l) => l.msg === 'Discord rate limit: waiting before retrying'));
});

test('a bucket limit from X-RateLimit headers is respected without ever hitting 429', async () => {
  const engine = new ScriptedEngine(() => ({ text: 'x'.repeat(1500), chunkChars: 100, delayMs: 10 }));
  harness = await startBotHarness({ engine, bot: { textIntervalMs: 20 } });
  const { fake } = harness;
  fake.faults.limitBucket('PATCH /channels/:channel/messages/:message', { limit: 3, windowMs: 600 });
  const alice = fake.addUser('alice');
  const question = fake.userSays({ user: alice, channel: fake.general, content: 'many edits', mentionBot: true });
  await fake.waitFor(
    () => {
      const thread = fake.threadOf(question);
      return thread && fake.visibleMessages(thread).find((m) => m.content === 'x'.repeat(1500));
    },
    { what: 'final text', timeoutMs: 15_000 },
  );
  const edits = fake.calls.filter((c) => c.route === 'PATCH /channels/:channel/messages/:message');
  assert.ok(edits.length > 3, `several edits (${edits.length})`);
  assert.equal(edits.filter((c) => c.status === 429).length, 0);
});

test('near the 15-minute token limit the answer switches to the bot token and still lands in the same reply', async () => {
  const engine = new ScriptedEngine(() => ({ text: 'a slow answer, finished late', chunkChars: 7, delayMs: 350 }));
  harness = await startBotHarness({
    engine,
    fake: { interactionTokenTtlMs: 2_000 },
    bot: { interactionTokenTtlMs: 2_000, tokenSafetyMarginMs: 800, textIntervalMs: 100 },
  });
  const { fake } = harness;
  const alice = fake.addUser('alice');
  const interaction = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'slow?' } });
  const reply = await fake.waitFor(
    () => {
      const m = originalOf(harness!, interaction);
      return m?.content === 'a slow answer, finished late' ? m : undefined;
    },
    { what: 'late final answer', timeoutMs: 10_000 },
  );
  const channelEdits = fake.calls.filter((c) => c.route === 'PATCH /channels/:channel/messages/:message' && c.path.endsWith(reply.id));
  assert.ok(channelEdits.length > 0, 'edited through the channel with the bot token');
  assert.ok(channelEdits.every((c) => c.auth === 'Bot' && c.status === 200));
  assert.equal(fake.calls.filter((c) => c.status === 401).length, 0, 'never used an expired token');
  await fake.waitFor(() => fake.threadOf(reply), { what: 'thread on the late answer' });
});

test('if Discord rejects the interaction token early, the reply is found in the channel and finished there', async () => {
  const engine = new ScriptedEngine(() => ({ text: 'answered after the token died', startDelayMs: 1_300 }));
  harness = await startBotHarness({ engine, fake: { interactionTokenTtlMs: 1_000 } });
  const { fake } = harness;
  const alice = fake.addUser('alice');
  const interaction = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'token?' } });
  const reply = await fake.waitFor(
    () => {
      const m = originalOf(harness!, interaction);
      return m?.content === 'answered after the token died' ? m : undefined;
    },
    { what: 'answer in the original reply', timeoutMs: 10_000 },
  );
  assert.equal(reply.flags & 128, 0, 'no longer "thinking"');
  assert.ok(fake.calls.some((c) => c.status === 401 && c.route.startsWith('PATCH /webhooks')));
  assert.equal(fake.visibleMessages(fake.general).filter((m) => m.author.id === fake.bot.id).length, 1, 'no duplicate answer');
});

test('stop() waits for an answer in flight, and questions during shutdown get a plain "restarting" message', async () => {
  const engine = new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}`, startDelayMs: q.text === 'slow' ? 600 : 0 }));
  harness = await startBotHarness({ engine });
  const { fake, bot } = harness;
  const alice = fake.addUser('alice');
  const bob = fake.addUser('bob');
  const slow = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'slow' } });
  await fake.waitFor(() => engine.questions.length === 1, { what: 'slow question started' });
  const stopping = bot.stop();
  const late = fake.slashCommand({ user: bob, channel: fake.general, options: { question: 'late' } });
  await stopping;
  assert.equal(originalOf(harness, slow)?.content, 'Answer to: slow', 'the in-flight answer finished before stop resolved');
  const refusal = originalOf(harness, late);
  assert.match(refusal?.content ?? '', /restarting/);
  assert.equal(engine.questions.length, 1);
});

test('RECONNECT (op 7) resumes on resume_gateway_url; an invalid session re-identifies and keeps answering', async () => {
  const engine = new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}` }));
  harness = await startBotHarness({ engine, fake: { heartbeatIntervalMs: 500 } });
  const { fake } = harness;
  const alice = fake.addUser('alice');

  fake.gateway.requestReconnect();
  const queued = fake.userDMs({ user: alice, content: 'during reconnect' });
  await fake.gateway.waitFor(() => fake.gateway.resumes.length === 1, 10_000, 'RESUME after op 7');
  assert.match(fake.gateway.connections.at(-1)?.url ?? '', /^\/resume\?v=10&encoding=json/);
  await fake.waitFor(() => fake.visibleMessages(queued.channelId).find((m) => m.content === 'Answer to: during reconnect'), {
    what: 'answer to the queued DM',
  });

  fake.gateway.invalidateSession(false);
  await fake.gateway.waitFor(() => fake.gateway.identifies.length === 2, 15_000, 'second IDENTIFY');
  await fake.gateway.waitFor(() => fake.gateway.connected, 10_000, 'connected again');
  const after = fake.userDMs({ user: alice, content: 'after a new session' });
  await fake.waitFor(() => fake.visibleMessages(after.channelId).find((m) => m.content === 'Answer to: after a new session'), {
    what: 'answer in the new session',
  });
  assert.ok(fake.gateway.heartbeats > 0, 'heartbeats were acknowledged');
  assert.equal(engine.questions.length, 2);
});

test('stop() is bounded: an answer still running at the deadline is cancelled with a plain note', async () => {
  const engine = new ScriptedEngine(() => ({ text: 'never finishes in time', startDelayMs: 10_000 }));
  harness = await startBotHarness({ engine, bot: { stopTimeoutMs: 300 } });
  const { fake, bot } = harness;
  const alice = fake.addUser('alice');
  const interaction = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'long' } });
  await fake.waitFor(() => engine.questions.length === 1, { what: 'question started' });
  const started = Date.now();
  await bot.stop();
  assert.ok(Date.now() - started < 3_000, 'stop did not wait for the whole answer');
  assert.match(originalOf(harness, interaction)?.content ?? '', /restarting/);
});
