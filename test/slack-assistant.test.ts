/**
 * Slack's surfaces for assistant apps, over real signed requests to the real Bolt app
 * against the fake Slack Web API: the AI-app split view (greeting, suggested prompts,
 * title, answers and follow-ups in the pane), the status line while working, Slack's own
 * feedback buttons on streamed answers, and the per-workspace streaming limits. Asserts
 * what users see.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pageSource, ScriptedEngine } from './fakes/engine.ts';
import { FAKE_BOT, FakeSlackApi } from './fakes/slack-api.ts';
import { sendAssistantThread, sendBlockAction, sendEvent } from './fakes/slack-requests.ts';
import { type SlackHarness, startSlackHarness } from './support/slack-harness.ts';
import {
  answerTexts,
  blocksOf,
  ephemeralTexts,
  feedbackButtons,
  nativeFeedbackButtons,
  sleep,
  waitForSources,
} from './support/slack-view.ts';

const ANSWER = 'Create a collection with `create_collection` [1], then load it [2].';
const CITED = [
  pageSource(1, 'userGuide/manage-collections.md', 'Manage Collections', 'Create a collection'),
  pageSource(2, 'userGuide/load-and-release.md', 'Load & Release', 'Load a collection'),
];
const DOCS = [
  { path: 'getstarted/quickstart.md', title: 'Quickstart' },
  { path: 'getstarted/install/install_standalone-docker.md', title: 'Install Milvus Standalone with Docker' },
  { path: 'userGuide/manage-collections.md', title: 'Manage Collections' },
  { path: 'userGuide/search-query-get/single-vector-search.md', title: 'Single-Vector Search' },
  { path: 'userGuide/insert-update-delete.md', title: 'Insert, Upsert & Delete' },
  { path: 'userGuide/search-overview.md', title: 'Vector Search Overview' },
  { path: 'reference/architecture/architecture_overview.md', title: 'Architecture Overview' },
  { path: 'reference/glossary.md', title: 'Glossary' },
  { path: 'faq/product_faq.md', title: 'Product FAQ' },
  { path: 'release_notes.md', title: 'Release Notes' },
  // The largest section, but with no page introducing it.
  ...['allocate', 'authenticate', 'backup', 'configure/limits', 'upgrade'].map((name) => ({
    path: `adminGuide/${name}.md`,
    title: `Admin: ${name}`,
  })),
];

const SEARCHING = 'is searching the docs…';
let threads = 0;
const newThreadTs = () => {
  threads += 1;
  return `${1_800_000_000 + threads}.000100`;
};

function statusCalls(h: SlackHarness, channel: string, threadTs: string): string[] {
  return h.api
    .callsTo('assistant.threads.setStatus')
    .filter((call) => call.args.channel_id === channel && call.args.thread_ts === threadTs)
    .map((call) => String(call.args.status));
}

/** Opens an assistant thread and waits for its greeting. */
async function openThread(h: SlackHarness, channel: string, user: string): Promise<string> {
  const threadTs = newThreadTs();
  assert.equal((await sendAssistantThread(h.url, { channel, user, threadTs, contextChannel: 'C0VIEWING' })).status, 200);
  await h.api.waitFor(
    () => h.api.threadReplies(channel, threadTs).find((m) => blocksOf(m).some((b) => b.block_id === 'askdocs_greeting')),
    5000,
    'the greeting',
  );
  return threadTs;
}

/** The user asks in the pane: a message event in the DM thread, as Slack sends it. */
async function askInPane(h: SlackHarness, channel: string, user: string, threadTs: string, text: string): Promise<string> {
  const ts = h.api.addUserMessage({ channel, user, text, thread_ts: threadTs });
  const sent = await sendEvent(h.url, { type: 'message', channel, user, text, ts, thread_ts: threadTs, channel_type: 'im' });
  assert.equal(sent.status, 200);
  return ts;
}

