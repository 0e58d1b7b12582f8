/**
 * Two Slack bot replicas (the real Bolt app, HTTP receiver, signed requests) sharing one
 * real redis-server, as two `askdocs slack` pods behind a load balancer would: the same
 * event delivered to both and retried is answered once, a 👍 on B for A's answer is
 * recorded once with A's question, the per-minute limit holds across replicas, and a
 * Redis outage mid-burst loses no question and answers none twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSlackApp, type SlackBot } from '../adapters/slack/index.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { type ChatState, openChatState } from '../src/state/chat-state.ts';
import { pageSource, ScriptedEngine } from './fakes/engine.ts';
import { FAKE_BOT, FakeSlackApi } from './fakes/slack-api.ts';
import { eventBody, SIGNING_SECRET, sendBlockAction, sendSigned } from './fakes/slack-requests.ts';
import { NO_REDIS, startTestRedis, type TestRedis } from './support/redis.ts';
import { answerTexts, ephemeralTexts, feedbackButtons, isSourcesMessage, sleep, waitForSources } from './support/slack-view.ts';

interface Replica {
  name: string;
  bot: SlackBot;
  state: ChatState;
  url: string;
}

const CITED = [pageSource(1, 'userGuide/manage-collections.md', 'Manage Collections', 'Create a collection')];

describe('two Slack replicas sharing one Redis', { skip: NO_REDIS }, () => {
  let redis: TestRedis;
  let api: FakeSlackApi;
  let a: Replica;
  let b: Replica;
  const engine = new ScriptedEngine(() => ({ text: 'Use `create_collection` [1].', citations: CITED, chunkChars: 30, delayMs: 5 }));

  async function startReplica(name: string): Promise<Replica> {
    const config = loadConfig(
      {
        SLACK_BOT_TOKEN: FAKE_BOT.token,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: api.apiUrl,
        PORT: '0',
        REDIS_URL: redis.url,
        USER_MAX_CONCURRENT: '6',
        USER_QUESTIONS_PER_MINUTE: '6',
        CHANNEL_MAX_CONCURRENT: '50',
      },
      { envFile: false },
    );
    const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }).child({ replica: name });
    const state = openChatState(config, logger);
    assert.equal(await state.redis?.whenReady(5_000), true);
    // The same wiring as `askdocs slack` (src/cli/commands/slack-bot.ts).
    const bot = createSlackApp({
      engine,
      config,
      logger,
      feedback: state.feedback,
      claims: state.claims,
      limits: state.limits,
      threads: state.threads,
      retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 20 },
    });
    const { port } = await bot.start();
    return { name, bot, state, url: `http://127.0.0.1:${port}/slack/events` };
  }

  before(async () => {
    redis = await startTestRedis();
    api = await new FakeSlackApi().start();
    a = await startReplica('A');
    b = await startReplica('B');
  });
  after(async () => {
    for (const replica of [a, b]) {
      await replica?.bot.stop();
      await replica?.state.close();
    }
    await api?.stop();
    await redis?.close();
  });

  function mention(channel: string, user: string, question: string) {
    const text = `<@${FAKE_BOT.userId}> ${question}`;
    const ts = api.addUserMessage({ channel, user, text });
    return { ts, ...eventBody({ type: 'app_mention', channel, user, text, ts }) };
  }

  const sourcesReplies = (channel: string, ts: string) => api.threadReplies(channel, ts).filter(isSourcesMessage);
  const asked = (question: string) => engine.questions.filter((q) => q.text === question).length;

  it('answers an event delivered to both replicas, and then retried to both, exactly once', async () => {
    const channel = 'C0BOTH';
    const event = mention(channel, 'U0A', 'how do I create a collection?');
    const first = await Promise.all([a, b].map((replica) => sendSigned(replica.url, event.body, 'application/json')));
    assert.deepEqual(
      first.map((r) => r.status),
      [200, 200],
    );
    await waitForSources(api, channel, event.ts);
    for (const [retryNum, replica] of [
      [1, b],
      [2, a],
    ] as const) {
      assert.equal((await sendSigned(replica.url, event.body, 'application/json', { retryNum })).status, 200);
    }
    await sleep(400);
    assert.equal(asked('how do I create a collection?'), 1, 'the engine was asked once');
    assert.equal(answerTexts(api, channel, event.ts).length, 1, 'one answer in the thread');
    assert.equal(sourcesReplies(channel, event.ts).length, 1, 'one sources reply');
  });

  it("records a 👍 clicked on replica B for an answer replica A posted, once, with A's question and answer", async () => {
    const channel = 'C0VOTE';
    const event = mention(channel, 'U0ASKER', 'how do I load a collection?');
    await sendSigned(a.url, event.body, 'application/json');
    const sources = await waitForSources(api, channel, event.ts);
    const [up] = feedbackButtons(sources);
    assert.ok(up?.action_id);
    const click = {
      user: 'U0VOTER',
      channel,
      messageTs: sources.ts,
      threadTs: event.ts,
      actionId: up.action_id,
      value: up.value ?? 'up',
      responseUrl: api.responseUrl('vote'),
    };
    assert.equal((await sendBlockAction(b.url, click)).status, 200);
    await api.waitFor(() => ephemeralTexts(api, channel).some((text) => /Thanks/.test(text)), 5_000, 'thanks');
    // The voter clicks again, on the other replica this time.
    assert.equal((await sendBlockAction(a.url, click)).status, 200);
    await api.waitFor(() => ephemeralTexts(api, channel).filter((text) => /Thanks/.test(text)).length === 2, 5_000, 'second thanks');

    const records = (await b.state.feedback.list()).filter((record) => record.channelId === channel);
    assert.equal(records.length, 1, 'one vote per user and answer');
    assert.equal(records[0]?.vote, 'up');
    assert.equal(records[0]?.userId, 'U0VOTER');
    assert.equal(records[0]?.question, 'how do I load a collection?');
    assert.equal(records[0]?.answer, 'Use `create_collection` [1].');
    assert.deepEqual(
      records[0]?.sources.map((s) => s.path),
      ['userGuide/manage-collections.md'],
    );
  });

  it('answers a thread follow-up on replica A in a thread that replica B joined after A had looked', async () => {
    const channel = 'C0THREAD';
    const root = api.addUserMessage({ channel, user: 'U0T', text: 'anyone know how to create a collection?' });
    // A colleague replies in the thread; replica A checks the thread and finds the bot is not in it.
    const chatter = api.addUserMessage({ channel, user: 'U0OTHER', text: 'no idea', thread_ts: root });
    await sendSigned(
      a.url,
      eventBody({ type: 'message', channel, user: 'U0OTHER', text: 'no idea', ts: chatter, thread_ts: root }).body,
      'application/json',
    );
    await api.waitFor(() => api.callsTo('conversations.replies').some((call) => call.args.ts === root), 5_000, 'A read the thread');
    await sleep(100);
    // Then someone mentions the bot in the thread, and replica B answers.
    const text = `<@${FAKE_BOT.userId}> how do I create a collection in this thread?`;
    const mentionTs = api.addUserMessage({ channel, user: 'U0T', text, thread_ts: root });
    await sendSigned(
      b.url,
      eventBody({ type: 'app_mention', channel, user: 'U0T', text, ts: mentionTs, thread_ts: root }).body,
      'application/json',
    );
    await api.waitFor(() => sourcesReplies(channel, root).length === 1, 10_000, 'B answered in the thread');
    // The follow-up, without a mention, lands on replica A.
    const followUp = api.addUserMessage({ channel, user: 'U0T', text: 'and how do I drop it?', thread_ts: root });
    await sendSigned(
      a.url,
      eventBody({ type: 'message', channel, user: 'U0T', text: 'and how do I drop it?', ts: followUp, thread_ts: root }).body,
      'application/json',
    );
    await api.waitFor(() => sourcesReplies(channel, root).length === 2, 10_000, 'A answered the follow-up');
    assert.equal(asked('and how do I drop it?'), 1);
  });

  it("refuses a user's 7th question in a minute whichever replica gets it", async () => {
    const channel = 'C0RATE';
    for (let i = 1; i <= 6; i++) {
      const event = mention(channel, 'U0EAGER', `rate question ${i}`);
      await sendSigned((i % 2 ? a : b).url, event.body, 'application/json');
      await waitForSources(api, channel, event.ts);
    }
    for (const [i, replica] of [
      [7, a],
      [8, b],
    ] as const) {
      const event = mention(channel, 'U0EAGER', `rate question ${i}`);
      await sendSigned(replica.url, event.body, 'application/json');
      await api.waitFor(
        () => ephemeralTexts(api, channel).filter((text) => /You've asked 6 questions in the last minute/.test(text)).length === i - 6,
        5_000,
        `refusal of question ${i} on ${replica.name}`,
      );
      assert.equal(asked(`rate question ${i}`), 0, `question ${i} never reached the engine`);
      assert.equal(answerTexts(api, channel, event.ts).length, 0);
    }
  });

  it('gives every question of a burst exactly one answer or one plain message when Redis stops and comes back', async () => {
    const channel = 'C0FAULT';
    const burst = Array.from({ length: 24 }, (_, i) => ({
      i,
      replica: i % 2 ? b : a,
      ...mention(channel, `U0F${i}`, `fault question ${i}`),
    }));
    const sentDuringOutage: typeof burst = [];
    for (const question of burst) {
      if (question.i === 8) await redis.stop();
      if (question.i === 16) {
        await redis.start();
        await api.waitFor(() => a.state.redis?.available && b.state.redis?.available, 10_000, 'both replicas reconnected');
      }
      if (question.i >= 8 && question.i < 16) sentDuringOutage.push(question);
      assert.equal((await sendSigned(question.replica.url, question.body, 'application/json')).status, 200);
      await sleep(20);
    }
    // Slack retries the deliveries it sent during the outage; this time they land on the other replica.
    await sleep(300);
    for (const question of sentDuringOutage) {
      const other = question.replica === a ? b : a;
      assert.equal((await sendSigned(other.url, question.body, 'application/json', { retryNum: 1 })).status, 200);
    }

    await api.waitFor(() => burst.every((q) => sourcesReplies(channel, q.ts).length > 0), 20_000, 'every question answered');
    await sleep(500);
    for (const question of burst) {
      assert.equal(asked(`fault question ${question.i}`), 1, `question ${question.i} answered once`);
      assert.equal(answerTexts(api, channel, question.ts).length, 1, `question ${question.i}: one answer`);
      assert.equal(sourcesReplies(channel, question.ts).length, 1, `question ${question.i}: one sources reply`);
    }
    assert.deepEqual(ephemeralTexts(api, channel), [], 'nobody was refused or told something failed');
  });
});
