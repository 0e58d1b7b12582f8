/**
 * Long Discord rate limits, against the local fake (real discord.js Client, real 429s with
 * Discord's headers): a call limited for longer than a brief wait is not waited on; the asker
 * sees the answer another way or a plain note within seconds, and a command's reply never
 * stays "thinking…" for good. Short limits are still waited out, and the answer arrives as usual.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { CallMatcher } from './fakes/discord/faults.ts';
import type { FakeInteraction } from './fakes/discord/index.ts';
import { ScriptedEngine, source } from './fakes/engine.ts';
import { type BotHarness, startBotHarness } from './support/discord-bot.ts';

let harness: BotHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const LOADING = 128;
/** What the asker must see within, whatever Discord's Retry-After. */
const PROMPTLY_MS = 5_000;

const threadCreation: CallMatcher = (c) => c.method === 'POST' && c.path.includes('/threads');
const replyEdits: CallMatcher = (c) => c.method === 'PATCH' && c.path.includes('/webhooks/');

const answering = () => new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}`, chunkChars: 8, delayMs: 20, citations: [source(1)] }));
const originalOf = (h: BotHarness, interaction: FakeInteraction) =>
  interaction.originalMessageId ? h.fake.message(interaction.originalMessageId) : undefined;
const fromBot = (h: BotHarness) => (m: { author: { id: string } }) => m.author.id === h.fake.bot.id;

/** The warning logged for the refused call: structured, with the answer's request id. */
function refusalWarning(h: BotHarness, minRetryAfterMs: number) {
  return h.logs.find(
    (l) => l.level === 'warn' && typeof l.requestId === 'string' && Number(l.retryAfterMs) >= minRetryAfterMs && typeof l.msg === 'string',
  );
}

test('a mention whose thread Discord rate-limits for 2 minutes is answered in the channel at once', async () => {
  harness = await startBotHarness({ engine: answering() });
  const { fake } = harness;
  fake.faults.rateLimit({ match: threadCreation, retryAfter: 120, times: 1 });
  const alice = fake.addUser('alice');
  const asked = Date.now();
  const question = fake.userSays({ user: alice, channel: fake.general, content: 'limits?', mentionBot: true });

  const answer = await fake.waitFor(
    () => fake.visibleMessages(fake.general).find((m) => fromBot(harness!)(m) && m.content === 'Answer to: limits?'),
    { what: 'the answer in the channel', timeoutMs: PROMPTLY_MS },
  );
  assert.ok(Date.now() - asked < PROMPTLY_MS, 'not held for the Retry-After');
  assert.equal(answer.messageReference?.message_id, question.id, 'a reply to the question');
  await fake.waitFor(() => fake.visibleMessages(fake.general).find((m) => fromBot(harness!)(m) && m.embeds.length > 0), {
    what: 'the sources below it',
  });
  assert.equal(fake.threadOf(question), undefined);
  const warning = refusalWarning(harness, 120_000);
  assert.ok(warning, 'a warning with the request id and the Retry-After');
  assert.equal(warning.msg, 'could not start a thread; replying in the channel');
});

test('/askdocs whose reply edit Discord answers with "retry after 60 s" is not left "thinking…" for the minute', async () => {
  harness = await startBotHarness({ engine: answering() });
  const { fake } = harness;
  fake.faults.rateLimit({ match: replyEdits, retryAfter: 60, times: 1 });
  const alice = fake.addUser('alice');
  const asked = Date.now();
  const interaction = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'limits?' } });

  // The refused live edit is skipped; the final answer is the next call, which Discord takes.
  await fake.waitFor(() => originalOf(harness!, interaction)?.content === 'Answer to: limits?', {
    what: 'the answer in the reply',
    timeoutMs: PROMPTLY_MS,
  });
  assert.ok(Date.now() - asked < PROMPTLY_MS, 'not held for the Retry-After');
  assert.ok(refusalWarning(harness, 60_000), 'a warning with the request id and the Retry-After');
});

test('/askdocs whose reply Discord keeps refusing for long shows a plain note within seconds', async () => {
  harness = await startBotHarness({ engine: answering() });
  const { fake } = harness;
  // Long enough to be refused; short enough that @discordjs/rest's own timer for it (left running
  // when a call is refused) has ended before this file does, so the test process can exit.
  fake.faults.rateLimit({ match: replyEdits, retryAfter: 12, sustained: true });
  const alice = fake.addUser('alice');
  const asked = Date.now();
  fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'limits?' } });

  const note = await fake.waitFor(() => fake.visibleMessages(fake.general).find(fromBot(harness!)), {
    what: 'a plain note',
    timeoutMs: PROMPTLY_MS,
  });
  assert.ok(Date.now() - asked < PROMPTLY_MS, 'not held for the Retry-After');
  assert.equal(
    note.content,
    "⚠️ Discord is limiting how fast I can post right now, so I couldn't finish this answer. Please ask again in a minute.",
  );
  assert.ok(refusalWarning(harness, 12_000), 'a warning with the request id and the Retry-After');
  // The reply itself is settled once the limit has passed (next test).
  await fake.waitFor(
    () => harness?.logs.some((l) => l.msg === 'Discord rate limit: the answer was never shown; a note follows once the limit has passed'),
    { what: 'the reply to be settled later' },
  );
});

test('a reply still "thinking…" because Discord refused every edit is settled once the limit has passed', async () => {
  harness = await startBotHarness({ engine: answering() });
  const { fake } = harness;
  // Just past the brief wait: refused, then over within the test.
  fake.faults.rateLimit({ match: replyEdits, retryAfter: 6, sustained: true });
  const alice = fake.addUser('alice');
  const interaction = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'limits?' } });

  await fake.waitFor(() => fake.visibleMessages(fake.general).find(fromBot(harness!)), { what: 'the note', timeoutMs: PROMPTLY_MS });
  assert.equal((originalOf(harness, interaction)?.flags ?? 0) & LOADING, LOADING, 'the reply is still "thinking…" during the limit');
  const reply = await fake.waitFor(
    () => {
      const original = originalOf(harness!, interaction);
      return original && (original.flags & LOADING) === 0 ? original : undefined;
    },
    { what: 'the reply settled', timeoutMs: 10_000 },
  );
  assert.equal(reply.content, "⚠️ Discord was limiting how fast I could post, so I couldn't finish this answer. You can ask again now.");
});

test('a mention whose every post Discord refuses still gets a plain note, once the limit has passed', async () => {
  harness = await startBotHarness({ engine: answering() });
  const { fake } = harness;
  // Posts in the answer's thread, not in the channel.
  const inThread: CallMatcher = (c) => c.route === 'POST /channels/:channel/messages' && !c.path.includes(fake.general.id);
  fake.faults.rateLimit({ match: inThread, retryAfter: 6, sustained: true });
  const alice = fake.addUser('alice');
  const question = fake.userSays({ user: alice, channel: fake.general, content: 'limits?', mentionBot: true });

  const thread = await fake.waitFor(() => fake.threadOf(question), { what: 'the thread' });
  const note = await fake.waitFor(() => fake.visibleMessages(thread).find(fromBot(harness!)), {
    what: 'the note in the thread',
    timeoutMs: 10_000,
  });
  assert.equal(note.content, "⚠️ Discord was limiting how fast I could post, so I couldn't finish this answer. You can ask again now.");
  assert.ok(refusalWarning(harness, 6_000), 'a warning with the request id and the Retry-After');
});

test('short rate limits are still waited out: the thread, the answer and the reply arrive as usual', async () => {
  harness = await startBotHarness({ engine: answering() });
  const { fake } = harness;
  fake.faults.rateLimit({ match: threadCreation, retryAfter: 0.3, times: 1 });
  fake.faults.rateLimit({ match: replyEdits, retryAfter: 0.3, times: 1 });
  const alice = fake.addUser('alice');
  const question = fake.userSays({ user: alice, channel: fake.general, content: 'mention?', mentionBot: true });
  const interaction = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'command?' } });

  const thread = await fake.waitFor(() => fake.threadOf(question), { what: 'the thread, after a short 429' });
  await fake.waitFor(() => fake.visibleMessages(thread).find((m) => m.content === 'Answer to: mention?'), { what: 'the answer in it' });
  await fake.waitFor(() => originalOf(harness!, interaction)?.content === 'Answer to: command?', { what: 'the reply, after a short 429' });
  assert.equal(fake.calls.filter((c) => c.status === 429).length, 2, 'both limits were met');
  assert.ok(!harness.logs.some((l) => /couldn't finish|too long to wait/.test(String(l.msg))), 'nothing refused');
  assert.equal(fake.visibleMessages(fake.general).filter((m) => fromBot(harness!)(m) && m.content.startsWith('⚠️')).length, 0, 'no note');
});