describe('Slack AI-app split view', () => {
  let h: SlackHarness;
  const engine = new ScriptedEngine(() => ({ text: ANSWER, citations: CITED, chunkChars: 12, delayMs: 20 }));

  before(async () => {
    h = await startSlackHarness({ engine, app: { docTitles: async () => DOCS } });
  });
  after(async () => {
    await h.close();
  });

  it('a new assistant thread gets a greeting and four suggested questions from the docs’ top-level titles', async () => {
    const channel = 'D0PANE1';
    const threadTs = await openThread(h, channel, 'U0PANE');
    const view = await h.api.waitFor(() => h.api.assistantThreads.get(`${channel}:${threadTs}`)?.prompts, 5000, 'suggested prompts');
    // One per top-level section, each section's shallowest page (an overview first): sections an
    // overview or quickstart introduces first, then the largest.
    assert.deepEqual(
      view.prompts.map((prompt) => prompt.title),
      ['Vector Search Overview', 'Quickstart', 'Admin: allocate', 'Glossary'],
    );
    assert.equal(view.prompts[0]?.message, 'What do the docs say about “Vector Search Overview”?');
    assert.equal(view.title, 'Try asking');
    assert.equal(h.api.statusOf(channel, threadTs), '');
    assert.equal(h.api.assistantThreads.get(`${channel}:${threadTs}`)?.title, undefined, 'no title before a question');
    assert.equal(engine.questions.length, 0, 'opening the pane asks nothing');
  });

  it('a question in the pane: status while searching, the answer streamed in the thread with sources, titled by the question', async () => {
    const channel = 'D0PANE2';
    const threadTs = await openThread(h, channel, 'U0PANE2');
    await askInPane(h, channel, 'U0PANE2', threadTs, 'How do I create a collection?');
    const sources = await waitForSources(h.api, channel, threadTs);

    assert.deepEqual(answerTexts(h.api, channel, threadTs).slice(-1), [ANSWER]);
    const start = h.api.callsTo('chat.startStream').find((call) => call.args.channel === channel);
    assert.equal(start?.args.thread_ts, threadTs);
    assert.equal(start?.args.recipient_user_id, 'U0PANE2');
    assert.equal(start?.args.recipient_team_id, FAKE_BOT.teamId);
    // The status line said what the bot was doing, and was cleared once text arrived.
    const statuses = statusCalls(h, channel, threadTs);
    assert.equal(statuses[0], SEARCHING);
    assert.equal(statuses.at(-1), '');
    assert.equal(h.api.statusOf(channel, threadTs), '');
    const firstAppend = h.api.callsTo('chat.appendStream').find((call) => call.args.channel === channel);
    const searching = h.api.callsTo('assistant.threads.setStatus').find((call) => call.args.channel_id === channel);
    assert.ok(firstAppend && searching && searching.at < firstAppend.at, 'the status came before the text');
    assert.equal(h.api.assistantThreads.get(`${channel}:${threadTs}`)?.title, 'How do I create a collection?');
    assert.ok(sources);
    // The greeting is not a turn of the conversation.
    assert.deepEqual(engine.questions.at(-1)?.history, []);
  });

  it('a follow-up in the pane is answered with the thread as history; the title stays the first question', async () => {
    const channel = 'D0PANE3';
    const threadTs = await openThread(h, channel, 'U0PANE3');
    await askInPane(h, channel, 'U0PANE3', threadTs, 'How do I create a collection?');
    await waitForSources(h.api, channel, threadTs);
    await askInPane(h, channel, 'U0PANE3', threadTs, 'and then load it?');
    await h.api.waitFor(() => engine.questions.some((q) => q.text === 'and then load it?'), 5000, 'the follow-up');
    // The greeting, then the two answers.
    await h.api.waitFor(() => answerTexts(h.api, channel, threadTs).length === 3, 5000, 'the second answer');
    const followUp = engine.questions.find((q) => q.text === 'and then load it?');
    assert.deepEqual(followUp?.history, [
      { role: 'user', content: 'How do I create a collection?' },
      { role: 'assistant', content: ANSWER },
    ]);
    assert.equal(h.api.callsTo('assistant.threads.setTitle').filter((c) => c.args.channel_id === channel).length, 1);
    assert.equal(h.api.assistantThreads.get(`${channel}:${threadTs}`)?.title, 'How do I create a collection?');
  });

  it('a message in the pane of only control or zero-width characters gets the how-to privately; nothing is asked or titled', async () => {
    const channel = 'D0PANEINVISIBLE';
    const threadTs = await openThread(h, channel, 'U0PANE4');
    await askInPane(h, channel, 'U0PANE4', threadTs, '\x01\x02\u200b');
    await h.api.waitFor(() => ephemeralTexts(h.api, channel).find((t) => /\/askdocs <your question>/.test(t)), 5000, 'the how-to');
    await sleep(100);
    assert.ok(!engine.questions.some((q) => q.scope?.channelId === channel), 'nothing asked');
    assert.equal(h.api.assistantThreads.get(`${channel}:${threadTs}`)?.title, undefined, 'not titled');
    assert.deepEqual(answerTexts(h.api, channel, threadTs).length, 1, 'only the greeting');
  });

  it('an over-long first question in the pane is refused privately and does not title the thread', async () => {
    const channel = 'D0PANELONG';
    const threadTs = await openThread(h, channel, 'U0PANE5');
    await askInPane(h, channel, 'U0PANE5', threadTs, 'why '.repeat(1_500));
    await h.api.waitFor(() => ephemeralTexts(h.api, channel).find((t) => /too long/.test(t)), 5000, 'the refusal');
    await sleep(100);
    assert.ok(!engine.questions.some((q) => q.scope?.channelId === channel), 'nothing asked');
    assert.equal(h.api.assistantThreads.get(`${channel}:${threadTs}`)?.title, undefined, 'not titled');
  });

  it('channel threads show the status line too', async () => {
    const channel = 'C0STATUS';
    const text = `<@${FAKE_BOT.userId}> how do I create a collection?`;
    const ts = h.api.addUserMessage({ channel, user: 'U0CHAN', text });
    await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0CHAN', text, ts });
    await waitForSources(h.api, channel, ts);
    const statuses = statusCalls(h, channel, ts);
    assert.equal(statuses[0], SEARCHING);
    assert.equal(statuses.at(-1), '');
  });

  it('a failed setStatus never blocks the answer: slow, failing or refused, the answer comes as usual', async () => {
    // Slow: the status call hangs for 4 s; the answer does not wait for it.
    h.api.delay('assistant.threads.setStatus', 4000);
    const slow = 'D0SLOWSTATUS';
    const slowThread = newThreadTs();
    const asked = performance.now();
    await askInPane(h, slow, 'U0SLOW', slowThread, 'How do I create a collection?');
    await waitForSources(h.api, slow, slowThread, 3000);
    assert.ok(performance.now() - asked < 3000, 'answered while the status call still hung');
    assert.deepEqual(answerTexts(h.api, slow, slowThread), [ANSWER]);
    h.api.clearFaults();

    // Failing: Slack answers 500 to every status call.
    h.api.failNext('assistant.threads.setStatus', { status: 500 }, 20);
    const failing = 'D0FAILSTATUS';
    const failingThread = newThreadTs();
    await askInPane(h, failing, 'U0FAILS', failingThread, 'How do I create a collection?');
    await waitForSources(h.api, failing, failingThread);
    assert.deepEqual(answerTexts(h.api, failing, failingThread), [ANSWER]);
    assert.ok(h.api.calls.some((call) => call.method === 'assistant.threads.setStatus' && call.outcome === '500'));
    h.api.clearFaults();
    await sleep(300);
  });

  it('an app without the assistant feature: status refused once, then not tried for a while; answers as before', async () => {
    h.api.assistantError = 'not_allowed';
    const channel = 'D0NOFEATURE';
    const first = newThreadTs();
    await askInPane(h, channel, 'U0NOFEAT', first, 'How do I create a collection?');
    await waitForSources(h.api, channel, first);
    assert.deepEqual(answerTexts(h.api, channel, first), [ANSWER]);
    const refused = h.api.calls.filter((c) => c.method === 'assistant.threads.setStatus' && c.outcome === 'not_allowed').length;
    assert.ok(refused >= 1);
    const second = newThreadTs();
    await askInPane(h, channel, 'U0NOFEAT', second, 'How do I load a collection?');
    await waitForSources(h.api, channel, second);
    assert.deepEqual(answerTexts(h.api, channel, second), [ANSWER]);
    assert.equal(statusCalls(h, channel, second).length, 0, 'remembered: no status calls for the next answer');
    h.api.assistantError = undefined;
  });
});

