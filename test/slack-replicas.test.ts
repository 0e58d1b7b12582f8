/**
 * Two Slack bot replicas (the real Bolt app, HTTP receiver, signed requests) sharing one
 * real redis-server, as two `askdocs slack` pods behind a load balancer would: the same
 * event delivered to both and retried is answered once, a 👍 on B for A's answer is
 * recorded once with A's question, the per-minute limit holds across replicas, and a
 * Redis outage mid-burst loses no question and answers none twice. Then the first of
 * these again with two real `askdocs slack` processes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { NEEDS_SHARED } from './fakes/config.ts';
import { pageSource, ScriptedEngine } from './fakes/engine.ts';
import { type FakeLlm, startFakeLlm } from './fakes/llm-server.ts';
import { FAKE_BOT, FakeSlackApi } from './fakes/slack-api.ts';
import { eventBody, SIGNING_SECRET, sendBlockAction, sendSigned } from './fakes/slack-requests.ts';
import { FAQ_COLLECTION, startFaqMilvus, type TestMilvus } from './support/milvus.ts';
import { NO_REDIS, startTestRedis, type TestRedis } from './support/redis.ts';
import { type SlackProcess, startSlackProcess } from './support/slack-process.ts';
import { type SlackReplica, startSlackReplica, stopSlackReplicas } from './support/slack-replica.ts';
import { answerTexts, ephemeralTexts, isSourcesMessage, nativeFeedbackButtons, sleep, waitForSources } from './support/slack-view.ts';
import { until } from './support/until.ts';

const CITED = [pageSource(1, 'userGuide/manage-collections.md', 'Manage Collections', 'Create a collection')];

describe('two Slack replicas sharing one Redis', { skip: NO_REDIS }, () => {
  let redis: TestRedis;
  let api: FakeSlackApi;
  let a: SlackReplica;
  let b: SlackReplica;
  // The fault test's answers stream slowly, so some are in flight when Redis stops.
  const engine = new ScriptedEngine((q) =>
    q.text.startsWith('fault question')
      ? { text: 'Use `create_collection` [1].', citations: CITED, chunkChars: 4, delayMs: 60 }
      : { text: 'Use `create_collection` [1].', citations: CITED, chunkChars: 30, delayMs: 5 },
  );

  async function startReplica(name: string): Promise<SlackReplica> {
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
    return startSlackReplica({ config, name, engine, retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 20 } });
  }

  before(async () => {
    // With its data kept across a restart, as deployed (docs/deploy.md): claims made before an outage survive it.
    redis = await startTestRedis({ persistent: true });
    api = await new FakeSlackApi().start();
    a = await startReplica('A');
    b = await startReplica('B');
  });
  after(async () => {
    await stopSlackReplicas([a, b]);
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
    await waitForSources(api, channel, event.ts);
    // A streamed answer ends with Slack's own 👍/👎 (feedback_buttons), not a buttons message.
    const answer = api.threadReplies(channel, event.ts).find((message) => message.streamed);
    const up = nativeFeedbackButtons(answer);
    assert.ok(answer && up?.action_id, 'the streamed answer ends with feedback buttons');
    const click = {
      user: 'U0VOTER',
      channel,
      messageTs: answer.ts,
      threadTs: event.ts,
      actionId: up.action_id,
      value: up.positive_button.value,
      elementType: 'feedback_buttons' as const,
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

  it('gives every question of a burst exactly one answer or one plain message when Redis stops mid-burst and comes back', async () => {
    const channel = 'C0FAULT';
    const ask = (i: number) => ({ i, replica: i % 2 ? b : a, ...mention(channel, `U0F${i}`, `fault question ${i}`) });
    type Asked = ReturnType<typeof ask>;
    const other = (q: Asked) => (q.replica === a ? b : a);
    const send = async (q: Asked, replica: SlackReplica, retryNum?: number) =>
      assert.equal((await sendSigned(replica.url, q.body, 'application/json', retryNum ? { retryNum } : {})).status, 200);
    const wave = (from: number) => Array.from({ length: 8 }, (_, k) => ask(from + k));

    // Wave 1 is answering (each answer streams for about half a second) when Redis stops.
    const first = wave(0);
    await Promise.all(first.map((q) => send(q, q.replica)));
    await api.waitFor(() => first.every((q) => answerTexts(api, channel, q.ts).length > 0), 5_000, 'wave 1 answering');
    assert.ok(
      first.some((q) => sourcesReplies(channel, q.ts).length === 0),
      'some answers are still in flight when Redis stops',
    );
    await redis.stop();
    // Wave 2 arrives during the outage.
    const second = wave(8);
    await Promise.all(second.map((q) => send(q, q.replica)));
    await sleep(200);
    await redis.start();
    await api.waitFor(() => a.state.redis?.available && b.state.redis?.available, 10_000, 'both replicas reconnected');
    // Each replica writes the claims it made alone back to Redis as it reconnects; Slack's retries come after that.
    // (A retry that arrived before the write-back could be claimed and answered again: the write-back closes that
    // window, so the test waits for it, however slow a loaded machine makes it, instead of sending the retries anyway.)
    const shared = a.state.redis?.client;
    const writtenBack = async () =>
      (await Promise.all(second.map((q) => shared?.exists(`askdocs:claim:event:${q.eventId}`)))).every((n) => n === 1);
    await until('the claims made during the outage to be written back to Redis', writtenBack, { timeoutMs: 20_000 });
    // Wave 3 after it; and Slack's retries of everything sent before, landing on the other replica.
    const third = wave(16);
    await Promise.all([...third.map((q) => send(q, q.replica)), ...[...first, ...second].map((q) => send(q, other(q), 1))]);

    const burst = [...first, ...second, ...third];
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

/**
 * The same claim, end to end through the real command: two `askdocs slack` processes
 * (bin/askdocs.js, HTTP mode) with the real engine over a Milvus Lite holding the FAQ
 * pages and the local LLM server, sharing one redis-server through REDIS_URL.
 */
