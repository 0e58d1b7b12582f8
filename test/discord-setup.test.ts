/**
 * Setting the Discord bot up, against the local fake: command registration (guild or
 * global), required settings, intents (and the fallback when MessageContent is not
 * granted), the channel allowlist, and 👍/👎 feedback landing in the shared store.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { GatewayIntentBits } from 'discord.js';
import { createDiscordBot, MESSAGE_CONTENT_WARNING, registerCommands } from '../adapters/discord/index.ts';
import { formatRecord } from '../src/cli/commands/feedback.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { type FakeDiscord, startFakeDiscord } from './fakes/discord/index.ts';
import { ScriptedEngine, source } from './fakes/engine.ts';
import { type BotHarness, discordEnv, startBotHarness } from './support/discord-bot.ts';

let harness: BotHarness | undefined;
let fakeOnly: FakeDiscord | undefined;
afterEach(async () => {
  await harness?.close();
  await fakeOnly?.close();
  harness = undefined;
  fakeOnly = undefined;
});

describe('registering /askdocs', () => {
  test('registers both commands to DISCORD_GUILD_ID when set, otherwise globally, /askdocs with a required question option', async () => {
    fakeOnly = await startFakeDiscord();
    const fake = fakeOnly;
    const guildConfig = loadConfig(discordEnv(fake, ':memory:', { DISCORD_GUILD_ID: fake.guild.id }) as NodeJS.ProcessEnv, {
      envFile: false,
    });
    const names = ['askdocs', 'Ask askdocs about this message'];
    assert.deepEqual(await registerCommands(guildConfig), { scope: 'guild', guildId: fake.guild.id, names });
    const globalConfig = loadConfig(discordEnv(fake, ':memory:') as NodeJS.ProcessEnv, { envFile: false });
    assert.deepEqual(await registerCommands(globalConfig), { scope: 'global', guildId: undefined, names });

    const puts = fake.calls.filter((c) => c.method === 'PUT');
    assert.deepEqual(
      puts.map((c) => c.route),
      ['PUT /applications/:app/guilds/:guild/commands', 'PUT /applications/:app/commands'],
    );
    const [command] = (puts[0]?.body ?? []) as { name: string; options: { name: string; type: number; required: boolean }[] }[];
    assert.equal(command?.name, 'askdocs');
    assert.deepEqual(
      command?.options.map((o) => [o.name, o.type, o.required]),
      [['question', 3, true]],
    );
  });

  test('names every missing setting, and explains a rejected token in one line', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv, { envFile: false });
    await assert.rejects(registerCommands(config), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.userMessage, /DISCORD_TOKEN/);
      assert.match(error.userMessage, /DISCORD_APPLICATION_ID/);
      return true;
    });
    assert.throws(
      () => createDiscordBot({ engine: new ScriptedEngine(), config, logger: createLogger({ level: 'silent' }) }),
      /DISCORD_TOKEN[\s\S]*DISCORD_APPLICATION_ID/,
    );

    fakeOnly = await startFakeDiscord();
    const wrong = loadConfig({ ...discordEnv(fakeOnly, ':memory:'), DISCORD_TOKEN: 'not-the-token' } as NodeJS.ProcessEnv, {
      envFile: false,
    });
    await assert.rejects(registerCommands(wrong), /Discord rejected DISCORD_TOKEN/);
  });

  test('DISCORD_API_URL may carry the API version; the gateway URL still comes from /gateway/bot', async () => {
    const engine = new ScriptedEngine();
    fakeOnly = await startFakeDiscord();
    const config = loadConfig({ ...discordEnv(fakeOnly, ':memory:'), DISCORD_API_URL: `${fakeOnly.apiUrl}/v10/` } as NodeJS.ProcessEnv, {
      envFile: false,
    });
    const bot = createDiscordBot({ engine, config, logger: createLogger({ level: 'silent' }) });
    await bot.start();
    try {
      assert.ok(fakeOnly.calls.some((c) => c.route === 'GET /gateway/bot' && c.status === 200));
      assert.equal(fakeOnly.gateway.connections[0]?.url, '/?v=10&encoding=json');
      const intents = fakeOnly.gateway.identifies[0]?.intents ?? 0;
      for (const bit of [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.DirectMessages,
        GatewayIntentBits.MessageContent,
      ]) {
        assert.ok((intents & bit) === bit, `intent ${GatewayIntentBits[bit]}`);
      }
    } finally {
      await bot.stop();
    }
  });
});

describe('without the MessageContent intent', () => {
  test('logs one clear warning, reconnects without it, and answers only when mentioned', async () => {
    const engine = new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}` }));
    harness = await startBotHarness({ engine, fake: { messageContentGranted: false } });
    const { fake, bot, logs } = harness;
    assert.equal(bot.messageContent, false);
    assert.equal(logs.filter((l) => l.msg === MESSAGE_CONTENT_WARNING).length, 1);
    assert.equal(logs.find((l) => l.msg === MESSAGE_CONTENT_WARNING)?.level, 'warn');
    assert.equal(logs.filter((l) => l.level === 'warn' || l.level === 'error').length, 1, 'that is the only warning');
    assert.equal((fake.gateway.intents ?? 0) & GatewayIntentBits.MessageContent, 0);

    const grace = fake.addUser('grace');
    const question = fake.userSays({ user: grace, channel: fake.general, content: 'mentioned question', mentionBot: true });
    const thread = await fake.waitFor(
      () => {
        const t = fake.threadOf(question);
        return t && fake.visibleMessages(t).some((m) => m.embeds.length > 0 || m.components.length > 0) ? t : undefined;
      },
      { what: 'answer to a mention' },
    );
    fake.userSays({ user: grace, channel: thread, content: 'unmentioned follow-up' });
    fake.userSays({ user: grace, channel: thread, content: 'mentioned follow-up', mentionBot: true });
    await fake.waitFor(() => fake.visibleMessages(thread).find((m) => m.content === 'Answer to: mentioned follow-up'), {
      what: 'mentioned follow-up',
    });
    assert.deepEqual(
      engine.questions.map((q) => q.text),
      ['mentioned question', 'mentioned follow-up'],
    );
    // DMs still carry content without the intent.
    const dm = fake.userDMs({ user: grace, content: 'dm question' });
    await fake.waitFor(() => fake.visibleMessages(dm.channelId).find((m) => m.content === 'Answer to: dm question'), { what: 'dm' });
  });
});

describe('channels and help', () => {
  test('DISCORD_FORUM_CHANNELS: channel ids, within DISCORD_ALLOWED_CHANNELS when that is set; every problem named', () => {
    const load = (env: Record<string, string>) => loadConfig({ LOG_LEVEL: 'silent', ...env } as NodeJS.ProcessEnv, { envFile: false });
    assert.deepEqual(load({ DISCORD_FORUM_CHANNELS: ' 1234567890123456789 , 2234567890123456789' }).discord.forumChannels, [
      '1234567890123456789',
      '2234567890123456789',
    ]);
    assert.throws(
      () => load({ DISCORD_FORUM_CHANNELS: 'help-forum', CHUNK_MAX_CHARS: '1' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.userMessage, /DISCORD_FORUM_CHANNELS: must be forum channel ids/);
        assert.match(error.userMessage, /CHUNK_MAX_CHARS/, 'reported with the other problems');
        return true;
      },
    );
    assert.throws(
      () => load({ DISCORD_FORUM_CHANNELS: '1234567890123456789', DISCORD_ALLOWED_CHANNELS: '2234567890123456789' }),
      /DISCORD_FORUM_CHANNELS: 1234567890123456789 not in DISCORD_ALLOWED_CHANNELS/,
    );
  });

  test('DISCORD_ALLOWED_CHANNELS: elsewhere mentions are ignored and /askdocs gets a private note', async () => {
    const engine = new ScriptedEngine((q) => ({ text: `Answer to: ${q.text}` }));
    fakeOnly = await startFakeDiscord();
    const fake = fakeOnly;
    const helpDesk = fake.state.addTextChannel(fake.guild.id, 'help-desk');
    const config = loadConfig(discordEnv(fake, ':memory:', { DISCORD_ALLOWED_CHANNELS: helpDesk.id }) as NodeJS.ProcessEnv, {
      envFile: false,
    });
    const bot = createDiscordBot({ engine, config, logger: createLogger({ level: 'silent' }), options: { textIntervalMs: 100 } });
    await bot.start();
    try {
      const henry = fake.addUser('henry');
      fake.userSays({ user: henry, channel: fake.general, content: 'not here', mentionBot: true });
      const command = fake.slashCommand({ user: henry, channel: fake.general, options: { question: 'not here either' } });
      const note = await fake.waitFor(
        () => {
          const m = command.originalMessageId ? fake.message(command.originalMessageId) : undefined;
          return m?.content ? m : undefined;
        },
        { what: 'allowlist note' },
      );
      assert.match(note.content, /don't answer questions in this channel/);
      assert.equal(note.flags & 64, 64, 'only the asker sees it');
      const ok = fake.userSays({ user: henry, channel: helpDesk, content: 'here', mentionBot: true });
      await fake.waitFor(() => fake.threadOf(ok) && fake.visibleMessages(fake.threadOf(ok)!).length > 0, { what: 'allowed answer' });
      assert.deepEqual(
        engine.questions.map((q) => q.text),
        ['here'],
      );
    } finally {
      await bot.stop();
    }
  });

  test('a bare mention gets a short how-to instead of an engine call', async () => {
    const engine = new ScriptedEngine();
    harness = await startBotHarness({ engine });
    const { fake } = harness;
    const ivy = fake.addUser('ivy');
    const ping = fake.userSays({ user: ivy, channel: fake.general, content: '', mentionBot: true });
    const help = await fake.waitFor(() => fake.visibleMessages(fake.general).find((m) => m.author.id === fake.bot.id), { what: 'help' });
    assert.match(help.content, /Ask me a question about the docs/);
    assert.equal(help.messageReference?.message_id, ping.id);
    assert.equal(engine.questions.length, 0);
  });
});

describe('feedback', () => {
  test('👍/👎 clicks are recorded in the shared store (one vote per user, changeable) and acknowledged privately', async () => {
    const engine = new ScriptedEngine((q) => ({ text: `Answer to: ${q.text} [1]`, citations: [source(1)] }));
    harness = await startBotHarness({ engine });
    const { fake, feedback } = harness;
    const jack = fake.addUser('jack');
    const kate = fake.addUser('kate');
    const interaction = fake.slashCommand({ user: jack, channel: fake.general, options: { question: 'Is feedback stored?' } });
    const sourcesMessage = await fake.waitFor(
      () => {
        const reply = interaction.originalMessageId ? fake.message(interaction.originalMessageId) : undefined;
        const thread = reply && fake.threadOf(reply);
        return thread ? fake.visibleMessages(thread).find((m) => m.components.length > 0) : undefined;
      },
      { what: 'buttons' },
    );
    const [up, down] = (sourcesMessage.components[0] as { components: { custom_id: string }[] }).components;
    assert.ok(up && down);

    const click = fake.clickButton({ user: kate, message: sourcesMessage, customId: up.custom_id });
    const thanks = await fake.waitFor(() => (click.originalMessageId ? fake.message(click.originalMessageId) : undefined), {
      what: 'acknowledgement',
    });
    assert.equal(click.callbackType, 4);
    assert.equal(thanks.flags & 64, 64, 'only the clicker sees the thanks');
    assert.match(thanks.content, /👍 was recorded/);

    const change = fake.clickButton({ user: kate, message: sourcesMessage, customId: down.custom_id });
    await fake.waitFor(() => change.originalMessageId, { what: 'second acknowledgement' });
    fake.clickButton({ user: jack, message: sourcesMessage, customId: up.custom_id });
    await fake.waitFor(() => feedback.list().length === 2, { what: 'two voters' });

    const records = feedback.list();
    const kates = records.find((r) => r.userId === kate.id);
    assert.equal(kates?.vote, 'down', 'the second click changed the vote');
    assert.equal(kates?.platform, 'discord');
    assert.equal(kates?.question, 'Is feedback stored?');
    assert.equal(kates?.answer, 'Answer to: Is feedback stored? [1]');
    assert.equal(kates?.messageRef, interaction.originalMessageId);
    assert.deepEqual(
      kates?.sources.map((s) => s.path),
      ['guide/page-1.md'],
    );
    // What `askdocs feedback` prints for it.
    assert.match(formatRecord(kates!), /👎 {2}discord {2}user \d+/);
  });
});