describe('Slack suggested prompts from SLACK_SUGGESTED_PROMPTS', () => {
  let h: SlackHarness;
  before(async () => {
    h = await startSlackHarness({
      engine: new ScriptedEngine(),
      env: { SLACK_SUGGESTED_PROMPTS: 'How do I install Milvus? | What index should I use? | How do I back up my data?' },
      app: { docTitles: async () => DOCS },
    });
  });
  after(async () => {
    await h.close();
  });

  it('shows the configured questions, not the docs’ titles', async () => {
    const channel = 'D0PROMPTS';
    const threadTs = await openThread(h, channel, 'U0PROMPTS');
    const view = await h.api.waitFor(() => h.api.assistantThreads.get(`${channel}:${threadTs}`)?.prompts, 5000, 'suggested prompts');
    assert.deepEqual(
      view.prompts.map((p) => [p.title, p.message]),
      [
        ['How do I install Milvus?', 'How do I install Milvus?'],
        ['What index should I use?', 'What index should I use?'],
        ['How do I back up my data?', 'How do I back up my data?'],
      ],
    );
  });
});

describe('Slack assistant threads when the docs cannot be read', () => {
  let h: SlackHarness;
  before(async () => {
    h = await startSlackHarness({
      engine: new ScriptedEngine(),
      app: {
        docTitles: async () => {
          throw new Error('Milvus is unreachable');
        },
      },
    });
  });
  after(async () => {
    await h.close();
  });

  it('greets without suggestions, and still answers in the pane', async () => {
    const channel = 'D0NODOCS';
    const threadTs = await openThread(h, channel, 'U0NODOCS');
    await askInPane(h, channel, 'U0NODOCS', threadTs, 'How do I install Milvus?');
    await waitForSources(h.api, channel, threadTs);
    assert.equal(h.api.callsTo('assistant.threads.setSuggestedPrompts').length, 0);
    assert.deepEqual(answerTexts(h.api, channel, threadTs).slice(-1), ['Answer to: How do I install Milvus?']);
  });
});

