/**
 * The gaps digest in chat, as an operator runs it: `askdocs slack` and `askdocs discord`
 * as child processes of bin/askdocs.js, against the local fakes of the Slack Web API
 * (real Bolt inside) and of Discord's REST and gateway (real discord.js inside), a real
 * Milvus Lite holding the Milvus FAQ pages, and the real embedding model.
 *
 * People ask the bot questions the FAQ does not answer, on two topics (three phrasings
 * of paying by purchase order, two of importing Excel files), each by a different user.
 * GAPS_DIGEST_CRON fires every 2 seconds, so no one waits a week. What is checked is what
 * the docs team sees in its channel:
 *   - before any question, a short "no coverage gaps" digest;
 *   - then the two gaps, largest first, with their counts and askers, and links that
 *     open the very threads where the questions were asked (and answered);
 *   - a digest post the platform refuses is logged as one JSON line with a request id
 *     and no secrets, and the bot keeps running: the next digest is posted;
 *   - SIGTERM stops the schedule and the bot exits cleanly.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NEEDS_SHARED } from './fakes/config.ts';
import { type FakeMessage as DiscordMessage, type FakeChannel, startFakeDiscord } from './fakes/discord/index.ts';
import { FAKE_BOT, FakeSlackApi, type FakeMessage as SlackMessage } from './fakes/slack-api.ts';
import { SIGNING_SECRET, sendEvent } from './fakes/slack-requests.ts';
import { FAQ_COLLECTION, startFaqMilvus, type TestMilvus } from './support/milvus.ts';
import { baseEnv, type ChildRun, runTs } from './support/ops-process.ts';
import { type SlackProcess, startSlackProcess } from './support/slack-process.ts';
import { blocksOf, waitForSources } from './support/slack-view.ts';
import { until } from './support/until.ts';

const PURCHASE_ORDER = [
  'Can I pay the enterprise invoice with a purchase order?',
  'can we pay our invoice by purchase order instead of a credit card?',
  'is paying the invoice with a purchase order supported?',
];
const EXCEL = ['how do I import data from an Excel file?', 'can I load an excel spreadsheet into a collection'];
const EVERY_TWO_SECONDS = '*/2 * * * * *';

