/**
 * Discord sharding: two askdocs bots, each running one of two shards (SHARD_COUNT=2,
 * SHARD_IDS=0 / 1, as the StatefulSet runs them), against the fake gateway, sharing one
 * Redis. Discord sends each guild's events to one shard, so each guild is answered by
 * one bot only; DMs go to shard 0.
 *
 * And two bots on the same shard (a rolling update starts the new pod before the old one
 * stops): Discord then sends the shard's events to both sessions, so both receive the same
 * slash-command interaction and the same mention; the interaction and message claims in
 * Redis let exactly one of them respond.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { shardOptions } from '../adapters/discord/client.ts';
import { createDiscordBot, type DiscordBot } from '../adapters/discord/index.ts';
import { loadConfig } from '../src/config.ts';
import type { ChatState } from '../src/state/chat-state.ts';
import { type FakeDiscord, type FakeGuild, startFakeDiscord } from './fakes/discord/index.ts';
import { snowflake } from './fakes/discord/snowflake.ts';
import { ScriptedEngine } from './fakes/engine.ts';
import { discordEnv } from './support/discord-bot.ts';
import { NO_REDIS, openReplicaState, startTestRedis, type TestRedis } from './support/redis.ts';

interface ShardBot {
  shard: number;
  bot: DiscordBot;
  state: ChatState;
  engine: ScriptedEngine;
}

/** A guild id whose shard (of `count`) is `shard`: Discord's rule is (id >> 22) % count. */
function guildIdOnShard(shard: number, count: number): string {
  for (let at = Date.now(); ; at -= 1) {
    const id = snowflake(at);
    if (Number((BigInt(id) >> 22n) % BigInt(count)) === shard) return id;
  }
}

