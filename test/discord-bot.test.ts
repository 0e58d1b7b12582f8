/**
 * The askdocs Discord bot (real discord.js 14 Client) against the local fake Discord,
 * with a scripted engine: what users see for /askdocs, @-mentions, thread follow-ups and
 * DMs — replies, threads, streaming edits, embeds, splits, allowed_mentions, feedback —
 * and how it copes with Discord's limits and failures.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { UNKNOWN_INTERACTION_TEXT } from '../adapters/discord/interactions.ts';
import { AskdocsError } from '../src/errors.ts';
import type { FakeMessage } from './fakes/discord/index.ts';
import { ScriptedEngine, source } from './fakes/engine.ts';
import { type BotHarness, startBotHarness } from './support/discord-bot.ts';

let harness: BotHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** REST routes that create or edit a message (and so must carry allowed_mentions). */
const MESSAGE_SENDS = new Set([
  'POST /channels/:channel/messages',
  'PATCH /channels/:channel/messages/:message',
  'POST /webhooks/:app/:token',
  'PATCH /webhooks/:app/:token/messages/:message',
]);

const noPings = (message: FakeMessage) => message.pings.users.length === 0 && message.pings.roles.length === 0 && !message.pings.everyone;

describe('/askdocs', () => {
  test('defers at once, streams the answer by editing the reply, opens a thread with the sources and feedback buttons', async () => {
    const engine = new ScriptedEngine(() => ({
      text: 'Create a collection with `create_collection` [1]. Then insert data [2].',
      chunkChars: 12,
      delayMs: 60,
      citations: [source(1), source(2)],
    }));
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const alice = fake.addUser('alice');

    const interaction = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'How do I create a collection?' } });
    const reply = await fake.waitFor(
      () => {
        const original = interaction.originalMessageId ? fake.message(interaction.originalMessageId) : undefined;
        return original?.content.endsWith('[2].') ? original : undefined;
      },
      { what: 'the final answer' },
    );

    assert.equal(interaction.callbackType, 5, 'the first response is a deferral');
    assert.ok((interaction.callbackAt ?? Infinity) - interaction.dispatchedAt < 1000, 'deferred well within 3 s');
    assert.equal(reply.content, 'Create a collection with `create_collection` [1]. Then insert data [2].');
    // Streamed: the reply showed partial text before the whole answer.
    const texts = reply.revisions.map((r) => r.content).filter(Boolean);
    assert.ok(texts.length >= 2, `expected several edits, got ${JSON.stringify(texts)}`);
    assert.ok(texts[0] && reply.content.startsWith(texts[0]) && texts[0].length < reply.content.length);

    const thread = await fake.waitFor(() => fake.threadOf(reply), { what: 'a thread on the answer' });
    assert.equal(thread.name, 'How do I create a collection?');
    const sources = await fake.waitFor(() => fake.visibleMessages(thread)[0], { what: 'sources in the thread' });
    const embed = sources.embeds[0] as { title: string; description: string };
    assert.equal(embed.title, 'Sources');
    assert.match(embed.description, /\*\*\[1\]\*\* \[Page 1 › Section 1\]\(https:\/\/docs\.example\.com\/page-1\)/);
    assert.match(embed.description, /\*\*\[2\]\*\*/);
    const buttons = (sources.components[0] as { components: { custom_id: string; emoji: { name: string } }[] }).components;
    assert.deepEqual(
      buttons.map((b) => b.emoji.name),
      ['👍', '👎'],
    );

    // Every message the bot sent carried allowed_mentions { parse: [] }.
    const sends = fake.calls.filter((c) => MESSAGE_SENDS.has(c.route));
    assert.ok(sends.length > 0);
    for (const call of sends) assert.deepEqual((call.body as { allowed_mentions: unknown }).allowed_mentions, { parse: [] }, call.route);
    assert.equal(engine.questions[0]?.text, 'How do I create a collection?');
    assert.equal(engine.questions[0]?.scope?.platform, 'discord');
  });

  test('follow-ups in the answer thread are answered without a mention, with the thread as history', async () => {
    const engine = new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}`, citations: [source(1)] }));
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const alice = fake.addUser('alice');
    const interaction = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'What is an index?' } });
    const thread = await fake.waitFor(
      () => {
        const original = interaction.originalMessageId ? fake.message(interaction.originalMessageId) : undefined;
        return original && fake.threadOf(original) && fake.visibleMessages(fake.threadOf(original)!).length > 0
          ? fake.threadOf(original)
          : undefined;
      },
      { what: 'answer thread with sources' },
    );

    fake.userSays({ user: alice, channel: thread, content: 'And how do I drop it?' });
    const followUp = await fake.waitFor(() => fake.visibleMessages(thread).find((m) => m.content === 'Answer to: And how do I drop it?'), {
      what: 'follow-up answer',
    });
    assert.ok(followUp.messageReference, 'the follow-up answer replies to the question');
    assert.deepEqual(engine.questions[1]?.history, [
      { role: 'user', content: 'What is an index?' },
      { role: 'assistant', content: 'Answer to: What is an index?' },
    ]);
    // Sources follow the answer in the same thread.
    await fake.waitFor(() => fake.visibleMessages(thread).filter((m) => m.embeds.length > 0).length === 2, {
      what: 'second sources message',
    });

    // A message to someone else in the thread is theirs to answer, not the bot's.
    const bob = fake.addUser('bob');
    fake.userSays({ user: bob, channel: thread, content: `<@${alice.id}> can you review my PR when you have a minute?` });
    fake.userSays({ user: bob, channel: thread, content: 'And for a partition?' });
    await fake.waitFor(() => fake.visibleMessages(thread).find((m) => m.content === 'Answer to: And for a partition?'), {
      what: 'answer to the next follow-up',
    });
    assert.deepEqual(
      engine.questions.map((q) => q.text),
      ['What is an index?', 'And how do I drop it?', 'And for a partition?'],
    );
  });

  test('a refused question (limits) gets a plain message only the asker sees', async () => {
    const engine = new ScriptedEngine(() => ({ text: 'slow answer', startDelayMs: 800 }));
    harness = await startBotHarness({ engine, env: { USER_MAX_CONCURRENT: '1' } });
    const { fake } = harness;
    const alice = fake.addUser('alice');
    const first = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'one' } });
    await fake.waitFor(() => first.callbackAt, { what: 'first deferral' });
    const second = fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'two' } });
    const refusal = await fake.waitFor(
      () => {
        const m = second.originalMessageId ? fake.message(second.originalMessageId) : undefined;
        return m?.content ? m : undefined;
      },
      { what: 'refusal' },
    );
    assert.match(refusal.content, /still working on your previous question/);
    assert.equal(refusal.flags & 64, 64, 'ephemeral');
    await fake.waitFor(() => fake.visibleMessages(fake.general).find((m) => m.content === 'slow answer'), { what: 'first answer' });
    // Checked once the first answer is out: the refusal is one reply, so it may show before the first question reaches the engine.
    assert.equal(engine.questions.length, 1, 'the refused question never reached the engine');
  });

  test('a stale command or an unknown button gets a plain private reply, never "This interaction failed"', async () => {
    const engine = new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}` }));
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const alice = fake.addUser('alice');
    const stale = fake.slashCommand({ user: alice, channel: fake.general, name: 'oldcommand', options: { question: 'hi' } });
    const anchor = fake.userSays({ user: alice, channel: fake.general, content: 'a message with an old button' });
    const button = fake.clickButton({ user: alice, message: anchor, customId: 'askdocs:feedback:sideways:1' });
    for (const interaction of [stale, button]) {
      const reply = await fake.waitFor(
        () => {
          const m = interaction.originalMessageId ? fake.message(interaction.originalMessageId) : undefined;
          return m?.content ? m : undefined;
        },
        { what: 'the reply' },
      );
      assert.equal(interaction.callbackType, 4, 'answered at once');
      assert.equal(reply.content, UNKNOWN_INTERACTION_TEXT);
      assert.equal(reply.flags & 64, 64, 'ephemeral');
    }
    assert.equal(engine.questions.length, 0);
  });

  test('an engine failure shows the plain user message, never silence or a stack trace', async () => {
    const engine = new ScriptedEngine(() => ({
      text: 'partial answer that breaks',
      chunkChars: 8,
      failAfterDeltas: 1,
      failure: new AskdocsError('llm_unavailable', 'The language model is unavailable right now. Please try again in a minute.'),
    }));
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const alice = fake.addUser('alice');
    fake.slashCommand({ user: alice, channel: fake.general, options: { question: 'anything' } });
    const note = await fake.waitFor(() => fake.visibleMessages(fake.general).find((m) => m.content.includes('unavailable')), {
      what: 'failure message',
    });
    assert.equal(note.content, '⚠️ The language model is unavailable right now. Please try again in a minute.');
    assert.doesNotMatch(JSON.stringify(fake.visibleMessages(fake.general).map((m) => m.content)), /at \w+ \(|Error:/);
  });
});