describe('gaps digest in chat (askdocs slack / askdocs discord)', { skip: NEEDS_SHARED }, () => {
  // One engine per platform: each bot's question log (beside the docs) starts empty.
  let slackMilvus: TestMilvus;
  let discordMilvus: TestMilvus;
  let dir: string;

  before(async () => {
    [slackMilvus, discordMilvus, dir] = await Promise.all([startFaqMilvus(), startFaqMilvus(), mkdtemp(join(tmpdir(), 'askdocs-digest-'))]);
  });

  after(async () => {
    await Promise.all([slackMilvus?.stop(), discordMilvus?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const common = (platform: string, milvus: TestMilvus) => ({
    MILVUS_URI: `http://${milvus.address}`,
    MILVUS_COLLECTION: FAQ_COLLECTION,
    FEEDBACK_DB: join(dir, `${platform}.sqlite`),
    HEALTH_PORT: '0',
    SHUTDOWN_TIMEOUT_MS: '5000',
    LOG_LEVEL: 'info',
    GAPS_DIGEST_CRON: EVERY_TWO_SECONDS,
  });

  it('Slack: posts "no gaps", then the top gaps with counts and permalinks to the threads; survives a refused post', async () => {
    const api = await new FakeSlackApi().start();
    const docsTeam = 'C0DOCSTEAM';
    const asked = 'C0ASKHERE';
    let bot: SlackProcess | undefined;
    try {
      bot = await startSlackProcess({
        api,
        milvus: slackMilvus,
        collection: FAQ_COLLECTION,
        cwd: dir,
        env: { ...common('slack', slackMilvus), GAPS_DIGEST_CHANNEL: docsTeam },
      });
      const { run, eventsUrl: url } = bot;
      const digests = () => api.messages.filter((m) => m.channel === docsTeam && blocksOf(m)[0]?.type === 'header');

      const quiet = await api.waitFor(() => digests()[0], 30_000, 'the first digest');
      assert.match(quiet.text, /No coverage gaps in the last 7 days/);
      assert.equal(blocksOf(quiet).length, 2, 'a quiet week is two short blocks: title and one line');

      // Five people ask: each question is answered in its own thread.
      const threads = new Map<string, string>();
      for (const [i, question] of [...PURCHASE_ORDER, ...EXCEL].entries()) {
        const text = `<@${FAKE_BOT.userId}> ${question}`;
        const ts = api.addUserMessage({ channel: asked, user: `U0ASKER${i}`, text });
        await sendEvent(url, { type: 'app_mention', channel: asked, user: `U0ASKER${i}`, text, ts });
        await waitForSources(api, asked, ts, 30_000);
        threads.set(ts, question);
      }

      const full = await api
        .waitFor(
          () => digests().findLast((m) => gapSections(m).length === 2 && /asked 3×/.test(gapSections(m)[0]!)),
          30_000,
          'a digest with both gaps',
        )
        .catch((error: Error) => {
          throw new Error(`${error.message}; the last one said:\n${digests().at(-1)?.text}`);
        });
      const [first, second] = gapSections(full);
      assert.match(first!, /^\*1\. (.+)\*\nasked 3× by 3 people \(slack\)\n💡 /);
      assert.ok(
        PURCHASE_ORDER.some((q) => first!.startsWith(`*1. ${q}*`)),
        first,
      );
      assert.match(second!, /^\*2\. (.+)\*\nasked 2× by 2 people \(slack\)\n💡 /);
      assert.ok(
        EXCEL.some((q) => second!.startsWith(`*2. ${q}*`)),
        second,
      );
      assert.match(full.text, /5 questions in the last 7 days .*5 not answered well; 2 gaps:/);

      // Every link is a Slack permalink to a thread where the question was asked and answered.
      const links = [first!, second!].flatMap((section) => [...section.matchAll(/<(https:[^|>]+)\|([^>]+)>/g)]);
      assert.equal(links.length, 5, 'three threads for the first gap, two for the second');
      for (const [, href, label] of links) {
        const permalink = /^https:\/\/test\.slack\.com\/archives\/(C\w+)\/p(\d+)(\d{6})$/.exec(href!);
        assert.ok(permalink, `a permalink: ${href}`);
        const ts = `${permalink[2]}.${permalink[3]}`;
        assert.equal(permalink[1], asked);
        assert.equal(threads.get(ts), label, 'the link opens the thread of the question it is labelled with');
        assert.ok(
          api.threadReplies(asked, ts).some((m) => m.bot_id),
          'and that thread has the answer',
        );
      }

      // Slack refuses one post: logged with a request id and no secret, and the bot goes on.
      const before = digests().length;
      api.failNext('chat.postMessage', { error: 'channel_not_found' });
      const failure = await until('the failure log line', () => run.logs().find((line) => /gaps digest failed/.test(String(line.msg))), {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
      assert.equal(failure.level, 'error');
      assert.match(String(failure.requestId), /\S/);
      assert.equal(failure.digestChannel, docsTeam);
      assert.match(JSON.stringify(failure.err), /channel_not_found/);
      assert.doesNotMatch(run.stderr(), new RegExp(`${FAKE_BOT.token}|${SIGNING_SECRET}`));
      await api.waitFor(() => digests().length > before, 30_000, 'the next digest after the failure');
      assert.equal(run.child.exitCode, null, 'the bot is still running');
    } finally {
      bot?.run.child.kill('SIGTERM');
      const exit = await bot?.run.closed;
      await api.stop();
      if (exit) assert.equal(exit.code, 0, bot?.run.stderr().slice(-2000));
    }
    assert.match(bot.run.stderr(), /gaps digest scheduled/);
    assert.match(bot.run.stderr(), /shutdown complete/);
  });

  it('Discord: posts the top gaps as an embed with links to the questions; survives a refused post', async () => {
    const fake = await startFakeDiscord();
    let docsTeam: FakeChannel | undefined;
    let bot: ChildRun | undefined;
    try {
      docsTeam = fake.addChannel('docs-team');
      bot = runTs(
        'bin/askdocs.js',
        ['discord'],
        baseEnv({
          ...common('discord', discordMilvus),
          DISCORD_TOKEN: fake.token,
          DISCORD_APPLICATION_ID: fake.applicationId,
          DISCORD_API_URL: fake.apiUrl,
          GAPS_DIGEST_CHANNEL: docsTeam.id,
        }),
        { cwd: dir },
      );
      const running = bot;
      await until('the Discord bot to start', () => /health on :\d+/.test(running.stderr()), { timeoutMs: 60_000, intervalMs: 100 });
      const channel = docsTeam;
      const digests = () => fake.visibleMessages(channel).filter((m) => embedOf(m));
      const quiet = await fake.waitFor(() => digests()[0], { timeoutMs: 30_000, what: 'the first digest' });
      assert.match(embedOf(quiet)!.description ?? '', /No coverage gaps in the last 7 days/);
      assert.deepEqual(quiet.allowedMentions, { parse: [] }, 'a digest never pings anyone');

      const questions = new Map<string, DiscordMessage>();
      for (const [i, content] of [...PURCHASE_ORDER, ...EXCEL].entries()) {
        const user = fake.addUser(`asker${i}`);
        const message = fake.userSays({ user, channel: fake.general, content, mentionBot: true });
        await fake.waitFor(
          () => {
            const thread = fake.threadOf(message);
            return thread && fake.visibleMessages(thread).some((m) => m.components.length > 0);
          },
          { timeoutMs: 30_000, what: `the answer to "${content}"` },
        );
        questions.set(message.id, message);
      }

      const full = await fake
        .waitFor(() => digests().findLast((m) => embedOf(m)?.fields?.length === 2 && /asked 3×/.test(embedOf(m)!.fields![0]!.value)), {
          timeoutMs: 30_000,
          what: 'a digest with both gaps',
        })
        .catch((error: Error) => {
          throw new Error(`${error.message}; the last one said:\n${JSON.stringify(digests().at(-1)?.embeds)}`);
        });
      const embed = embedOf(full)!;
      assert.match(embed.title ?? '', /Coverage gaps this week/);
      const [first, second] = embed.fields!;
      assert.ok(
        PURCHASE_ORDER.some((q) => first!.name === `1. ${q}`),
        first!.name,
      );
      assert.match(first!.value, /^asked 3× by 3 people \(discord\)\n💡 /);
      assert.ok(
        EXCEL.some((q) => second!.name === `2. ${q}`),
        second!.name,
      );
      assert.match(second!.value, /^asked 2× by 2 people \(discord\)\n💡 /);

      const links = [first!, second!].flatMap((field) => [...field.value.matchAll(/(?<!\\)\[([^[\]]+)\]\((https:[^)]+)\)/g)]);
      assert.equal(links.length, 5, 'three questions linked for the first gap, two for the second');
      for (const [, label, href] of links) {
        const link = /^https:\/\/discord\.com\/channels\/(\d+)\/(\d+)\/(\d+)$/.exec(href!);
        assert.ok(link, `a message link: ${href}`);
        assert.equal(link[1], fake.guild.id);
        assert.equal(link[2], fake.general.id);
        const question = questions.get(link[3]!);
        assert.ok(question, 'the link opens a message that asked the question');
        // The label is the question as asked (Markdown-escaped, long ones clipped with "…").
        assert.ok(question.content.includes(label!.replace(/\\/g, '').replace(/…$/, '')), `"${label}" labels "${question.content}"`);
        assert.ok(fake.threadOf(question), 'whose thread holds the answer');
      }

      const before = digests().length;
      fake.faults.fail({
        match: new RegExp(`^POST \\S*/channels/${channel.id}/messages$`),
        status: 403,
        body: { message: 'Missing Access', code: 50001 },
        times: 1,
      });
      const failure = await until(
        'the failure log line',
        () => running.logs().find((line) => /gaps digest failed/.test(String(line.msg))),
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      assert.equal(failure.level, 'error');
      assert.match(String(failure.requestId), /\S/);
      assert.match(JSON.stringify(failure.err), /Missing Access/);
      assert.doesNotMatch(running.stderr(), new RegExp(escapeRegExp(fake.token)));
      await fake.waitFor(() => digests().length > before, { timeoutMs: 30_000, what: 'the next digest after the failure' });
      assert.equal(running.child.exitCode, null, 'the bot is still running');
    } finally {
      bot?.child.kill('SIGTERM');
      const exit = await bot?.closed;
      await fake.close();
      if (exit) assert.equal(exit.code, 0, bot?.stderr().slice(-2000));
    }
    assert.match(bot.stderr(), /shutdown complete/);
  });
});

/** The mrkdwn of each gap's section (the blocks between the summary and the footer). */
function gapSections(message: SlackMessage): string[] {
  return blocksOf(message)
    .filter((block) => block.type === 'section')
    .map((block) => (block as { text?: { text?: string } }).text?.text ?? '')
    .filter((text) => /^\*\d+\. /.test(text));
}

interface Embed {
  title?: string;
  description?: string;
  fields?: { name: string; value: string }[];
}

function embedOf(message: DiscordMessage): Embed | undefined {
  return message.embeds[0] as Embed | undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
