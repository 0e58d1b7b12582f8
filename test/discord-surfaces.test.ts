/**
 * Discord's newer surfaces, against the local fake with the real discord.js client:
 * forum channels (a post answered in place, follow-ups, the author's 👍/👎, bots
 * ignored, one answer across replicas), user installs and more contexts (registration,
 * a server without the bot, external apps turned off, group DMs), and "Ask askdocs
 * about this message" (a thread on the message, the thread above it, messages without
 * text). What users see is asserted: messages, threads, flags, what the engine was asked.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { createDiscordBot, type DiscordBot, registerCommands } from '../adapters/discord/index.ts';
import { NO_TEXT_TO_ASK_ABOUT } from '../src/chat/question-from.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { type ChatState, openChatState } from '../src/state/chat-state.ts';
import {
  type FakeChannel,
  type FakeDiscord,
  type FakeDiscordOptions,
  type FakeInteraction,
  MessageFlag,
  startFakeDiscord,
} from './fakes/discord/index.ts';
import { ScriptedEngine, source } from './fakes/engine.ts';
import { type BotHarness, discordEnv, startBotHarness } from './support/discord-bot.ts';
import { NO_REDIS, startTestRedis, type TestRedis } from './support/redis.ts';

let harness: BotHarness | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

const answering = () => new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}`, citations: [source(1)] }));
const byBot = (fake: FakeDiscord, channel: FakeChannel | string) =>
  fake.visibleMessages(channel).filter((m) => m.author.id === fake.bot.id);
const original = (fake: FakeDiscord, interaction: FakeInteraction) =>
  interaction.originalMessageId ? fake.message(interaction.originalMessageId) : undefined;
/** Member permissions without USE_EXTERNAL_APPS (1 << 50): the server turned external apps off for this member. */
const WITHOUT_EXTERNAL_APPS = String(2248473465835073n & ~(1n << 50n));

/** A bot with one forum, `help`, listed in DISCORD_FORUM_CHANNELS. */
async function forumHarness(
  engine: ScriptedEngine,
  fakeOptions: FakeDiscordOptions = {},
): Promise<{ fake: FakeDiscord; forum: FakeChannel }> {
  const env: Record<string, string> = {};
  let forum: FakeChannel | undefined;
  harness = await startBotHarness({
    engine,
    env,
    fake: fakeOptions,
    before: (fake) => {
      forum = fake.addForum('help');
      env.DISCORD_FORUM_CHANNELS = forum.id;
    },
  });
  return { fake: harness.fake, forum: forum as FakeChannel };
}

