/**
 * The whole path, nothing stubbed but the services out of reach: signed Slack requests
 * → real Bolt app → real engine (real embedding model, real Milvus Lite holding the
 * Milvus FAQ pages, hybrid search) → fake OpenAI-compatible LLM → fake Slack Web API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NEEDS_SHARED } from './fakes/config.ts';
import { defaultResponder, type FakeLlm } from './fakes/llm-server.ts';
import { FAKE_BOT } from './fakes/slack-api.ts';
import { sendAssistantThread, sendEvent, sendSlashCommand } from './fakes/slack-requests.ts';
import { type FullStack, startFullStack } from './support/full-stack.ts';
import { type SlackHarness, startSlackHarness } from './support/slack-harness.ts';
import { answerTexts, blocksOf, sourceLines, waitForSources } from './support/slack-view.ts';

const QUESTION = 'What is the maximum vector dimension supported in Milvus?';

describe('Slack full path: real engine, Milvus Lite, local LLM server', { skip: NEEDS_SHARED }, () => {
  let stack: FullStack;
  let llm: FakeLlm;
  let h: SlackHarness;

  before(async () => {
    stack = await startFullStack();
    llm = stack.llm;
    const { env } = stack;
    h = await startSlackHarness({ engine: stack.runtime.engine, env, app: { docTitles: () => stack.runtime.store.documentTitles() } });
  });

  after(async () => {
    await h?.close();
    await stack?.close();
  });

  it('@-mention: streams the model’s answer in the thread and lists the cited FAQ page', async () => {
    llm.reset();
    llm.setBehaviour({ tokensPerSecond: 20 });
    const channel = 'C0FULL';
    const text = `<@${FAKE_BOT.userId}> ${QUESTION}`;
    const ts = h.api.addUserMessage({ channel, user: 'U0FULL', text });
    const delivered = await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0FULL', text, ts });
    const sources = await waitForSources(h.api, channel, ts, 30_000);

    const request = llm.lastChatRequest();
    assert.ok(request, 'the LLM was called');
    assert.equal(request.messages?.at(-1)?.content, QUESTION);
    assert.match(request.messages?.[0]?.content ?? '', /32,768 dimensions/, 'retrieved the FAQ section');
    const expected = defaultResponder(request);

    const [answer] = answerTexts(h.api, channel, ts);
    assert.equal(answer, expected);
    const appends = h.api.callsTo('chat.appendStream').filter((call) => call.args.channel === channel);
    assert.ok(appends.length >= 2, `streamed in ${appends.length} appends`);
    const start = h.api.callsTo('chat.startStream').find((call) => call.args.channel === channel);
    assert.ok(start && start.at - delivered.sentAt < 1000, 'something visible within a second');

    const lines = sourceLines(sources);
    assert.equal(lines.length, 1, 'only the cited source');
    assert.match(lines[0] ?? '', /^\*\[1\]\* Product FAQ › .+ — `product_faq\.md`$/);
    // 👍/👎: Slack's own feedback buttons end the streamed answer; the sources carry none.
    const streamed = h.api.threadReplies(channel, ts).find((m) => m.streamed);
    assert.equal(blocksOf(streamed).at(-1)?.type, 'context_actions');
    assert.ok(!blocksOf(sources).some((block) => block.type === 'actions'));
  });

  it('the AI-app pane: questions suggested from the ingested docs’ titles; the status line searches, writes, then clears', async () => {
    llm.reset();
    llm.setBehaviour({ tokensPerSecond: 20 });
    const channel = 'D0FULLPANE';
    const threadTs = '1800000100.000100';
    await sendAssistantThread(h.url, { channel, user: 'U0PANE', threadTs });
    const suggested = await h.api.waitFor(() => h.api.assistantThreads.get(`${channel}:${threadTs}`)?.prompts, 30_000, 'prompts');
    const titles = (await stack.runtime.store.documentTitles()).map((doc) => doc.title);
    assert.equal(suggested.prompts.length, Math.min(4, titles.length));
    for (const prompt of suggested.prompts) assert.ok(titles.includes(prompt.title), `${prompt.title} is an ingested page`);

    const ts = h.api.addUserMessage({ channel, user: 'U0PANE', text: QUESTION, thread_ts: threadTs });
    await sendEvent(h.url, { type: 'message', channel, user: 'U0PANE', text: QUESTION, ts, thread_ts: threadTs, channel_type: 'im' });
    await waitForSources(h.api, channel, threadTs, 30_000);
    assert.match(answerTexts(h.api, channel, threadTs).at(-1) ?? '', /\[1\]/);
    const statuses = h.api
      .callsTo('assistant.threads.setStatus')
      .filter((call) => call.args.channel_id === channel)
      .map((call) => call.args.status);
    assert.deepEqual(statuses, ['is searching the docs…', 'is writing…', '']);
    assert.equal(h.api.assistantThreads.get(`${channel}:${threadTs}`)?.title, QUESTION);
  });

  it('/askdocs: answer in the channel, then a follow-up in its thread uses the conversation', async () => {
    llm.reset();
    const channel = 'C0FULLSLASH';
    await sendSlashCommand(h.url, { text: QUESTION, channel, user: 'U0SLASH', responseUrl: h.api.responseUrl('full') });
    const top = await h.api.waitFor(
      () => h.api.messages.find((m) => m.channel === channel && !m.thread_ts && m.bot_id),
      10_000,
      'question message',
    );
    await waitForSources(h.api, channel, top.ts, 30_000);
    assert.match(top.text, /According to the docs, .+ \[1\]/);

    const followUp = 'Does that limit apply to binary vectors too?';
    const replyTs = h.api.addUserMessage({ channel, user: 'U0SLASH', text: followUp, thread_ts: top.ts });
    await sendEvent(h.url, { type: 'message', channel, user: 'U0SLASH', text: followUp, ts: replyTs, thread_ts: top.ts });
    await h.api.waitFor(
      () =>
        h.api.threadReplies(channel, top.ts).filter((m) => blocksOf(m).some((b) => b.block_id === 'askdocs_sources_header')).length === 2,
      30_000,
      'follow-up answered',
    );
    // The engine saw the thread: its first LLM call for the follow-up carries the earlier question.
    const prompts = llm.requests.filter((r) => r.route === 'chat').map((r) => JSON.stringify(r.messages));
    assert.ok(
      prompts.some((p) => p.includes(followUp) && p.includes('maximum vector dimension')),
      'history reached the LLM',
    );
  });

  it('LLM down: the thread says so plainly', async () => {
    llm.reset();
    llm.failNext(...Array.from({ length: 4 }, () => ({ type: 'status' as const, status: 500, retryAfter: 0 })));
    const channel = 'C0FULLFAIL';
    const text = `<@${FAKE_BOT.userId}> ${QUESTION}`;
    const ts = h.api.addUserMessage({ channel, user: 'U0FAIL', text });
    await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0FAIL', text, ts });
    await h.api.waitFor(() => h.api.callsTo('chat.stopStream').find((c) => c.args.channel === channel), 30_000, 'stream end');
    const [answer] = answerTexts(h.api, channel, ts);
    assert.match(answer ?? '', /language model service is unavailable right now/);
  });
});
