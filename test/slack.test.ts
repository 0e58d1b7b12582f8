/**
 * The Slack bot over real signed HTTP requests to the real Bolt app, against the fake
 * Slack Web API: slash commands, mentions, thread follow-ups, DMs, feedback buttons,
 * duplicate deliveries and request verification. Asserts what users see.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../src/paths.ts';
import { pageSource, ScriptedEngine } from './fakes/engine.ts';
import { FAKE_BOT } from './fakes/slack-api.ts';
import { eventBody, sendBlockAction, sendEvent, sendSigned, sendSlashCommand } from './fakes/slack-requests.ts';
import { type SlackHarness, startSlackHarness } from './support/slack-harness.ts';
import {
  answerTexts,
  blocksOf,
  ephemeralTexts,
  feedbackButtons,
  nativeFeedbackButtons,
  sleep,
  sourceLines,
  sourcesReply,
  waitForSources,
} from './support/slack-view.ts';

const ANSWER = [
  'Create an index with **create_index** [1], then load the collection [2].',
  '',
  '- Pick `HNSW` for speed',
  '- See the [index guide](https://milvus.io/docs/index.md)',
  '',
  '```python',
  'client.create_index("docs", index_params)',
  '```',
].join('\n');

const CITED = [
  pageSource(
    1,
    'userGuide/manage-indexes/index-vector-fields.md',
    'Index Vector Fields',
    'Create an index',
    'https://milvus.io/docs/index-vector-fields.md',
  ),
  pageSource(2, 'userGuide/load-and-release.md', 'Load & Release', 'Load a collection'),
];

describe('Slack bot over HTTP', () => {
  let h: SlackHarness;
  const engine = new ScriptedEngine((question) =>
    question.text.includes('abstain')
      ? { text: "I couldn't find this in the docs.", citations: [CITED[1]!], abstained: true }
      : question.text.startsWith('thanks')
        ? { text: 'Glad to help!', mode: 'acknowledged' }
        : { text: ANSWER, citations: CITED, sources: [...CITED, pageSource(3, 'other.md', 'Other')], chunkChars: 25, delayMs: 15 },
  );

  before(async () => {
    h = await startSlackHarness({ engine });
  });
  after(async () => {
    await h.close();
  });

  it('/askdocs: acks at once, posts question and answer in the channel, sources in its thread', async () => {
    const channel = 'C0SLASH';
    const ack = await sendSlashCommand(h.url, {
      text: 'How do I create an index?',
      channel,
      user: 'U0ASKER',
      responseUrl: h.api.responseUrl('slash1'),
    });
    assert.equal(ack.status, 200);
    assert.equal(ack.body, '', 'an empty ack: nothing ephemeral when a question was asked');

    const top = await h.api.waitFor(
      () => h.api.messages.find((m) => m.channel === channel && m.bot_id && !m.thread_ts),
      5000,
      'question message',
    );
    const sources = await waitForSources(h.api, channel, top.ts);

    // The ack reached Slack before the bot posted anything.
    const firstPost = h.api.calls.find((call) => call.method === 'chat.postMessage' && call.args.channel === channel);
    assert.ok(firstPost && ack.answeredAt <= firstPost.at + 1, 'ack before the first message');

    // Visible in the channel: who asked, what, and the answer converted to mrkdwn.
    assert.match(top.text, /^\*<@U0ASKER> asked:\* How do I create an index\?/);
    assert.match(top.text, /\*create_index\*/, 'bold converted');
    assert.doesNotMatch(top.text, /\*\*create_index\*\*/);
    assert.match(top.text, /\[1\].*\[2\]/, 'citations kept');
    assert.match(top.text, /<https:\/\/milvus\.io\/docs\/index\.md\|index guide>/, 'link converted');
    assert.match(top.text, /•\s+Pick `HNSW` for speed/, 'list converted');
    assert.match(top.text, /```\nclient\.create_index\("docs", index_params\)\n```/, 'code block kept');
    assert.equal(blocksOf(top)[0]?.block_id, 'askdocs_question');

    // It streamed: placeholder first, then updates, all before the sources.
    const updates = h.api.callsTo('chat.update').filter((call) => call.args.channel === channel);
    assert.ok(updates.length >= 1);
    assert.match(String(firstPost?.args.text), /Searching the docs/);
    const sourcesCall = h.api.callsTo('chat.postMessage').find((call) => call.args.channel === channel && call.args.thread_ts === top.ts);
    assert.ok(sourcesCall && updates.every((call) => call.at < sourcesCall.at), 'sources come after the final answer');

    // Sources: only the cited ones, numbered, title › heading, link or path, feedback buttons.
    assert.equal(sources.thread_ts, top.ts);
    const lines = sourceLines(sources);
    assert.equal(lines.length, 2, 'uncited source 3 is not listed');
    assert.equal(lines[0], '*[1]* <https://milvus.io/docs/index-vector-fields.md|Index Vector Fields › Create an index>');
    assert.equal(lines[1], '*[2]* Load &amp; Release › Load a collection — `userGuide/load-and-release.md`');
    assert.deepEqual(
      feedbackButtons(sources).map((button) => button.action_id),
      ['askdocs_feedback_up', 'askdocs_feedback_down'],
    );
    assert.ok(blocksOf(sources).length <= 50);
  });

  it('/askdocs with no text shows usage help privately and posts nothing', async () => {
    const before = h.api.calls.length;
    const ack = await sendSlashCommand(h.url, { text: '  ', channel: 'C0EMPTY', user: 'U0ASKER', responseUrl: h.api.responseUrl('empty') });
    assert.equal(ack.status, 200);
    const body = JSON.parse(ack.body) as { response_type: string; text: string };
    assert.equal(body.response_type, 'ephemeral');
    assert.match(body.text, /\/askdocs <your question>/);
    await sleep(100);
    assert.equal(h.api.calls.slice(before).filter((call) => call.args.channel === 'C0EMPTY').length, 0);
  });

  it('/askdocs with only control or zero-width characters is empty: usage help privately, nothing posted or asked', async () => {
    for (const [i, text] of ['\x01\x02\x07', '\u200b\u200b', '\x1b[2J \ufeff\u2060'].entries()) {
      const channel = `C0INVISIBLE${i}`;
      const before = h.api.calls.length;
      const ack = await sendSlashCommand(h.url, { text, channel, user: 'U4', responseUrl: h.api.responseUrl(`invisible${i}`) });
      assert.equal(ack.status, 200);
      const body = JSON.parse(ack.body) as { response_type: string; text: string };
      assert.equal(body.response_type, 'ephemeral', JSON.stringify(text));
      assert.match(body.text, /\/askdocs <your question>/);
      await sleep(100);
      assert.deepEqual(
        h.api.calls.slice(before).filter((call) => call.args.channel === channel),
        [],
        'nothing posted in the channel',
      );
      assert.ok(!engine.questions.some((q) => q.scope?.channelId === channel), 'nothing asked');
    }
  });

  it('an @-mention with only control or zero-width characters gets the usage help privately, as an empty one does', async () => {
    const channel = 'C0MENTIONCTRL';
    const text = `<@${FAKE_BOT.userId}> \x01\x02\u200b`;
    const ts = h.api.addUserMessage({ channel, user: 'U4', text });
    await sendEvent(h.url, { type: 'app_mention', channel, user: 'U4', text, ts });
    await h.api.waitFor(() => ephemeralTexts(h.api, channel).find((t) => /\/askdocs <your question>/.test(t)), 5000, 'usage note');
    await sleep(100);
    assert.deepEqual(h.api.threadReplies(channel, ts), [], 'nothing posted in the thread');
    assert.ok(!engine.questions.some((q) => q.scope?.channelId === channel), 'nothing asked');
  });

  it('control and zero-width characters inside a question are dropped: the channel and the engine get what the asker sees', async () => {
    const channel = 'C0CTRLINSIDE';
    await sendSlashCommand(h.url, {
      text: 'How\u200b do I\x07 create\x1b[31m an index?\u200b',
      channel,
      user: 'U4',
      responseUrl: h.api.responseUrl('ctrl-inside'),
    });
    const top = await h.api.waitFor(
      () => h.api.messages.find((m) => m.channel === channel && m.bot_id && !m.thread_ts),
      5000,
      'question message',
    );
    await waitForSources(h.api, channel, top.ts);
    assert.match(h.api.messages.find((m) => m.ts === top.ts)?.text ?? '', /^\*<@U4> asked:\* How do I create an index\?\n/);
    assert.deepEqual(
      engine.questions.filter((q) => q.scope?.channelId === channel).map((q) => q.text),
      ['How do I create an index?'],
    );
  });

  it('an over-long /askdocs question is refused privately in the ack; nothing is posted in the channel', async () => {
    const channel = 'C0LONG';
    const before = h.api.calls.length;
    const text = `${'why does my query time out '.repeat(200)}?`;
    const ack = await sendSlashCommand(h.url, { text, channel, user: 'U4', responseUrl: h.api.responseUrl('long') });
    assert.equal(ack.status, 200);
    const body = JSON.parse(ack.body) as { response_type: string; text: string };
    assert.deepEqual(body, {
      response_type: 'ephemeral',
      text: `That question is too long (${text.trim().length} characters; the limit is 4000). Please shorten it.`,
    });
    await sleep(100);
    assert.deepEqual(
      h.api.calls.slice(before).filter((call) => call.args.channel === channel),
      [],
      'nothing posted in the channel',
    );
    assert.ok(!engine.questions.some((q) => q.scope?.channelId === channel), 'nothing asked');
  });

  it('an over-long @-mention is refused privately, as an empty one is; the question is never posted', async () => {
    const channel = 'C0LONGMENTION';
    const question = `${'why does my query time out '.repeat(200)}?`;
    const text = `<@${FAKE_BOT.userId}> ${question}`;
    const ts = h.api.addUserMessage({ channel, user: 'U4', text });
    await sendEvent(h.url, { type: 'app_mention', channel, user: 'U4', text, ts });
    const note = await h.api.waitFor(() => ephemeralTexts(h.api, channel).find((t) => /too long/.test(t)), 5000, 'refusal');
    assert.equal(note, `That question is too long (${question.trim().length} characters; the limit is 4000). Please shorten it.`);
    await sleep(100);
    assert.deepEqual(h.api.threadReplies(channel, ts), [], 'nothing posted in the thread');
    assert.ok(!h.api.calls.some((call) => call.method !== 'chat.postEphemeral' && call.args.channel === channel), 'no other call');
    assert.ok(!engine.questions.some((q) => q.scope?.channelId === channel), 'nothing asked');
  });

  it('a mention is answered only once the Slack requests still arriving have been acked', async () => {
    const channel = 'C0BURST';
    const text = `<@${FAKE_BOT.userId}> how do I load a collection?`;
    const ts = h.api.addUserMessage({ channel, user: 'U0BURST', text });
    // The next delivery of a burst, still on the wire: a channel message the bot ignores.
    const chatter = eventBody({ type: 'message', channel: 'C0OTHER', user: 'U0OTHER', text: 'lunch?', ts: '1700000001.000100' });
    const slow = sendSigned(h.url, chatter.body, 'application/json', { trickleMs: 400 });
    await sleep(50);
    const delivered = await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0BURST', text, ts });
    assert.equal(delivered.status, 200);
    const other = await slow;
    assert.equal(other.status, 200);
    await waitForSources(h.api, channel, ts);
    const start = h.api.callsTo('chat.startStream').find((call) => call.args.channel === channel);
    assert.ok(start, 'the mention was answered');
    assert.ok(delivered.answeredAt < other.answeredAt, 'the mention was acked while the other request was still arriving');
    assert.ok(start.at >= other.answeredAt - 5, `the answer started ${Math.round(other.answeredAt - start.at)} ms before the other ack`);
  });

  it('@-mention: answers in a thread on the mention, streamed, then sources as a further reply', async () => {
    const channel = 'C0MENTION';
    const text = `<@${FAKE_BOT.userId}> how do I create an index?`;
    const ts = h.api.addUserMessage({ channel, user: 'U0MENTIONER', text });
    const delivered = await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0MENTIONER', text, ts });
    assert.equal(delivered.status, 200);

    const sources = await waitForSources(h.api, channel, ts);
    const start = h.api.callsTo('chat.startStream').find((call) => call.args.channel === channel);
    assert.ok(start, 'chat.startStream used');
    assert.ok(delivered.answeredAt <= start.at + 1, 'event acked before the answer started');
    assert.equal(start.args.thread_ts, ts);
    assert.equal(start.args.recipient_user_id, 'U0MENTIONER');
    assert.equal(start.args.recipient_team_id, FAKE_BOT.teamId);
    assert.ok(
      h.api.callsTo('chat.appendStream').some((call) => call.args.channel === channel),
      'text appended while generated',
    );
    const stop = h.api.callsTo('chat.stopStream').find((call) => call.args.channel === channel);
    assert.ok(stop);

    // In the thread: the streamed answer (exact Markdown, rendered by Slack), then sources.
    const replies = h.api.threadReplies(channel, ts);
    assert.equal(replies.length, 2);
    assert.equal(h.api.visibleText(replies[0]!), ANSWER);
    assert.equal(replies[1], sources);
    assert.ok(sourcesReply(h.api, channel, ts));
    // The question reached the engine without the mention.
    assert.ok(engine.questions.some((q) => q.text === 'how do I create an index?' && q.scope?.channelId === channel));
  });

  it('thread follow-ups: answered without a mention, with the thread as history; never in threads it is not part of', async () => {
    const channel = 'C0THREAD';
    const question = `<@${FAKE_BOT.userId}> how do I create an index?`;
    const root = h.api.addUserMessage({ channel, user: 'U0A', text: question });
    await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0A', text: question, ts: root });
    await waitForSources(h.api, channel, root);

    const followUp = 'And for a float16 vector field?';
    const replyTs = h.api.addUserMessage({ channel, user: 'U0B', text: followUp, thread_ts: root });
    await sendEvent(h.url, { type: 'message', channel, user: 'U0B', text: followUp, ts: replyTs, thread_ts: root });
    await h.api.waitFor(
      () => h.api.threadReplies(channel, root).filter((m) => blocksOf(m).some((b) => b.block_id === 'askdocs_sources_header')).length === 2,
      10_000,
      'second sources reply',
    );
    const asked = engine.questions.find((q) => q.text === followUp);
    assert.ok(asked, 'follow-up reached the engine');
    assert.deepEqual(
      asked.history?.map((turn) => turn.role),
      ['user', 'assistant'],
    );
    assert.equal(asked.history?.[0]?.content, 'how do I create an index?');
    assert.match(asked.history?.[1]?.content ?? '', /create_index/);
    assert.ok(h.api.callsTo('conversations.replies').some((call) => call.args.channel === channel && call.args.ts === root));

    // A message to someone else in the thread is theirs to answer, not the bot's.
    const aside = '<@U0A> can you review my PR when you have a minute?';
    const asideTs = h.api.addUserMessage({ channel, user: 'U0B', text: aside, thread_ts: root });
    await sendEvent(h.url, { type: 'message', channel, user: 'U0B', text: aside, ts: asideTs, thread_ts: root });
    const next = 'And for a partition?';
    const nextTs = h.api.addUserMessage({ channel, user: 'U0B', text: next, thread_ts: root });
    await sendEvent(h.url, { type: 'message', channel, user: 'U0B', text: next, ts: nextTs, thread_ts: root });
    await h.api.waitFor(
      () => h.api.threadReplies(channel, root).filter((m) => blocksOf(m).some((b) => b.block_id === 'askdocs_sources_header')).length === 3,
      10_000,
      'third sources reply',
    );
    assert.ok(engine.questions.some((q) => q.text === next));
    assert.ok(!engine.questions.some((q) => q.text.includes('review my PR')), 'the aside was not asked');

    // A thread between people that the bot never joined: read, but not answered.
    const other = h.api.addUserMessage({ channel, user: 'U0C', text: 'lunch?' });
    const otherReply = h.api.addUserMessage({ channel, user: 'U0D', text: 'sure, how about noon', thread_ts: other });
    const before = h.api.calls.length;
    await sendEvent(h.url, { type: 'message', channel, user: 'U0D', text: 'sure, how about noon', ts: otherReply, thread_ts: other });
    await h.api.waitFor(() => h.api.calls.slice(before).some((call) => call.method === 'conversations.replies'), 5000, 'thread lookup');
    await sleep(200);
    assert.deepEqual(
      h.api.calls.slice(before).map((call) => call.method),
      ['conversations.replies'],
    );
    // Top-level channel chatter without a mention is ignored too.
    const chatter = h.api.addUserMessage({ channel, user: 'U0C', text: 'how do I create an index?' });
    await sendEvent(h.url, { type: 'message', channel, user: 'U0C', text: 'how do I create an index?', ts: chatter });
    await sleep(200);
    assert.equal(h.api.calls.length, before + 1);
  });

  it('never answers its own or other bots’ messages', async () => {
    const channel = 'C0BOTS';
    const before = h.api.calls.length;
    const questionsBefore = engine.questions.length;
    const own = h.api.addUserMessage({ channel, user: FAKE_BOT.userId, bot_id: FAKE_BOT.botId, text: 'an answer' });
    await sendEvent(h.url, {
      type: 'message',
      channel,
      user: FAKE_BOT.userId,
      bot_id: FAKE_BOT.botId,
      text: 'an answer',
      ts: own,
      channel_type: 'im',
    });
    const otherBot = h.api.addUserMessage({ channel, user: 'U0OTHERBOT', bot_id: 'B0OTHER', text: `<@${FAKE_BOT.userId}> ping` });
    await sendEvent(h.url, {
      type: 'app_mention',
      channel,
      user: 'U0OTHERBOT',
      bot_id: 'B0OTHER',
      text: `<@${FAKE_BOT.userId}> ping`,
      ts: otherBot,
    });
    await sendEvent(h.url, {
      type: 'message',
      channel: 'D0BOTDM',
      user: 'U0OTHERBOT',
      bot_id: 'B0OTHER',
      subtype: 'bot_message',
      text: 'hello',
      ts: otherBot,
      channel_type: 'im',
    });
    await sleep(300);
    assert.equal(h.api.calls.length, before);
    assert.equal(engine.questions.length, questionsBefore);
  });

  it('one answer per message: app_mention + message for the same ts, and Slack retries, are deduplicated', async () => {
    const channel = 'C0DEDUPE';
    const root = h.api.addUserMessage({ channel, user: 'U0A', text: `<@${FAKE_BOT.userId}> how do I create an index?` });
    await sendEvent(h.url, {
      type: 'app_mention',
      channel,
      user: 'U0A',
      text: `<@${FAKE_BOT.userId}> how do I create an index?`,
      ts: root,
    });
    await waitForSources(h.api, channel, root);

    // A mention inside the followed thread arrives twice, once per subscription.
    const text = `<@${FAKE_BOT.userId}> and how do I drop it?`;
    const ts = h.api.addUserMessage({ channel, user: 'U0A', text, thread_ts: root });
    const asMessage = await sendEvent(h.url, { type: 'message', channel, user: 'U0A', text, ts, thread_ts: root });
    const asMention = await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0A', text, ts, thread_ts: root });
    // Slack retries the app_mention delivery (same event_id) after a timeout.
    const retry = await sendSigned(
      h.url,
      eventBody({ type: 'app_mention', channel, user: 'U0A', text, ts, thread_ts: root, eventId: asMention.eventId }).body,
      'application/json',
      { retryNum: 1 },
    );
    assert.deepEqual([asMessage.status, asMention.status, retry.status], [200, 200, 200]);

    await h.api.waitFor(
      () => h.api.threadReplies(channel, root).filter((m) => blocksOf(m).some((b) => b.block_id === 'askdocs_sources_header')).length >= 2,
      10_000,
      'second answer',
    );
    await sleep(400);
    assert.equal(engine.questions.filter((q) => q.text === 'and how do I drop it?').length, 1, 'answered exactly once');
    assert.equal(answerTexts(h.api, channel, root).length, 2, 'two answers in the thread: first question and follow-up');
  });

  it('a retried event that was already handled is ignored; a retry of an unseen event is answered', async () => {
    const channel = 'C0RETRY';
    const text = `<@${FAKE_BOT.userId}> how do I create an index?`;
    const ts = h.api.addUserMessage({ channel, user: 'U0A', text });
    const first = await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0A', text, ts });
    await waitForSources(h.api, channel, ts);
    const { body } = eventBody({ type: 'app_mention', channel, user: 'U0A', text, ts, eventId: first.eventId });
    for (const retryNum of [1, 2, 3]) assert.equal((await sendSigned(h.url, body, 'application/json', { retryNum })).status, 200);
    await sleep(300);
    assert.equal(h.api.callsTo('chat.startStream').filter((call) => call.args.channel === channel).length, 1);

    // The first delivery never reached us (e.g. during a restart): the retry is answered.
    const lost = h.api.addUserMessage({ channel, user: 'U0A', text });
    await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0A', text, ts: lost }, { retryNum: 1 });
    await waitForSources(h.api, channel, lost);
  });

  it('DMs are answered directly, without a mention', async () => {
    const channel = 'D0DIRECT';
    const ts = h.api.addUserMessage({ channel, user: 'U0DM', text: 'how do I create an index?' });
    await sendEvent(h.url, { type: 'message', channel, user: 'U0DM', text: 'how do I create an index?', ts, channel_type: 'im' });
    const answer = await h.api.waitFor(
      () => h.api.messages.find((m) => m.channel === channel && m.bot_id && !m.thread_ts && m.text.includes('create_index')),
      5000,
      'DM answer',
    );
    await waitForSources(h.api, channel, answer.ts);
    assert.match(answer.text, /\*create_index\* \[1\]|create_index.*\[1\]/);
  });

  it('a DM of only control or zero-width characters gets the how-to, not silence; nothing is asked', async () => {
    const channel = 'D0INVISIBLE';
    const text = '\u200b\x01\x02';
    const ts = h.api.addUserMessage({ channel, user: 'U0DM', text });
    await sendEvent(h.url, { type: 'message', channel, user: 'U0DM', text, ts, channel_type: 'im' });
    await h.api.waitFor(() => ephemeralTexts(h.api, channel).find((t) => /\/askdocs <your question>/.test(t)), 5000, 'the how-to');
    await sleep(100);
    assert.ok(!h.api.messages.some((m) => m.channel === channel && m.bot_id), 'no answer posted');
    assert.ok(!engine.questions.some((q) => q.scope?.channelId === channel), 'nothing asked');
  });

  it('abstentions show the closest pages', async () => {
    const channel = 'C0ABSTAIN';
    const text = `<@${FAKE_BOT.userId}> please abstain`;
    const ts = h.api.addUserMessage({ channel, user: 'U0A', text });
    await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0A', text, ts });
    const sources = await waitForSources(h.api, channel, ts);
    assert.match(blocksOf(sources)[0]?.text?.text ?? '', /Closest pages/);
    assert.equal(sourceLines(sources).length, 1);
  });

  it('an acknowledgement ("thanks!") gets its short reply, and no sources or feedback buttons', async () => {
    const channel = 'C0THANKS';
    const text = `<@${FAKE_BOT.userId}> thanks!`;
    const ts = h.api.addUserMessage({ channel, user: 'U0A', text });
    await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0A', text, ts });
    await h.api.waitFor(
      () => h.api.threadReplies(channel, ts).some((m) => JSON.stringify(m).includes('Glad to help!')),
      10_000,
      'the reply',
    );
    await sleep(300);
    const replies = h.api.threadReplies(channel, ts);
    assert.equal(replies.length, 1, JSON.stringify(replies));
    assert.ok(!replies.some((m) => blocksOf(m).some((b) => b.block_id === 'askdocs_sources_header')));
    const stops = h.api.callsTo('chat.stopStream').filter((call) => call.args.channel === channel);
    assert.equal(stops.length, 1, 'the reply is streamed like an answer');
    assert.equal(stops[0]!.args.blocks, undefined, 'no Slack feedback buttons on it: there is no answer to rate');
  });

  it('feedback buttons: acked, recorded durably with question, answer and sources; a second click updates the vote', async () => {
    const channel = 'C0FEEDBACK';
    const text = `<@${FAKE_BOT.userId}> how do I create an index?`;
    const ts = h.api.addUserMessage({ channel, user: 'U0ASKER', text });
    await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0ASKER', text, ts });
    await waitForSources(h.api, channel, ts);
    // A streamed answer ends with Slack's own 👍/👎 (feedback_buttons); their value is the vote.
    const answer = h.api.threadReplies(channel, ts).find((m) => m.streamed);
    const native = nativeFeedbackButtons(answer);
    assert.ok(answer && native?.action_id);
    const up = { action_id: native.action_id, value: native.positive_button.value };
    const down = { action_id: native.action_id, value: native.negative_button.value };

    const click = (actionId: string, value: string) =>
      sendBlockAction(h.url, {
        user: 'U0VOTER',
        channel,
        messageTs: answer.ts,
        threadTs: ts,
        actionId,
        value,
        elementType: 'feedback_buttons',
        responseUrl: h.api.responseUrl('fb'),
      });
    const first = await click(up.action_id, up.value ?? 'up');
    assert.equal(first.status, 200);
    await h.api.waitFor(() => ephemeralTexts(h.api, channel).some((t) => /Thanks/.test(t)), 5000, 'thanks');
    let records = h.feedback.list().filter((r) => r.channelId === channel);
    assert.equal(records.length, 1);
    assert.equal(records[0]?.vote, 'up');
    assert.equal(records[0]?.userId, 'U0VOTER');
    assert.equal(records[0]?.question, 'how do I create an index?');
    assert.equal(records[0]?.answer, ANSWER);
    assert.deepEqual(
      records[0]?.sources.map((s) => [s.n, s.path]),
      [
        [1, 'userGuide/manage-indexes/index-vector-fields.md'],
        [2, 'userGuide/load-and-release.md'],
      ],
    );
    assert.match(records[0]?.at ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.ok(records[0]?.requestId);

    await click(down.action_id, down.value ?? 'down');
    await h.api.waitFor(() => ephemeralTexts(h.api, channel).length === 2, 5000, 'second acknowledgement');
    assert.equal(h.feedback.list().find((r) => r.channelId === channel)?.vote, 'down');
    records = h.feedback.list().filter((r) => r.channelId === channel);
    assert.equal(records.length, 1, 'the same user on the same message keeps one record');
  });

  it('rejects requests with a bad signature or a stale timestamp, and does nothing with them', async () => {
    const before = h.api.calls.length;
    const questionsBefore = engine.questions.length;
    const input = { text: 'how do I create an index?', channel: 'C0FORGED', user: 'U0EVIL', responseUrl: h.api.responseUrl('x') };
    const forged = await sendSlashCommand(h.url, input, { tamper: true });
    const wrongSecret = await sendSlashCommand(h.url, input, { secret: 'not-the-secret' });
    const stale = await sendSlashCommand(h.url, input, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    const ts = h.api.addUserMessage({ channel: 'C0FORGED', user: 'U0EVIL', text: `<@${FAKE_BOT.userId}> hi` });
    const staleEvent = await sendEvent(
      h.url,
      { type: 'app_mention', channel: 'C0FORGED', user: 'U0EVIL', text: `<@${FAKE_BOT.userId}> hi`, ts },
      { timestamp: Math.floor(Date.now() / 1000) - 3600 },
    );
    assert.deepEqual([forged.status, wrongSecret.status, stale.status, staleEvent.status], [401, 401, 401, 401]);
    await sleep(200);
    assert.equal(h.api.calls.length, before);
    assert.equal(engine.questions.length, questionsBefore);
  });

  it('the app manifest grants exactly the scopes, events and features the bot used', () => {
    const manifest = parse(readFileSync(resolve(PACKAGE_ROOT, 'deploy/slack-app-manifest.yaml'), 'utf8'));
    const scopeFor: Record<string, string[]> = {
      'auth.test': [],
      'chat.postMessage': ['chat:write'],
      'chat.update': ['chat:write'],
      'chat.delete': ['chat:write'],
      'chat.postEphemeral': ['chat:write'],
      'chat.startStream': ['chat:write'],
      'chat.appendStream': ['chat:write'],
      'chat.stopStream': ['chat:write'],
      // The status line, suggested prompts and title of assistant threads.
      'assistant.threads.setStatus': ['assistant:write'],
      'assistant.threads.setSuggestedPrompts': ['assistant:write'],
      'assistant.threads.setTitle': ['assistant:write'],
      // Public and private channels and DMs each need their own history scope.
      'conversations.replies': ['channels:history', 'groups:history', 'im:history'],
    };
    const used = new Set(h.api.calls.map((call) => call.method));
    for (const method of used) assert.ok(method in scopeFor, `unexpected Web API method ${method}`);
    const needed = new Set([...used].flatMap((method) => scopeFor[method] ?? []));
    // Receiving slash commands and mentions needs these two.
    needed.add('commands');
    needed.add('app_mentions:read');
    assert.deepEqual([...manifest.oauth_config.scopes.bot].sort(), [...needed].sort());
    assert.deepEqual([...manifest.settings.event_subscriptions.bot_events].sort(), [
      'app_mention',
      'assistant_thread_context_changed',
      'assistant_thread_started',
      'message.channels',
      'message.groups',
      'message.im',
    ]);
    // The AI-app split view is a feature of the app, and needs assistant:write.
    assert.ok(manifest.features.assistant_view?.assistant_description);
    assert.ok(manifest.oauth_config.scopes.bot.includes('assistant:write'));
    assert.equal(manifest.features.slash_commands[0].command, '/askdocs');
    assert.equal(manifest.settings.interactivity.is_enabled, true);
    for (const url of [
      manifest.features.slash_commands[0].url,
      manifest.settings.event_subscriptions.request_url,
      manifest.settings.interactivity.request_url,
    ]) {
      assert.match(url, /\/slack\/events$/);
    }
  });
});