describe('forum channels', () => {
  test("a new post is answered in the post without a mention; a reply is a follow-up; the author's 👍 is recorded", async () => {
    const engine = answering();
    const { fake, forum } = await forumHarness(engine);
    const alice = fake.addUser('alice');
    const { thread } = fake.userPosts({
      user: alice,
      forum,
      title: 'How do I create a collection?',
      content: 'I tried the quickstart and got an error.',
    });
    const question = 'How do I create a collection?\n\nI tried the quickstart and got an error.';
    const [answer, sources] = await fake.waitFor(() => (byBot(fake, thread).length >= 2 ? byBot(fake, thread) : undefined), {
      what: 'answer and sources in the post',
    });
    assert.equal(answer?.content, `Answer to: ${question}`);
    assert.equal(engine.questions[0]?.text, question, 'the title and the body are the question');
    assert.equal((sources!.embeds[0] as { title: string }).title, 'Sources');
    assert.equal(fake.gateway.sentEvents.filter((e) => e.t === 'THREAD_CREATE').length, 1, 'Discord announced the post');

    const [up] = (sources!.components[0] as { components: { custom_id: string }[] }).components;
    const click = fake.clickButton({ user: alice, message: sources!, customId: up!.custom_id });
    await fake.waitFor(() => click.originalMessageId, { what: 'thanks' });
    const [vote] = harness!.feedback.list();
    assert.deepEqual([vote?.userId, vote?.vote, vote?.question, vote?.messageRef], [alice.id, 'up', question, answer?.id]);

    fake.userSays({ user: alice, channel: thread, content: 'And how do I drop it?' });
    await fake.waitFor(() => byBot(fake, thread).find((m) => m.content === 'Answer to: And how do I drop it?'), { what: 'follow-up' });
    assert.deepEqual(engine.questions[1]?.history, [
      { role: 'user', content: question },
      { role: 'assistant', content: `Answer to: ${question}` },
    ]);
  });

  test('a post of only control or zero-width characters gets the how-to in the post, and nothing is asked', async () => {
    const engine = answering();
    const { fake, forum } = await forumHarness(engine);
    const alice = fake.addUser('alice');
    const { thread } = fake.userPosts({ user: alice, forum, title: '\u200b\u200b', content: '\x01\x02\x07' });
    const help = await fake.waitFor(() => byBot(fake, thread)[0], { what: 'the how-to' });
    assert.match(help.content, /^Ask me a question about the docs/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(byBot(fake, thread).length, 1);
    assert.equal(engine.questions.length, 0);
  });

  test('posts by bots, and posts in forums not listed, are ignored', async () => {
    const engine = answering();
    const { fake, forum } = await forumHarness(engine);
    const other = fake.addForum('off-topic');
    const ci = fake.addUser('ci-bot', { bot: true });
    const alice = fake.addUser('alice');
    const fromBot = fake.userPosts({ user: ci, forum, title: 'Nightly build failed', content: 'See the logs.' });
    const elsewhere = fake.userPosts({ user: alice, forum: other, title: 'Pizza on Friday?', content: 'Who is in?' });
    const asked = fake.userPosts({ user: alice, forum, title: 'What is a partition?', content: '' });
    await fake.waitFor(() => byBot(fake, asked.thread).length >= 2, { what: 'the answer to the human post' });
    assert.equal(byBot(fake, fromBot.thread).length, 0);
    assert.equal(byBot(fake, elsewhere.thread).length, 0);
    assert.deepEqual(
      engine.questions.map((q) => q.text),
      ['What is a partition?'],
    );
  });

  test('without the MessageContent intent a post is still answered, from its title', async () => {
    const engine = answering();
    const { fake, forum } = await forumHarness(engine, { messageContentGranted: false });
    const alice = fake.addUser('alice');
    const { thread } = fake.userPosts({ user: alice, forum, title: 'How do I back up Milvus?', content: 'Discord hides this text.' });
    await fake.waitFor(() => byBot(fake, thread).find((m) => m.content === 'Answer to: How do I back up Milvus?'), { what: 'the answer' });
    assert.equal(harness!.bot.messageContent, false);
  });

  test('two replicas sharing Redis both see the post; it is answered once', { skip: NO_REDIS }, async () => {
    const redis: TestRedis = await startTestRedis();
    cleanups.push(() => redis.close());
    const fake = await startFakeDiscord();
    cleanups.push(() => fake.close());
    const forum = fake.addForum('help');
    const replicas: { bot: DiscordBot; state: ChatState; engine: ScriptedEngine }[] = [];
    for (const name of ['a', 'b']) {
      const env = discordEnv(fake, '/unused.sqlite', { REDIS_URL: redis.url, FEEDBACK_DB: 'redis', DISCORD_FORUM_CHANNELS: forum.id });
      const config = loadConfig(env as NodeJS.ProcessEnv, { envFile: false });
      const logger = createLogger({ level: 'silent' }).child({ replica: name });
      const state = openChatState(config, logger);
      // As askdocs discord does at start-up (src/cli/bot-host.ts): claims go through Redis from the first event.
      assert.equal(await state.redis?.whenReady(5_000), true);
      const engine = new ScriptedEngine((q) => ({ text: `Replica ${name} answers: ${q.text}` }));
      const { claims, limits, threads, feedback } = state;
      const bot = createDiscordBot({ engine, config, logger, feedback, claims, limits, threads, options: { textIntervalMs: 100 } });
      replicas.push({ bot, state, engine });
      cleanups.push(async () => {
        await bot.stop();
        await state.close();
      });
      await bot.start();
    }
    assert.equal(fake.gateway.identifies.length, 2, 'both replicas run shard 0');
    const alice = fake.addUser('alice');
    const seen = replicas.map(() => 0);
    for (const [i, { bot }] of replicas.entries()) {
      bot.client.on('messageCreate', (message) => {
        if (message.author.id === alice.id) seen[i] = (seen[i] ?? 0) + 1;
      });
    }
    const { thread } = fake.userPosts({ user: alice, forum, title: 'Can two replicas answer?', content: '' });
    await fake.waitFor(() => byBot(fake, thread).length >= 1, { what: 'an answer' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(seen, [1, 1], 'Discord sent the post to both replicas');
    assert.equal(
      replicas.reduce((n, r) => n + r.engine.questions.length, 0),
      1,
      'one replica asked the engine',
    );
    assert.equal(byBot(fake, thread).filter((m) => m.content.includes('answers: Can two replicas answer?')).length, 1);
  });
});

describe('user installs and contexts', () => {
  test('registration: global commands carry integration_types and contexts, and the message command', async () => {
    const fake = await startFakeDiscord();
    cleanups.push(() => fake.close());
    const global = loadConfig(discordEnv(fake, ':memory:') as NodeJS.ProcessEnv, { envFile: false });
    assert.deepEqual((await registerCommands(global)).names, ['askdocs', 'Ask askdocs about this message']);
    const [slash, onMessage] = fake.state.commands.global as Record<string, unknown>[];
    assert.deepEqual([slash?.type, slash?.integration_types, slash?.contexts], [1, [0, 1], [0, 1, 2]]);
    assert.deepEqual(
      [onMessage?.type, onMessage?.name, onMessage?.integration_types, onMessage?.contexts],
      [3, 'Ask askdocs about this message', [0, 1], [0, 1, 2]],
    );
    // Discord takes installation types and contexts on global commands only.
    const guild = loadConfig(discordEnv(fake, ':memory:', { DISCORD_GUILD_ID: fake.guild.id }) as NodeJS.ProcessEnv, { envFile: false });
    await registerCommands(guild);
    for (const command of fake.state.commands.guild.get(fake.guild.id) as Record<string, unknown>[]) {
      assert.equal(command.integration_types, undefined);
    }
  });

  test('a user install in a server without the bot: the answer and sources are the reply and its follow-up', async () => {
    harness = await startBotHarness({ engine: answering() });
    const { fake } = harness;
    const { channel } = fake.addServerWithoutBot('elsewhere');
    const alice = fake.addUser('alice');
    const used = fake.slashCommand({ user: alice, channel, installs: ['user'], options: { question: 'What is Milvus?' } });
    const reply = await fake.waitFor(
      () => (original(fake, used)?.content === 'Answer to: What is Milvus?' ? original(fake, used) : undefined),
      {
        what: 'the answer in the reply',
      },
    );
    const sources = await fake.waitFor(() => fake.visibleMessages(channel).find((m) => m.embeds.length > 0), { what: 'sources below' });
    assert.equal((reply?.flags ?? 0) & MessageFlag.Ephemeral, 0, 'everyone in the channel sees it');
    assert.equal(sources.webhookId, fake.applicationId, 'a follow-up: the bot cannot post there itself');
    assert.equal(fake.threadOf(reply!), undefined, 'no thread where the bot is not a member');
    assert.equal(fake.calls.filter((c) => c.status === 403).length, 0, 'it never tried the bot token there');
  });

  test('where the server turned external apps off, the answer is ephemeral, as Discord requires', async () => {
    harness = await startBotHarness({ engine: answering() });
    const { fake } = harness;
    const { channel } = fake.addServerWithoutBot('strict server');
    const alice = fake.addUser('alice');
    const used = fake.slashCommand({
      user: alice,
      channel,
      installs: ['user'],
      memberPermissions: WITHOUT_EXTERNAL_APPS,
      options: { question: 'Is this private?' },
    });
    const reply = await fake.waitFor(
      () => (original(fake, used)?.content === 'Answer to: Is this private?' ? original(fake, used) : undefined),
      {
        what: 'the answer',
      },
    );
    await fake.waitFor(() => fake.state.channelMessages(channel.id).find((m) => m.embeds.length > 0), { what: 'the sources' });
    // The bot asked for it itself (Discord would force it anyway): the deferral and the follow-up say ephemeral.
    const deferral = fake.calls.find((c) => c.route === 'POST /interactions/:id/:token/callback');
    assert.equal((deferral!.body as { data?: { flags?: number } }).data?.flags, MessageFlag.Ephemeral);
    const followUp = fake.calls.find((c) => c.route === 'POST /webhooks/:app/:token');
    assert.equal((followUp!.body as { flags?: number }).flags, MessageFlag.Ephemeral);
    assert.equal((reply?.flags ?? 0) & MessageFlag.Ephemeral, MessageFlag.Ephemeral);
    assert.deepEqual(fake.visibleMessages(channel), [], 'nobody else sees anything');
  });

  test('in a group DM, "Ask askdocs about this message" answers in the reply, with the sources below it', async () => {
    const engine = answering();
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((name) => fake.addUser(name));
    const group = fake.addPrivateChannel([alice!, bob!, carol!]);
    const asked = fake.userSays({ user: bob!, channel: group, content: 'Does Milvus support sparse vectors?' });
    assert.equal(engine.questions.length, 0, 'the bot does not read group DMs');
    const used = fake.messageCommand({ user: alice!, message: asked, installs: ['user'] });
    await fake.waitFor(() => original(fake, used)?.content === 'Answer to: Does Milvus support sparse vectors?', { what: 'the answer' });
    const sources = await fake.waitFor(() => fake.visibleMessages(group).find((m) => m.components.length > 0), { what: 'sources' });
    assert.equal(sources.webhookId, fake.applicationId);
    assert.equal(engine.questions[0]?.scope?.userId, alice!.id, 'asked by whoever used the command');
    assert.equal(fake.calls.filter((c) => c.status === 403).length, 0);
  });
});

describe('"Ask askdocs about this message"', () => {
  test('in a channel: answered in a thread on that message; the asker is told privately', async () => {
    const engine = answering();
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const alice = fake.addUser('alice');
    const bob = fake.addUser('bob');
    const asked = fake.userSays({ user: bob, channel: fake.general, content: 'How do I create an index?' });
    const used = fake.messageCommand({ user: alice, message: asked });
    const note = await fake.waitFor(() => original(fake, used), { what: 'the private note' });
    assert.equal(note.flags & MessageFlag.Ephemeral, MessageFlag.Ephemeral);
    assert.match(note.content, /^On it/);
    const thread = await fake.waitFor(() => fake.threadOf(asked), { what: 'a thread on the message' });
    assert.equal(thread.name, 'How do I create an index?');
    const [answer, sources] = await fake.waitFor(() => (byBot(fake, thread).length >= 2 ? byBot(fake, thread) : undefined), {
      what: 'answer and sources',
    });
    assert.equal(answer?.content, 'Answer to: How do I create an index?');
    assert.ok(sources?.components.length);
    assert.equal(engine.questions[0]?.scope?.userId, alice.id);
    // An operator following the command finds its answer under the same request id.
    const requestId = engine.questions[0]?.requestId;
    const lines = harness!.logs.filter((line) => line.interactionId === used.id);
    assert.ok(
      lines.some((line) => line.msg === 'question'),
      'the question is logged with the command',
    );
    assert.deepEqual([...new Set(lines.map((line) => line.requestId))], [requestId], 'one request id for the command and its answer');
  });

  test('in a thread: answered there, with the conversation above the message as history', async () => {
    const engine = answering();
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const alice = fake.addUser('alice');
    const bob = fake.addUser('bob');
    const thread = fake.userOpensThread({ user: bob, channel: fake.general, name: 'Indexes' });
    fake.userSays({ user: bob, channel: thread, content: 'We use IVF_FLAT on 10M vectors.' });
    const asked = fake.userSays({ user: alice, channel: thread, content: 'Which index type would be faster?' });
    fake.userSays({ user: bob, channel: thread, content: 'Good question.' });
    const used = fake.messageCommand({ user: alice, message: asked });
    const answer = await fake.waitFor(() => byBot(fake, thread).find((m) => m.content.startsWith('Answer to:')), { what: 'the answer' });
    assert.equal(answer.content, 'Answer to: Which index type would be faster?');
    assert.equal(answer.messageReference?.message_id, asked.id, 'it replies to the message');
    assert.deepEqual(engine.questions[0]?.history, [{ role: 'user', content: 'We use IVF_FLAT on 10M vectors.' }]);
    assert.equal((original(fake, used)?.flags ?? 0) & MessageFlag.Ephemeral, MessageFlag.Ephemeral);
  });

  test('a message with only an embed, with no text, or with only invisible characters gets a polite plain message', async () => {
    const engine = answering();
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const alice = fake.addUser('alice');
    const ci = fake.addUser('ci', { bot: true });
    const embedOnly = fake.userSays({ user: ci, channel: fake.general, content: '', embeds: [{ title: 'Build #42 failed' }] });
    const empty = fake.userSays({ user: alice, channel: fake.general, content: '' });
    const invisible = fake.userSays({ user: alice, channel: fake.general, content: '\x01\x02\u200b' });
    for (const message of [embedOnly, empty, invisible]) {
      const used = fake.messageCommand({ user: alice, message });
      const note = await fake.waitFor(() => original(fake, used)?.content || undefined, { what: 'the polite message' });
      assert.equal(note, NO_TEXT_TO_ASK_ABOUT);
      assert.equal((original(fake, used)?.flags ?? 0) & MessageFlag.Ephemeral, MessageFlag.Ephemeral, 'only the asker sees it');
      assert.equal(fake.threadOf(message), undefined);
    }
    assert.equal(engine.questions.length, 0);
    assert.deepEqual(byBot(fake, fake.general), []);
  });
});