describe('Slack native feedback on streamed answers', () => {
  let h: SlackHarness;
  const engine = new ScriptedEngine((q) => ({ text: `${ANSWER} (${q.text})`, citations: CITED, chunkChars: 20, delayMs: 10 }));
  before(async () => {
    h = await startSlackHarness({ engine });
  });
  after(async () => {
    await h.close();
  });

  async function mention(channel: string, question: string): Promise<string> {
    const text = `<@${FAKE_BOT.userId}> ${question}`;
    const ts = h.api.addUserMessage({ channel, user: 'U0ASKER', text });
    await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0ASKER', text, ts });
    return ts;
  }

  it('the stream ends with Slack’s 👍/👎; the sources carry no buttons; a click is recorded with question, answer and sources', async () => {
    const channel = 'C0NATIVE';
    const ts = await mention(channel, 'how do I create a collection?');
    const sources = await waitForSources(h.api, channel, ts);
    assert.deepEqual(feedbackButtons(sources), [], 'no second set of buttons');
    const answer = h.api.threadReplies(channel, ts).find((m) => m.streamed);
    assert.ok(answer?.streamed?.stopped);
    const buttons = nativeFeedbackButtons(answer);
    assert.equal(buttons?.type, 'feedback_buttons');

    const click = (value: string) =>
      sendBlockAction(h.url, {
        user: 'U0VOTER',
        channel,
        messageTs: answer.ts,
        threadTs: ts,
        actionId: buttons?.action_id ?? '',
        value,
        blockId: 'askdocs_feedback',
        elementType: 'feedback_buttons',
        responseUrl: h.api.responseUrl('native'),
      });
    assert.equal((await click(buttons?.negative_button.value ?? '')).status, 200);
    await h.api.waitFor(() => ephemeralTexts(h.api, channel).some((t) => /Thanks/.test(t)), 5000, 'thanks');
    const [record] = h.feedback.list().filter((r) => r.channelId === channel);
    assert.equal(record?.vote, 'down');
    assert.equal(record?.question, 'how do I create a collection?');
    assert.equal(record?.answer, `${ANSWER} (how do I create a collection?)`);
    assert.deepEqual(
      record?.sources.map((s) => s.path),
      CITED.map((s) => s.path),
    );
    assert.equal(record?.messageRef, `${channel}:${answer.ts}`);
  });

  it('a workspace that refuses feedback buttons: the stream ends plainly and the sources carry the classic buttons', async () => {
    h.api.feedbackButtons = false;
    const channel = 'C0NONATIVE';
    const ts = await mention(channel, 'how do I load a collection?');
    const sources = await waitForSources(h.api, channel, ts);
    assert.deepEqual(answerTexts(h.api, channel, ts), [`${ANSWER} (how do I load a collection?)`]);
    const [up] = feedbackButtons(sources);
    assert.equal(up?.value, 'up');
    await sendBlockAction(h.url, {
      user: 'U0VOTER',
      channel,
      messageTs: sources.ts,
      threadTs: ts,
      actionId: up?.action_id ?? '',
      value: 'up',
      responseUrl: h.api.responseUrl('classic'),
    });
    await h.api.waitFor(() => h.feedback.list().some((r) => r.channelId === channel && r.vote === 'up'), 5000, 'the vote');
    h.api.feedbackButtons = true;
  });
});

