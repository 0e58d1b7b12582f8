/**
 * The digest's parts without Milvus or a chat platform: thread links, what the digest
 * keeps of a report, how Slack and Discord render user text (never a mention, never a
 * broken link), and the schedule (croner, real time, seconds apart) with its failure
 * logging and its stop on shutdown.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { webApi } from '@slack/bolt';
import { digestMessage } from '../adapters/discord/digest.ts';
import { digestBlocks, slackDigestChannel } from '../adapters/slack/digest.ts';
import type { GapsDigestConfig } from '../src/config.ts';
import { type Digest, digestFromReport, digestText } from '../src/gaps/digest.ts';
import { type DigestChannel, digestFor, startDigestJob } from '../src/gaps/digest-schedule.ts';
import type { GapCluster, GapQuestion, GapsReport } from '../src/gaps/report.ts';
import { threadUrl } from '../src/gaps/thread-links.ts';
import { createLifecycle } from '../src/lifecycle.ts';
import { createLogger } from '../src/logger.ts';
import { localClaims } from '../src/state/claims.ts';
import { FAKE_BOT, FakeSlackApi } from './fakes/slack-api.ts';
import { until } from './support/until.ts';

const NOW = '2026-12-07T09:00:00.000Z';
const SINCE = '2026-11-30T09:00:00.000Z';
const SLACK_URL = 'https://acme.slack.com/';

function question(text: string, where: Partial<GapQuestion> = {}): GapQuestion {
  return {
    question: text,
    standalone: text,
    platform: 'slack',
    askedAt: SINCE,
    reason: 'abstained',
    relevance: 0.2,
    requestId: text,
    ...where,
  };
}

function cluster(rank: number, items: GapQuestion[]): GapCluster {
  return {
    rank,
    representative: items[0]!.question,
    examples: items.slice(1, 4).map((i) => i.question),
    questions: items.map((i) => i.question),
    count: items.length,
    askers: items.length,
    platforms: [...new Set(items.map((i) => i.platform))].sort(),
    reasons: { abstained: items.length },
    firstAsked: items[0]!.askedAt,
    lastAsked: items.at(-1)!.askedAt,
    closest: [],
    suggestion: `Write a page that answers: "${items[0]!.question}"`,
    items,
  };
}

function report(clusters: GapCluster[], totals = { questions: 40, gaps: 12 }): GapsReport {
  return {
    generatedAt: NOW,
    since: SINCE,
    minSize: 2,
    totals: { ...totals, clustered: 0, unclustered: 0 },
    volume: [],
    clusters,
  };
}

function capture(): { logger: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

const settings = (cron: string): GapsDigestConfig => ({ channel: 'C0DOCS', platform: 'slack', cron, windowDays: 7 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('gaps digest: links', () => {
  it('builds Slack permalinks from the workspace URL and the thread ts, and Discord message links', () => {
    const slack = { platform: 'slack', channelId: 'C0ASK', thread: { workspaceId: 'T1', messageId: '1712345678.000100' } };
    assert.equal(threadUrl(slack, { slackWorkspaceUrl: SLACK_URL }), 'https://acme.slack.com/archives/C0ASK/p1712345678000100');
    assert.equal(
      threadUrl(slack, { slackWorkspaceUrl: 'https://acme.slack.com' }),
      'https://acme.slack.com/archives/C0ASK/p1712345678000100',
    );
    assert.equal(threadUrl(slack), undefined, 'no workspace URL, no Slack link');
    assert.equal(
      threadUrl({ platform: 'slack', channelId: 'C0ASK' }, { slackWorkspaceUrl: SLACK_URL }),
      undefined,
      'logged before threads were kept',
    );

    const guild = { platform: 'discord', channelId: '222', thread: { workspaceId: '111', messageId: '333' } };
    assert.equal(threadUrl(guild), 'https://discord.com/channels/111/222/333');
    assert.equal(
      threadUrl({ platform: 'discord', channelId: '444', thread: { messageId: '555' } }),
      'https://discord.com/channels/@me/444/555',
    );
    assert.equal(
      threadUrl({ platform: 'discord', channelId: '222', thread: { workspaceId: '111' } }),
      'https://discord.com/channels/111/222',
      '/askdocs: the channel',
    );
    assert.equal(threadUrl({ platform: 'cli' }), undefined);
  });
});

describe('gaps digest: content', () => {
  it('keeps the top 5 gaps in rank order, counts the rest, and links up to three threads, linked and recent first', () => {
    const clusters = Array.from({ length: 7 }, (_, i) =>
      cluster(i + 1, [question(`topic ${i + 1}, first`), question(`topic ${i + 1}, second`)]),
    );
    clusters[0] = cluster(1, [
      question('oldest, on Slack', { channelId: 'C1', thread: { messageId: '1.000001' }, askedAt: '2026-12-01T00:00:00.000Z' }),
      question('from the CLI', { platform: 'cli', askedAt: '2026-12-02T00:00:00.000Z' }),
      question('on Discord', {
        platform: 'discord',
        channelId: '22',
        thread: { workspaceId: '11', messageId: '33' },
        askedAt: '2026-12-03T00:00:00.000Z',
      }),
      question('newest, on Slack', { channelId: 'C1', thread: { messageId: '4.000004' }, askedAt: '2026-12-04T00:00:00.000Z' }),
      question('same thread again', { channelId: 'C1', thread: { messageId: '4.000004' }, askedAt: '2026-12-05T00:00:00.000Z' }),
    ]);
    const digest = digestFromReport(report(clusters), { slackWorkspaceUrl: SLACK_URL });
    assert.deepEqual(
      digest.items.map((item) => item.rank),
      [1, 2, 3, 4, 5],
    );
    assert.equal(digest.more, 2);
    assert.equal(digest.days, 7);
    assert.deepEqual(
      digest.items[0]!.threads.map((t) => [t.question, t.url]),
      [
        ['same thread again', 'https://acme.slack.com/archives/C1/p4000004'],
        ['on Discord', 'https://discord.com/channels/11/22/33'],
        ['oldest, on Slack', 'https://acme.slack.com/archives/C1/p1000001'],
      ],
    );
    const text = digestText(digest);
    assert.match(text, /40 questions in the last 7 days \(2026-11-30 – 2026-12-07\), 12 not answered well; top 5 of 7 gaps:/);
    assert.match(text, /^1\. \*\*oldest, on Slack\*\* — asked 5× by 5 people \(cli, discord, slack\)$/m);
  });

  it('names a window under a day in hours, with its times, on every surface (gaps --digest --since 1h)', () => {
    const lastHour = { ...report([], { questions: 20, gaps: 0 }), since: new Date(Date.parse(NOW) - 3_600_000).toISOString() };
    const digest = digestFromReport(lastHour);
    assert.equal(digest.period, '1 hour');
    assert.match(digestText(digest), /No coverage gaps in the last 1 hour \(2026-12-07 \d\d:\d\d – \d\d:\d\d UTC\): 20 questions asked/);
    assert.equal((digestBlocks(digest).blocks[0] as { text: { text: string } }).text.text, '📚 Coverage gaps, last 1 hour');
    assert.equal(digestMessage(digest).embeds![0]!.title, '📚 Coverage gaps, last 1 hour');
    const fortnight = digestFromReport({ ...report([]), since: new Date(Date.parse(NOW) - 14 * 86_400_000).toISOString() });
    assert.equal(digestMessage(fortnight).embeds![0]!.title, '📚 Coverage gaps, last 14 days');
  });

  it('a week without gaps is one short line', () => {
    const digest = digestFromReport(report([], { questions: 12, gaps: 1 }));
    assert.equal(digest.items.length, 0);
    assert.match(digestText(digest), /No coverage gaps in the last 7 days \(2026-11-30 – 2026-12-07\): 12 questions asked/);
    assert.equal(digestBlocks(digest).blocks.length, 2);
    const embed = digestMessage(digest).embeds![0]!;
    assert.equal(embed.fields?.length, 0);
    assert.match(embed.description ?? '', /No coverage gaps/);
  });
});

describe('gaps digest: Slack rate limits', () => {
  it('a rate-limited digest post waits out the Retry-After and is posted (the client rejects rate-limited calls)', async () => {
    const api = await new FakeSlackApi().start();
    try {
      // As the bot's client is set up (adapters/slack/index.ts).
      const client = new webApi.WebClient(FAKE_BOT.token, {
        slackApiUrl: api.apiUrl,
        rejectRateLimitedCalls: true,
        retryConfig: { retries: 0 },
      });
      api.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
      const digest = digestFromReport(report([cluster(1, [question('how do I shard?'), question('sharding?')])]));
      await slackDigestChannel(client).post('C0DIGEST', digest);
      assert.deepEqual(
        api.calls.filter((call) => call.method === 'chat.postMessage').map((call) => call.outcome),
        ['429', 'ok'],
      );
    } finally {
      await api.stop();
    }
  });
});

describe('gaps digest: rendering user text', () => {
  const hostile = cluster(1, [
    question('<!channel> why is <@U0BOSS> & co | not [here](https://evil.example)?', {
      channelId: 'C1',
      thread: { messageId: '1.000001' },
    }),
    question('@everyone **bold** question', { platform: 'discord', channelId: '22', thread: { workspaceId: '11', messageId: '33' } }),
  ]);
  const digest: Digest = digestFromReport(report([hostile]), { slackWorkspaceUrl: SLACK_URL });

  it('Slack: escapes &, < and > so no question becomes a mention, and keeps link labels whole', () => {
    const sections = digestBlocks(digest)
      .blocks.filter((b) => b.type === 'section')
      .map((b) => (b.text as { text: string }).text);
    const gap = sections[1]!;
    assert.doesNotMatch(gap, /<!channel>|<@U0BOSS>/);
    assert.match(gap, /&lt;!channel&gt; why is &lt;@U0BOSS&gt; &amp; co/);
    const links = [...gap.matchAll(/<(https:[^|>]+)\|([^>]*)>/g)];
    assert.equal(links.length, 2);
    assert.equal(links[0]![1], 'https://discord.com/channels/11/22/33');
    assert.equal(links[1]![1], 'https://acme.slack.com/archives/C1/p1000001');
    assert.match(links[1]![2]!, /^&lt;!channel&gt; why is &lt;@U0BOSS&gt; &amp; co ¦ not/, 'a | would end the label early');
  });

  it('Discord: escapes Markdown in questions and keeps masked links intact', () => {
    const field = digestMessage(digest).embeds![0]!.fields![0]!;
    // A masked link starts at an unescaped `[`.
    const links = [...field.value.matchAll(/(?<!\\)\[([^[\]]*)\]\((https:[^)]+)\)/g)];
    assert.deepEqual(
      links.map((l) => l[2]),
      ['https://discord.com/channels/11/22/33', 'https://acme.slack.com/archives/C1/p1000001'],
    );
    assert.match(links[0]![1]!, /\\\*\\\*bold\\\*\\\*/);
    assert.match(links[1]![1]!, /not here\(evil\.example\)/, 'a link in a question stays text, without its scheme');
    assert.match(field.value, /\\\[here\\\]\(https:\/\/evil\.example\)/, 'and in the suggestion quoting it, brackets are escaped');
  });
});

