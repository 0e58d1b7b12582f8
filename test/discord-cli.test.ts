/**
 * `askdocs discord` and `askdocs discord register` as an operator runs them: child
 * processes of bin/askdocs.js against the local fake Discord (through DISCORD_API_URL),
 * a real Milvus Lite holding the Milvus FAQ pages, and the local LLM server. Covers the
 * missing-settings error, registration, answering, /readyz, `askdocs feedback`, and a
 * graceful SIGTERM.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NEEDS_SHARED } from './fakes/config.ts';
import { type FakeDiscord, startFakeDiscord } from './fakes/discord/index.ts';
import { type FakeLlm, startFakeLlm } from './fakes/llm-server.ts';
import { FAQ_COLLECTION, startFaqMilvus, type TestMilvus } from './support/milvus.ts';
import { baseEnv, type ChildRun, runTs } from './support/ops-process.ts';

describe('askdocs discord (CLI)', { skip: NEEDS_SHARED }, () => {
  let milvus: TestMilvus;
  let llm: FakeLlm;
  let fake: FakeDiscord;
  let dir: string;

  before(async () => {
    [milvus, llm, fake] = await Promise.all([startFaqMilvus(), startFakeLlm(), startFakeDiscord()]);
    dir = await mkdtemp(join(tmpdir(), 'askdocs-discord-cli-'));
  });

  after(async () => {
    await Promise.all([llm?.close(), milvus?.stop(), fake?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return baseEnv({
      MILVUS_URI: `http://${milvus.address}`,
      MILVUS_COLLECTION: FAQ_COLLECTION,
      LLM_BASE_URL: llm.url,
      DEEPSEEK_API_KEY: 'sk-discord-cli',
      LLM_MAX_RETRIES: '0',
      DISCORD_TOKEN: fake.token,
      DISCORD_APPLICATION_ID: fake.applicationId,
      DISCORD_API_URL: fake.apiUrl,
      FEEDBACK_DB: join(dir, 'feedback.sqlite'),
      HEALTH_PORT: '0',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...extra,
    });
  }

  // bin/askdocs.js as an operator starts it, in a scratch working directory (no .env).
  const start = (args: string[], childEnv: NodeJS.ProcessEnv): ChildRun => runTs('bin/askdocs.js', args, childEnv, { cwd: dir });

  async function run(args: string[], childEnv: NodeJS.ProcessEnv) {
    const child = start(args, childEnv);
    const { code } = await child.closed;
    return { code, stdout: child.stdout(), stderr: child.stderr() };
  }

  it('names every missing setting and exits non-zero', async () => {
    const result = await run(['discord'], { ...env(), DISCORD_TOKEN: '', DISCORD_APPLICATION_ID: '' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /DISCORD_TOKEN: required for the Discord bot/);
    assert.match(result.stderr, /DISCORD_APPLICATION_ID: required for the Discord bot/);
  });

  it('registers both commands, answers a mention, serves /readyz, records feedback, and stops gracefully', async () => {
    const registered = await run(['discord', 'register'], env({ DISCORD_GUILD_ID: fake.guild.id }));
    assert.equal(registered.code, 0, registered.stderr);
    assert.match(registered.stdout, new RegExp(`Registered /askdocs, "Ask askdocs about this message" in guild ${fake.guild.id}`));
    assert.equal(fake.state.commands.guild.get(fake.guild.id)?.length, 2);

    const bot = start(['discord'], env());
    try {
      const healthPort = await fake.waitFor(() => /health on :(\d+)/.exec(bot.stderr())?.[1], {
        timeoutMs: 60_000,
        what: `the bot to start (stderr: ${bot.stderr().slice(-500)})`,
      });
      const readiness = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
      const report = (await readiness.json()) as { status: string; checks: Record<string, { ok: boolean }> };
      assert.equal(report.checks.discord?.ok, true);

      const user = fake.addUser('cli-user');
      const question = fake.userSays({
        user,
        channel: fake.general,
        content: 'What is the maximum vector dimension supported in Milvus?',
        mentionBot: true,
      });
      const buttons = await fake.waitFor(
        () => {
          const thread = fake.threadOf(question);
          return thread ? fake.visibleMessages(thread).find((m) => m.components.length > 0) : undefined;
        },
        { timeoutMs: 30_000, what: 'answer with sources' },
      );
      const answer = fake.visibleMessages(fake.threadOf(question)!).find((m) => m.content !== '');
      assert.match(answer?.content ?? '', /According to the docs, .+ \[1\]/);

      const up = (buttons.components[0] as { components: { custom_id: string }[] }).components[0]!.custom_id;
      const click = fake.clickButton({ user, message: buttons, customId: up });
      await fake.waitFor(() => click.originalMessageId, { what: 'feedback acknowledged' });
    } finally {
      bot.child.kill('SIGTERM');
    }
    assert.equal((await bot.closed).code, 0, bot.stderr().slice(-2000));
    assert.match(bot.stderr(), /shutdown complete/);

    const listed = await run(['feedback', '--json'], env());
    assert.equal(listed.code, 0, listed.stderr);
    const records = JSON.parse(listed.stdout) as { platform: string; vote: string; question: string }[];
    assert.deepEqual(
      records.map((r) => [r.platform, r.vote, r.question]),
      [['discord', 'up', 'What is the maximum vector dimension supported in Milvus?']],
    );
  });
});