/** A long answer written slowly: without pacing, each answer would make many live updates. */
const LONG = Array.from({ length: 30 }, (_, i) => `Step ${i}: configure the index.`).join(' ');
const slowEngine = () =>
  new ScriptedEngine((q) =>
    q.text.startsWith('burst') ? { text: LONG, citations: CITED, chunkChars: 10, delayMs: 70 } : { text: ANSWER, citations: CITED },
  );

/** Mentions in `count` channels at once, by different users; resolves with where to look. */
async function burst(h: SlackHarness, prefix: string, count: number): Promise<{ channel: string; ts: string }[]> {
  const asks = Array.from({ length: count }, (_, i) => {
    const channel = `C0${prefix}${i}`;
    const text = `<@${FAKE_BOT.userId}> burst ${i}`;
    return { channel, text, user: `U0${prefix}${i}`, ts: h.api.addUserMessage({ channel, user: `U0${prefix}${i}`, text }) };
  });
  await Promise.all(asks.map((a) => sendEvent(h.url, { type: 'app_mention', channel: a.channel, user: a.user, text: a.text, ts: a.ts })));
  await Promise.all(asks.map((a) => waitForSources(h.api, a.channel, a.ts, 20_000)));
  return asks;
}

const LIMITS = { USER_MAX_CONCURRENT: '10', CHANNEL_MAX_CONCURRENT: '20' };

describe('Slack answers without streaming (chat.update)', () => {
  let h: SlackHarness;
  before(async () => {
    const api = await new FakeSlackApi().start();
    api.streaming = false;
    h = await startSlackHarness({ engine: slowEngine(), api, env: LIMITS });
  });
  after(async () => {
    await h.close();
  });

  it('keeps the classic buttons under the sources', async () => {
    const channel = 'C0UPDATE';
    const text = `<@${FAKE_BOT.userId}> how do I create a collection?`;
    const ts = h.api.addUserMessage({ channel, user: 'U0UPD', text });
    await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0UPD', text, ts });
    const sources = await waitForSources(h.api, channel, ts);
    assert.deepEqual(
      feedbackButtons(sources).map((button) => button.value),
      ['up', 'down'],
    );
  });

  it('a burst of answers in one workspace keeps chat.update within Tier 3: fewer, larger edits; every answer whole', async () => {
    const before = h.api.callsTo('chat.update').length;
    const asks = await burst(h, 'UPD', 16);
    for (const a of asks) assert.deepEqual(answerTexts(h.api, a.channel, a.ts), [LONG]);
    const updates = h.api.callsTo('chat.update').length - before;
    // 50 live edits a minute (the earlier answer took one); each answer's final edit is never held back.
    assert.ok(updates <= 50 + asks.length, `${updates} chat.update calls`);
    assert.equal(h.api.calls.filter((c) => c.method === 'chat.update' && c.outcome === '429').length, 0);
  });
});

describe('Slack streaming under rate limits', () => {
  let h: SlackHarness;
  before(async () => {
    h = await startSlackHarness({ engine: slowEngine(), env: LIMITS });
  });
  after(async () => {
    await h.close();
  });

  it('keeps appendStream within Tier 4 for the workspace (100 a minute) however many answers stream', async () => {
    const started = performance.now();
    const asks = await burst(h, 'TIER', 16);
    assert.ok(performance.now() - started < 60_000, 'within one minute');
    for (const a of asks) assert.deepEqual(answerTexts(h.api, a.channel, a.ts), [LONG], 'the whole answer, in one streamed message');
    const appended = h.api.callsTo('chat.appendStream').length;
    assert.ok(appended <= 100, `${appended} appends in a minute`);
    assert.ok(appended >= 16, 'still streamed live');
  });
});

describe('Slack streaming when Slack rate-limits appends', () => {
  let h: SlackHarness;
  before(async () => {
    h = await startSlackHarness({ engine: slowEngine(), env: LIMITS });
  });
  after(async () => {
    await h.close();
  });

  it('degrades to fewer, larger appends, never to errors: every answer whole in its streamed message', async () => {
    h.api.rateLimit('chat.appendStream', 3, 2000);
    const asks = await burst(h, 'LIMITED', 4);
    for (const a of asks) assert.deepEqual(answerTexts(h.api, a.channel, a.ts), [LONG], 'the whole answer, in one streamed message');
    assert.ok(
      h.api.calls.some((c) => c.method === 'chat.appendStream' && c.outcome === '429'),
      'Slack did limit',
    );
    const sources = asks.map((a) => h.api.threadReplies(a.channel, a.ts).filter((m) => !m.streamed).length);
    assert.deepEqual(sources, [1, 1, 1, 1], 'nothing but the sources besides the streamed answer');
  });
});