describe('Discord sharding: two shards, one bot each', { skip: NO_REDIS }, () => {
  let redis: TestRedis;
  let fake: FakeDiscord;
  const bots: ShardBot[] = [];
  const guilds: FakeGuild[] = [];

  before(async () => {
    redis = await startTestRedis();
    fake = await startFakeDiscord();
    // The default guild is on one shard; add one on each, so both shards have a guild.
    for (const shard of [0, 1]) guilds.push(fake.state.addGuild(`guild-on-shard-${shard}`, { id: guildIdOnShard(shard, 2) }));
    for (const shard of [0, 1]) {
      const env = discordEnv(fake, '/unused.sqlite', {
        SHARD_COUNT: '2',
        SHARD_IDS: String(shard),
        REDIS_URL: redis.url,
        FEEDBACK_DB: 'redis',
      });
      const config = loadConfig(env as NodeJS.ProcessEnv, { envFile: false });
      const { state, logger, deps } = await openReplicaState(config, `shard ${shard}`);
      const engine = new ScriptedEngine((q) => ({ text: `Shard ${shard} answers: ${q.text}` }));
      // The same wiring as `askdocs discord` (src/cli/commands/discord-bot.ts).
      const bot = createDiscordBot({ engine, config, logger, ...deps, options: { textIntervalMs: 150 } });
      bots.push({ shard, bot, state, engine });
    }
    await Promise.all(bots.map(({ bot }) => bot.start()));
  });
  after(async () => {
    for (const { bot, state } of bots) {
      await bot.stop().catch(() => undefined);
      await state.close();
    }
    await fake?.close();
    await redis?.close();
  });

  test('each bot identifies as its own shard of two', () => {
    assert.deepEqual(fake.gateway.identifies.map((identify) => identify.shard).sort(), [
      [0, 2],
      [1, 2],
    ]);
    assert.deepEqual(fake.gateway.shards.map((s) => [s.shard, s.count, s.live]).sort(), [
      [0, 2, true],
      [1, 2, true],
    ]);
    for (const { bot } of bots) assert.equal(bot.isReady(), true);
  });

  test("each guild's mentions and slash commands are answered by its shard's bot only", async () => {
    const alice = fake.addUser('alice');
    for (const guild of guilds) {
      const shard = fake.gateway.shardOf(guild.id);
      const channel = fake.addChannel(`docs-${guild.name}`, guild);
      const question = `how do I create a collection in ${guild.name}?`;
      const asked = fake.userSays({ user: alice, channel, content: question, mentionBot: true });
      const thread = await fake.waitFor(() => fake.threadOf(asked), { what: `a thread in ${guild.name}` });
      const answer = await fake.waitFor(() => fake.visibleMessages(thread).find((m) => m.content.endsWith(question)), {
        what: `the answer in ${guild.name}`,
      });
      assert.equal(answer.content, `Shard ${shard} answers: ${question}`);

      const slash = `how do I load a collection in ${guild.name}?`;
      const interaction = fake.slashCommand({ user: alice, channel, options: { question: slash } });
      await fake.waitFor(
        () => {
          const reply = interaction.originalMessageId ? fake.message(interaction.originalMessageId) : undefined;
          return reply?.content.endsWith(slash) ? reply : undefined;
        },
        { what: `the /askdocs answer in ${guild.name}` },
      );
      assert.equal(fake.message(interaction.originalMessageId as string)?.content, `Shard ${shard} answers: ${slash}`);
    }
    for (const { shard, engine } of bots) {
      const mine = guilds.filter((guild) => fake.gateway.shardOf(guild.id) === shard).map((guild) => guild.name);
      assert.ok(mine.length > 0);
      assert.deepEqual(
        engine.questions.map((q) => q.text).sort(),
        mine.flatMap((name) => [`how do I create a collection in ${name}?`, `how do I load a collection in ${name}?`]).sort(),
        `shard ${shard} answered its own guilds, and only them`,
      );
    }
  });

  test('DMs go to shard 0 and are answered once', async () => {
    const bob = fake.addUser('bob');
    const before = bots.map(({ engine }) => engine.questions.length);
    const dm = fake.userDMs({ user: bob, content: 'what is a partition?' });
    await fake.waitFor(() => fake.visibleMessages(dm.channelId).find((m) => m.content.endsWith('what is a partition?') && m.author.bot), {
      what: 'the DM answer',
    });
    assert.deepEqual(
      bots.map(({ engine }, i) => engine.questions.length - (before[i] as number)),
      [1, 0],
    );
  });
});

