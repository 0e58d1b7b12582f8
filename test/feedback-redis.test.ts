/**
 * Feedback kept in Redis (FEEDBACK_DB=redis) by two Slack bot replicas (the real Bolt app,
 * HTTP receiver, signed requests) sharing one real redis-server: an answer finished while
 * Redis is down can still be rated once Redis is back, on either replica, and a vote on an
 * answer nothing knows of gets an apology instead of thanks and an "(unknown)" record.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FEEDBACK_ACTION } from '../adapters/slack/blocks.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { readFeedback } from '../src/feedback/reader.ts';
import { pageSource, ScriptedEngine } from './fakes/engine.ts';
import { FAKE_BOT, FakeSlackApi } from './fakes/slack-api.ts';
import { eventBody, SIGNING_SECRET, sendBlockAction, sendSigned } from './fakes/slack-requests.ts';
import { NO_REDIS, startTestRedis, type TestRedis } from './support/redis.ts';
import { type SlackReplica, startSlackReplica, stopSlackReplicas } from './support/slack-replica.ts';
import { ephemeralTexts, nativeFeedbackButtons, waitForSources } from './support/slack-view.ts';
import { until } from './support/until.ts';

const CITED = [pageSource(1, 'userGuide/manage-collections.md', 'Manage Collections', 'Create a collection')];
const THANKS = 'Thanks for the feedback! 👍';
const APOLOGY = "Sorry, I couldn't record your feedback. Please try again later.";

describe('feedback in Redis across an outage, with two Slack replicas', { skip: NO_REDIS }, () => {
  let redis: TestRedis;
  let api: FakeSlackApi;
  let config: Config;
  let a: SlackReplica;
  let b: SlackReplica;
  const engine = new ScriptedEngine(() => ({ text: 'Use `create_collection` [1].', citations: CITED, chunkChars: 30, delayMs: 5 }));

  const startReplica = (name: string) => startSlackReplica({ config, name, engine });

  before(async () => {
    redis = await startTestRedis();
    api = await new FakeSlackApi().start();
    config = loadConfig(
      { SLACK_BOT_TOKEN: FAKE_BOT.token, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: api.apiUrl, PORT: '0', REDIS_URL: redis.url },
      { envFile: false },
    );
    assert.equal(config.feedbackStore, 'redis');
    a = await startReplica('A');
    b = await startReplica('B');
  });
  after(async () => {
    await stopSlackReplicas([a, b]);
    await api?.stop();
    await redis?.close();
  });

  /** A click on Slack's 👍 under `messageTs`, sent to `replica`. */
  const clickUp = (replica: SlackReplica, channel: string, messageTs: string, threadTs: string, actionId: string, value: string) =>
    sendBlockAction(replica.url, {
      user: 'U0VOTER',
      channel,
      messageTs,
      threadTs,
      actionId,
      value,
      elementType: 'feedback_buttons',
      responseUrl: api.responseUrl('vote'),
    });

  it('an answer finished while Redis was down is saved when Redis is back, and a 👍 on the other replica is thanked and listed with its question', async () => {
    const channel = 'C0OUTAGE';
    const question = 'how do I create a collection during an outage?';
    const text = `<@${FAKE_BOT.userId}> ${question}`;

    await redis.stop();
    await until('replica A to see Redis down', () => !a.state.redis?.available, { intervalMs: 25 });
    const ts = api.addUserMessage({ channel, user: 'U0ASKER', text });
    await sendSigned(a.url, eventBody({ type: 'app_mention', channel, user: 'U0ASKER', text, ts }).body, 'application/json');
    await waitForSources(api, channel, ts);
    const answer = api.threadReplies(channel, ts).find((message) => message.streamed);
    const up = nativeFeedbackButtons(answer);
    assert.ok(answer && up, 'answered with feedback buttons while Redis is down');
    // Kept for later, not lost: a warning for the operator, not an error.
    await until('the unsaved answer to be logged', () => a.logs.some((line) => String(line.msg).startsWith('feedback: ')), {
      timeoutMs: 5_000,
    });
    const unsaved = a.logs.filter((line) => String(line.msg).startsWith('feedback: '));
    assert.deepEqual(
      unsaved.map((line) => [line.level, line.msg]),
      [['warn', 'feedback: the answer is saved when Redis is back']],
    );

    await redis.start();
    await until('both replicas to see Redis back', () => a.state.redis?.available && b.state.redis?.available, { intervalMs: 25 });
    // SlackReplica A writes the answer it could not save as it reconnects (milliseconds); the vote comes after that.
    const answerKey = `askdocs:feedback:answer:${JSON.stringify(['slack', `${channel}:${answer.ts}`])}`;
    await until('the answer saved during recovery', async () => (await b.state.redis?.client.exists(answerKey)) === 1, {
      timeoutMs: 5_000,
    });
    assert.equal((await clickUp(b, channel, answer.ts, ts, up.action_id, up.positive_button.value)).status, 200);
    await api.waitFor(() => ephemeralTexts(api, channel).length > 0, 5_000, 'a reply to the click');
    assert.deepEqual(ephemeralTexts(api, channel), [THANKS]);

    const records = (await readFeedback(config, { limit: 10 })).filter((record) => record.channelId === channel);
    assert.deepEqual(
      records.map((r) => [r.userId, r.vote, r.question, r.answer, r.sources.map((s) => s.path)]),
      [['U0VOTER', 'up', question, 'Use `create_collection` [1].', ['userGuide/manage-collections.md']]],
      '`askdocs feedback` lists the vote with its question and answer',
    );
    assert.match(records[0]?.requestId ?? '', /\S/, 'and its request id, which links it to the question in `askdocs gaps`');
  });

  it('a vote on an answer no replica saved gets an apology, and nothing is listed for it', async () => {
    const channel = 'C0LOST';
    const ts = api.addUserMessage({ channel, user: 'U0ASKER', text: 'an answer whose record was lost' });
    // The buttons of an answer whose record is gone (say, the replica holding it restarted during an outage).
    assert.equal((await clickUp(b, channel, `${ts}1`, ts, FEEDBACK_ACTION, 'up')).status, 200);
    await api.waitFor(() => ephemeralTexts(api, channel).length > 0, 5_000, 'a reply to the click');
    assert.deepEqual(ephemeralTexts(api, channel), [APOLOGY]);
    const records = (await readFeedback(config, { limit: 10 })).filter((record) => record.messageRef.startsWith(`${channel}:`));
    assert.deepEqual(records, [], 'no vote on "(unknown)"');
  });
});