describe('gaps digest: schedule', () => {
  it('with several replicas sharing claims, each scheduled run is posted once', async () => {
    const claims = localClaims();
    const posted: { replica: string; at: number }[] = [];
    const replica = (name: string) =>
      startDigestJob({
        digest: settings('* * * * * *'),
        channel: { platform: 'slack', post: async () => void posted.push({ replica: name, at: Date.now() }) },
        logger: createLogger({ level: 'silent' }),
        report: async () => report([cluster(1, [question('a'), question('b')])]),
        claim: (key) => claims.claim(key),
      });
    const jobs = [replica('A'), replica('B')];
    try {
      // Both schedules fire every second: three runs, each claimed by one replica.
      await until('three digests posted', () => posted.length >= 3, { timeoutMs: 6_000 });
    } finally {
      for (const job of jobs) job.stop();
    }
    const seconds = posted.map((p) => Math.round(p.at / 1000));
    assert.equal(new Set(seconds).size, seconds.length, `one post per run: ${JSON.stringify(posted)}`);
  });

  it('posts on the cron, and a failing build or post is logged with a request id and never thrown', async () => {
    const { logger, lines } = capture();
    const posted: Digest[] = [];
    let failPost = true;
    const channel: DigestChannel = {
      platform: 'slack',
      async post(_channel, digest) {
        if (failPost) {
          failPost = false;
          throw Object.assign(new Error('An API error occurred: not_in_channel'), { code: 'slack_webapi_platform_error' });
        }
        posted.push(digest);
      },
    };
    let reports = 0;
    const job = startDigestJob({
      digest: settings('* * * * * *'),
      channel,
      logger,
      report: async () => {
        reports += 1;
        if (reports === 1) throw new Error('Milvus query failed: connection refused');
        return report([cluster(1, [question('a'), question('b')])]);
      },
    });
    try {
      assert.ok(job.nextRun(), 'scheduled');
      await until('the digest posted', () => posted.length >= 1, { timeoutMs: 5_000 });
    } finally {
      job.stop();
    }
    const failures = lines.filter(
      (line) => line.msg === 'gaps digest failed; the bot keeps running and tries again at the next scheduled time',
    );
    assert.equal(failures.length, 2, 'the failed build, then the refused post');
    for (const failure of failures) {
      assert.equal(failure.level, 'error');
      assert.match(String(failure.requestId), /\S/);
      assert.equal(failure.digestChannel, 'C0DOCS');
    }
    assert.match(JSON.stringify(failures[0]!.err), /connection refused/);
    assert.match(JSON.stringify(failures[1]!.err), /not_in_channel/);
    assert.notEqual(failures[0]!.requestId, failures[1]!.requestId);
    assert.equal(posted[0]!.items.length, 1);
    assert.ok(lines.some((line) => line.msg === 'gaps digest posted' && line.gaps === 1));
    assert.equal(job.nextRun(), null, 'stopped');
  });

  it('shutdown stops the schedule and waits for a digest being posted', async () => {
    const { logger } = capture();
    const lifecycle = createLifecycle({ logger, timeoutMs: 5_000, exit: () => undefined });
    let posting = false;
    let finished = false;
    const job = digestFor(
      { gaps: { digest: settings('* * * * * *') }, questionLog: { enabled: true } },
      {
        platform: 'slack',
        async post() {
          posting = true;
          await sleep(700);
          finished = true;
        },
      },
      { logger, lifecycle, report: async () => report([]) },
    );
    assert.ok(job);
    await until('the digest to start posting', () => posting, { timeoutMs: 5_000 });
    assert.equal(await lifecycle.shutdown('test'), 0);
    assert.ok(finished, 'shutdown waited for the post in progress');
    assert.equal(job.nextRun(), null, 'and stopped the schedule');
  });

  it('a channel of the other platform starts nothing', () => {
    const { logger, lines } = capture();
    const job = digestFor(
      {
        gaps: { digest: { ...settings('0 9 * * 1'), channel: '123456789012345678', platform: 'discord' } },
        questionLog: { enabled: true },
      },
      { platform: 'slack', post: async () => undefined },
      { logger, report: async () => report([]) },
    );
    assert.equal(job, undefined);
    assert.ok(lines.some((line) => /GAPS_DIGEST_CHANNEL is a discord channel: the slack bot posts no digest/.test(String(line.msg))));
  });
});