describe('two `askdocs slack` processes sharing one Redis', { skip: NO_REDIS || NEEDS_SHARED }, () => {
  let milvus: TestMilvus;
  let llm: FakeLlm;
  let redis: TestRedis;
  let api: FakeSlackApi;
  let workDir: string;
  const bots: SlackProcess[] = [];

  before(async () => {
    [milvus, llm, redis, api] = await Promise.all([startFaqMilvus(), startFakeLlm(), startTestRedis(), new FakeSlackApi().start()]);
    workDir = await mkdtemp(join(tmpdir(), 'askdocs-slack-replicas-'));
    for (let i = 0; i < 2; i++) {
      const bot = await startSlackProcess({
        api,
        milvus,
        collection: FAQ_COLLECTION,
        cwd: workDir,
        timeoutMs: 120_000,
        env: {
          LLM_BASE_URL: llm.url,
          DEEPSEEK_API_KEY: 'sk-slack-replicas-test',
          LLM_MAX_RETRIES: '0',
          REDIS_URL: redis.url,
          SHUTDOWN_TIMEOUT_MS: '5000',
        },
      });
      bots.push(bot);
    }
  });
  after(async () => {
    await Promise.all(
      bots.map(async ({ run }) => {
        run.child.kill('SIGTERM');
        // A kill after 10 s, cancelled once the bot has exited (a pending timer kept this file's process alive).
        const timer = setTimeout(() => run.kill(), 10_000);
        await run.exited;
        clearTimeout(timer);
      }),
    );
    await Promise.all([llm?.close(), milvus?.stop(), api?.stop(), redis?.close()]);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('say on /readyz that their state is shared', async () => {
    for (const { port } of bots) {
      const report = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as {
        checks: Record<string, { ok: boolean; detail?: string }>;
      };
      assert.equal(report.checks.redis?.ok, true);
      assert.match(report.checks.redis?.detail ?? '', /^Redis connected: event claims, limits and feedback are shared/);
    }
  });

  it('answer the same signed event, sent to both and then retried to both, exactly once', async () => {
    const channel = 'C0PROC';
    const text = `<@${FAKE_BOT.userId}> What is the maximum vector dimension supported in Milvus?`;
    const ts = api.addUserMessage({ channel, user: 'U0PROC', text });
    const { body } = eventBody({ type: 'app_mention', channel, user: 'U0PROC', text, ts });
    const first = await Promise.all(bots.map(({ eventsUrl }) => sendSigned(eventsUrl, body, 'application/json')));
    assert.deepEqual(
      first.map((response) => response.status),
      [200, 200],
    );
    const sources = await waitForSources(api, channel, ts, 60_000);
    const retries = await Promise.all(bots.map(({ eventsUrl }, i) => sendSigned(eventsUrl, body, 'application/json', { retryNum: i + 1 })));
    assert.deepEqual(
      retries.map((response) => response.status),
      [200, 200],
    );
    await sleep(1_000);
    const answers = answerTexts(api, channel, ts);
    assert.equal(answers.length, 1, 'one answer in the thread');
    assert.match(answers[0] ?? '', /\[1\]/, 'a cited answer');
    assert.deepEqual(
      api
        .threadReplies(channel, ts)
        .filter(isSourcesMessage)
        .map((m) => m.ts),
      [sources.ts],
      'one sources reply',
    );
    assert.equal(llm.chatRequests().filter((request) => request.stream).length, 1, 'the LLM wrote one answer');
  });
});