describe('questions of only control or zero-width characters', () => {
  const INVISIBLE = '\x01\x02\x07\u200b\ufeff';

  test('/askdocs: the how-to only the asker sees, as for an empty question; nothing posted or asked', async () => {
    const engine = new ScriptedEngine();
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const alice = fake.addUser('alice');
    const command = fake.slashCommand({ user: alice, channel: fake.general, options: { question: INVISIBLE } });
    const note = await fake.waitFor(
      () => {
        const m = command.originalMessageId ? fake.message(command.originalMessageId) : undefined;
        return m?.content ? m : undefined;
      },
      { what: 'the how-to' },
    );
    assert.match(note.content, /^Ask me a question about the docs/);
    assert.equal(note.flags & 64, 64, 'only the asker sees it');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(fake.visibleMessages(fake.general), []);
    assert.equal(engine.questions.length, 0);
  });

  test('an @-mention or a DM: the how-to, no thread, nothing asked; inside a question they are dropped', async () => {
    const engine = new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}` }));
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const bob = fake.addUser('bob');
    const ping = fake.userSays({ user: bob, channel: fake.general, content: INVISIBLE, mentionBot: true });
    const help = await fake.waitFor(() => fake.visibleMessages(fake.general).find((m) => m.author.id === fake.bot.id), { what: 'help' });
    assert.match(help.content, /^Ask me a question about the docs/);
    assert.equal(help.messageReference?.message_id, ping.id);
    assert.equal(fake.threadOf(ping), undefined, 'no thread named after nothing');

    const dm = fake.userDMs({ user: bob, content: INVISIBLE });
    const dmHelp = await fake.waitFor(() => fake.visibleMessages(dm.channelId).find((m) => m.author.id === fake.bot.id), {
      what: 'DM help',
    });
    assert.match(dmHelp.content, /^Ask me a question about the docs/);
    assert.equal(engine.questions.length, 0);

    fake.userDMs({ user: bob, content: `how do I\u200b load\x07 a collection?${INVISIBLE}` });
    await fake.waitFor(() => engine.questions.length === 1, { what: 'the real question' });
    assert.equal(engine.questions[0]?.text, 'how do I load a collection?');
  });
});

describe('over-long questions', () => {
  const QUESTION = `${'why does my query time out '.repeat(200)}?`;
  const REFUSAL = `That question is too long (${QUESTION.trim().length} characters; the limit is 4000). Please shorten it.`;

  test('/askdocs: refused in a reply only the asker sees; nothing is posted in the channel', async () => {
    const engine = new ScriptedEngine();
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const alice = fake.addUser('alice');
    const command = fake.slashCommand({ user: alice, channel: fake.general, options: { question: QUESTION } });
    const note = await fake.waitFor(
      () => {
        const m = command.originalMessageId ? fake.message(command.originalMessageId) : undefined;
        return m?.content ? m : undefined;
      },
      { what: 'the refusal' },
    );
    assert.equal(note.content, REFUSAL);
    assert.equal(note.flags & 64, 64, 'only the asker sees it');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(fake.visibleMessages(fake.general), []);
    assert.equal(engine.questions.length, 0);
  });

  test('an @-mention: a reply with the refusal, as an empty mention gets its how-to; no thread named after the question', async () => {
    const engine = new ScriptedEngine();
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const bob = fake.addUser('bob');
    const ping = fake.userSays({ user: bob, channel: fake.general, content: QUESTION, mentionBot: true });
    const note = await fake.waitFor(() => fake.visibleMessages(fake.general).find((m) => m.author.id === fake.bot.id), {
      what: 'the refusal',
    });
    assert.equal(note.content, REFUSAL);
    assert.equal(note.messageReference?.message_id, ping.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(fake.threadOf(ping), undefined, 'no thread');
    assert.equal(fake.visibleMessages(fake.general).filter((m) => m.author.id === fake.bot.id).length, 1);
    assert.equal(engine.questions.length, 0);
  });
});

describe('@-mentions', () => {
  test('a mention in a channel starts a thread on the message; the answer and then the sources go there', async () => {
    const engine = new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}`, citations: [source(1)] }));
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const bob = fake.addUser('bob');
    const question = fake.userSays({ user: bob, channel: fake.general, content: 'how do I load a collection?', mentionBot: true });
    const thread = await fake.waitFor(() => fake.threadOf(question), { what: 'thread on the question' });
    assert.equal(thread.id, question.id, 'thread started from the mentioning message');
    assert.equal(thread.name, 'how do I load a collection?');
    const [answer, sources] = await fake.waitFor(
      () => {
        const messages = fake.visibleMessages(thread);
        return messages.length >= 2 ? messages : undefined;
      },
      { what: 'answer and sources in thread' },
    );
    assert.equal(answer?.content, 'Answer to: how do I load a collection?');
    assert.equal((sources?.embeds[0] as { title: string } | undefined)?.title, 'Sources');
    assert.equal(engine.questions[0]?.text, 'how do I load a collection?', 'the mention is not part of the question');

    // A follow-up in that thread, without a mention, is answered with the history.
    fake.userSays({ user: bob, channel: thread, content: 'and release it?' });
    await fake.waitFor(() => fake.visibleMessages(thread).find((m) => m.content === 'Answer to: and release it?'), {
      what: 'follow-up',
    });
    assert.deepEqual(engine.questions[1]?.history, [
      { role: 'user', content: 'how do I load a collection?' },
      { role: 'assistant', content: 'Answer to: how do I load a collection?' },
    ]);
  });

  test('ignores bots, itself, unmentioned channel messages and threads it is not part of', async () => {
    const engine = new ScriptedEngine();
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const carol = fake.addUser('carol');
    const otherBot = fake.addUser('otherbot', { bot: true });
    fake.userSays({ user: otherBot, channel: fake.general, content: 'hey', mentionBot: true });
    fake.userSays({ user: carol, channel: fake.general, content: 'just chatting' });
    const foreign = fake.userOpensThread({ user: carol, channel: fake.general, name: 'carol thread' });
    fake.userSays({ user: carol, channel: foreign, content: 'question nobody asked the bot' });
    // Then one that must be answered, to know the earlier ones were processed.
    fake.userSays({ user: carol, channel: foreign, content: 'now you', mentionBot: true });
    await fake.waitFor(() => fake.visibleMessages(foreign).find((m) => m.content === 'Answer to: now you'), { what: 'in-place answer' });
    assert.deepEqual(
      engine.questions.map((q) => q.text),
      ['now you'],
    );
    assert.equal(fake.visibleMessages(fake.general).filter((m) => m.author.id === fake.bot.id).length, 0);
    // Replied in place (no nested thread), with the thread's earlier message as history.
    assert.deepEqual(engine.questions[0]?.history, [{ role: 'user', content: 'question nobody asked the bot' }]);
  });

  test('a long answer is split at paragraph and code-block boundaries, each part ≤ 2000 characters', async () => {
    const paragraph = (i: number) => `Paragraph ${i}: ${'lorem ipsum dolor sit amet '.repeat(20).trim()}.`;
    const code = [
      '```python',
      ...Array.from({ length: 30 }, (_, i) => `client.insert(collection_name="c", data=[${i}])  # row ${i}`),
      '```',
    ].join('\n');
    const text = [paragraph(1), paragraph(2), paragraph(3), code, paragraph(4), paragraph(5), paragraph(6)].join('\n\n');
    assert.ok(text.length > 4000);
    const engine = new ScriptedEngine(() => ({ text, chunkChars: 400, delayMs: 20, citations: [source(1)] }));
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const dave = fake.addUser('dave');
    const question = fake.userSays({ user: dave, channel: fake.general, content: 'long one', mentionBot: true });
    const parts = await fake.waitFor(
      () => {
        const thread = fake.threadOf(question);
        const messages = thread ? fake.visibleMessages(thread) : [];
        return messages.some((m) => m.embeds.length > 0) ? messages.filter((m) => m.embeds.length === 0) : undefined;
      },
      { what: 'split answer and sources' },
    );
    assert.ok(parts.length >= 3, `expected ≥ 3 parts, got ${parts.length}`);
    for (const part of parts) {
      assert.ok(part.content.length <= 2000);
      assert.equal((part.content.match(/```/g) ?? []).length % 2, 0, 'no part leaves a code block open');
    }
    assert.equal(
      parts
        .map((p) => p.content)
        .join('\n\n')
        .replace(/\s+/g, ' '),
      text.replace(/\s+/g, ' '),
    );
    assert.ok(parts.every(noPings));
  });

  test('text from docs or users never pings @everyone, roles or users', async () => {
    const engine = new ScriptedEngine(() => ({ text: 'Ping @everyone and @here, <@&123456789012345678> and <@223456789012345678>!' }));
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const erin = fake.addUser('erin');
    const question = fake.userSays({ user: erin, channel: fake.general, content: '@everyone <@223456789012345678> hi', mentionBot: true });
    const answer = await fake.waitFor(
      () => {
        const thread = fake.threadOf(question);
        return thread ? fake.visibleMessages(thread).find((m) => m.content.includes('Ping')) : undefined;
      },
      { what: 'answer' },
    );
    assert.ok(noPings(answer), JSON.stringify(answer.pings));
    assert.deepEqual(answer.allowedMentions, { parse: [] });
    assert.deepEqual(harness.bot.client.options.allowedMentions, { parse: [] }, 'Client default too');
    const thread = fake.threadOf(question)!;
    assert.doesNotMatch(thread.name, /@everyone|<@/);
  });
});

describe('direct messages', () => {
  test('a DM is answered in the DM with sources, using earlier DM messages as history', async () => {
    const engine = new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}`, citations: [source(3)] }));
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const frank = fake.addUser('frank');
    const first = fake.userDMs({ user: frank, content: 'what is milvus lite?' });
    await fake.waitFor(() => fake.visibleMessages(first.channelId).find((m) => m.embeds.length > 0), { what: 'dm sources' });
    fake.userDMs({ user: frank, content: 'does it run on windows?' });
    await fake.waitFor(() => fake.visibleMessages(first.channelId).filter((m) => m.embeds.length > 0).length === 2, {
      what: 'second dm answer and sources',
    });
    const contents = fake.visibleMessages(first.channelId).map((m) => m.content || `[embed:${(m.embeds[0] as { title: string }).title}]`);
    assert.deepEqual(contents, [
      'what is milvus lite?',
      'Answer to: what is milvus lite?',
      '[embed:Sources]',
      'does it run on windows?',
      'Answer to: does it run on windows?',
      '[embed:Sources]',
    ]);
    assert.deepEqual(engine.questions[1]?.history, [
      { role: 'user', content: 'what is milvus lite?' },
      { role: 'assistant', content: 'Answer to: what is milvus lite?' },
    ]);
  });
});

describe('a leaner gateway', () => {
  test('without channel_type on messages or THREAD_CREATE echoes, DMs and thread follow-ups still work', async () => {
    const engine = new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}` }));
    harness = await startBotHarness({ engine, fake: { lean: { omitChannelType: true, noThreadCreateEcho: true } } });
    const { fake } = harness;
    const lee = fake.addUser('lee');
    const dm = fake.userDMs({ user: lee, content: 'dm without channel type' });
    await fake.waitFor(() => fake.visibleMessages(dm.channelId).find((m) => m.content === 'Answer to: dm without channel type'), {
      what: 'dm answer',
    });
    const question = fake.userSays({ user: lee, channel: fake.general, content: 'first', mentionBot: true });
    const thread = await fake.waitFor(
      () => {
        const t = fake.threadOf(question);
        return t && fake.visibleMessages(t).length >= 2 ? t : undefined;
      },
      { what: 'thread answer' },
    );
    fake.userSays({ user: lee, channel: thread, content: 'second' });
    await fake.waitFor(() => fake.visibleMessages(thread).find((m) => m.content === 'Answer to: second'), { what: 'follow-up' });
    assert.equal(fake.gateway.sentEvents.filter((e) => e.t === 'THREAD_CREATE').length, 0);
  });
});