describe('two Discord replicas on the same shard, sharing one Redis', { skip: NO_REDIS }, () => {
  let redis: TestRedis;
  let fake: FakeDiscord;
  const replicas: { name: string; bot: DiscordBot; state: ChatState; engine: ScriptedEngine }[] = [];

  before(async () => {
    redis = await startTestRedis();
    fake = await startFakeDiscord();
    for (const name of ['A', 'B']) {
      const env = discordEnv(fake, '/unused.sqlite', { REDIS_URL: redis.url, FEEDBACK_DB: 'redis' });
      const config = loadConfig(env as NodeJS.ProcessEnv, { envFile: false });
      const { state, logger, deps } = await openReplicaState(config, name);
      const engine = new ScriptedEngine((q) => ({ text: `Replica ${name} answers: ${q.text}` }));
      const bot = createDiscordBot({ engine, config, logger, ...deps, options: { textIntervalMs: 150 } });
      replicas.push({ name, bot, state, engine });
      // One after the other, as a rolling update starts them: both hold a session for shard 0,
      // and the fake gateway, like Discord, sends each of the shard's events to both.
      await bot.start();
    }
  });
  after(async () => {
    for (const { bot, state } of replicas) {
      await bot.stop().catch(() => undefined);
      await state.close();
    }
    await fake?.close();
    await redis?.close();
  });

  const askedEverywhere = (text: string) =>
    replicas.map(({ engine }) => engine.questions.filter((q) => q.text === text).length).reduce((sum, n) => sum + n, 0);
  const sourcesIn = (threadId: string) => fake.visibleMessages(threadId).filter((m) => m.components.length > 0);

  test('both replicas are connected and ready', () => {
    assert.equal(fake.gateway.identifies.length, 2);
    for (const { bot } of replicas) assert.equal(bot.isReady(), true);
  });

  test('a slash command delivered to both replicas gets exactly one response', async () => {
    const carol = fake.addUser('carol');
    const question = 'how do I build an index?';
    const interaction = fake.slashCommand({ user: carol, channel: fake.general, options: { question } });
    const reply = await fake.waitFor(
      () => {
        const message = interaction.originalMessageId ? fake.message(interaction.originalMessageId) : undefined;
        return message?.content.endsWith(question) && message.threadId && sourcesIn(message.threadId).length > 0 ? message : undefined;
      },
      { what: 'the /askdocs answer with its sources' },
    );
    // A second responder would have deferred within milliseconds; give it time to show.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(fake.gateway.deliveries('INTERACTION_CREATE', interaction.id), 2, 'the interaction reached both replicas');
    const callbacks = fake.calls.filter(
      (call) => call.route === 'POST /interactions/:id/:token/callback' && call.path.includes(interaction.id),
    );
    assert.equal(callbacks.length, 1, 'one interaction response, and no "already acknowledged" error');
    assert.ok((callbacks[0]?.status ?? 0) < 300, `the response was accepted (HTTP ${callbacks[0]?.status})`);
    assert.equal(askedEverywhere(question), 1, 'one replica answered');
    assert.ok(
      ['A', 'B'].some((name) => reply.content === `Replica ${name} answers: ${question}`),
      reply.content,
    );
    assert.equal(sourcesIn(reply.threadId as string).length, 1, 'one sources message');
  });

  test('a mention delivered to both replicas is answered once', async () => {
    const dave = fake.addUser('dave');
    const question = 'what is a partition key?';
    const asked = fake.userSays({ user: dave, channel: fake.general, content: question, mentionBot: true });
    const thread = await fake.waitFor(() => fake.threadOf(asked), { what: 'a thread on the question' });
    await fake.waitFor(() => sourcesIn(thread.id).length > 0, { what: 'the answer with its sources' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(fake.gateway.deliveries('MESSAGE_CREATE', asked.id), 2, 'the mention reached both replicas');
    assert.equal(askedEverywhere(question), 1, 'one replica answered');
    assert.equal(fake.visibleMessages(thread).filter((m) => m.author.bot && m.content.endsWith(question)).length, 1, 'one answer');
    assert.equal(sourcesIn(thread.id).length, 1, 'one sources message');
  });
});

describe('SHARD_COUNT and SHARD_IDS', () => {
  const load = (env: Record<string, string>) => loadConfig(env, { envFile: false });

  test('unset: one shard, as before', () => {
    assert.deepEqual(shardOptions(load({})), {});
  });

  test('a count runs every shard in this process, or the ones SHARD_IDS names; auto asks Discord', () => {
    assert.deepEqual(shardOptions(load({ SHARD_COUNT: '3' })), { shards: [0, 1, 2], shardCount: 3 });
    assert.deepEqual(shardOptions(load({ SHARD_COUNT: '4', SHARD_IDS: '2,3' })), { shards: [2, 3], shardCount: 4 });
    assert.deepEqual(shardOptions(load({ SHARD_COUNT: 'AUTO' })), { shards: 'auto' });
  });

  test('reports every bad value by name', () => {
    assert.throws(() => load({ SHARD_COUNT: 'many' }), /SHARD_COUNT: must be a whole number of at least 1, or auto/);
    assert.throws(() => load({ SHARD_COUNT: '2', SHARD_IDS: '1,2,x' }), /SHARD_IDS: 2, x are not a shard id from 0 to 1/);
    assert.throws(() => load({ SHARD_IDS: '0' }), /SHARD_IDS: needs SHARD_COUNT/);
    assert.throws(() => load({ SHARD_COUNT: 'auto', SHARD_IDS: '0' }), /SHARD_IDS: needs a number in SHARD_COUNT/);
  });
});
