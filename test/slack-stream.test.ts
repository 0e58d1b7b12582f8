/**
 * Long Slack answers and how a streamed one ends: a long answer that arrives faster than the
 * stream is appended to, long paragraphs split over messages, and Slack rate-limiting
 * `chat.stopStream` for long. Real Bolt app, fake Slack Web API; asserts what the asker sees in
 * the thread (the messages' text, whether a stream is still open).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pageSource, type Script, ScriptedEngine } from './fakes/engine.ts';
import { FAKE_BOT, type FakeMessage, FakeSlackApi } from './fakes/slack-api.ts';
import { sendEvent } from './fakes/slack-requests.ts';
import { type SlackHarness, startSlackHarness } from './support/slack-harness.ts';
import { answerTexts, feedbackButtons, isSourcesMessage, waitForSources } from './support/slack-view.ts';

const CITED = [pageSource(1, 'product_faq.md', 'Product FAQ')];
const SHORT = 'According to the docs, Milvus supports vectors of up to 32,768 dimensions [1].';
/** About 29 KB in four long paragraphs of sentences, as a model writes at a raised LLM_MAX_TOKENS. */
const LONG = Array.from({ length: 4 }, (_, p) =>
  Array.from({ length: 70 }, (_, s) => `Sentence ${p * 70 + s} says something about partitions and vector dimensions in Milvus [1].`).join(
    ' ',
  ),
).join('\n\n');

const SCRIPTS: Record<string, Script> = {
  // Word by word and at once: the first word goes out as an append, the rest comes with the end.
  short: { text: SHORT, citations: CITED, chunkChars: 10 },
  long: { text: LONG, citations: CITED, chunkChars: 60 },
  llmdown: { text: '', failAfterDeltas: 0 },
};

const engine = new ScriptedEngine((question) => SCRIPTS[Object.keys(SCRIPTS).find((key) => question.text.includes(key)) ?? 'short']!);

async function ask(h: SlackHarness, channel: string, text: string): Promise<string> {
  const mention = `<@${FAKE_BOT.userId}> ${text}`;
  const ts = h.api.addUserMessage({ channel, user: 'U0ASKER', text: mention });
  const sent = await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0ASKER', text: mention, ts });
  assert.equal(sent.status, 200);
  return ts;
}

function streamsIn(h: SlackHarness, channel: string): FakeMessage[] {
  return h.api.messages.filter((m) => m.channel === channel && m.streamed);
}

/** Each message starts and ends with a whole sentence, and together they hold every word of LONG, in order. */
function assertSplitBetweenSentences(texts: string[]): void {
  for (const [i, text] of texts.entries()) {
    assert.match(text.trim(), /^Sentence \d+ .*\[1\]\.$/s, `message ${i} starts and ends with a whole sentence`);
  }
  const words = (text: string) => text.split(/\s+/).filter(Boolean);
  assert.deepEqual(words(texts.join(' ')), words(LONG), 'every word, in order');
}

/** A streamed message still "being written" is one Slack shows as unfinished for good. */
const closed = (message: FakeMessage) => message.deleted === true || message.streamed?.stopped === true;

describe('Slack streamed answers: long answers, and ending the stream', () => {
  let h: SlackHarness;

  before(async () => {
    h = await startSlackHarness({ engine, api: await new FakeSlackApi().start() });
  });
  after(async () => {
    await h.close();
  });

  it('a long answer that arrives at once fills the streamed message; the rest follows split between sentences', async () => {
    const channel = 'C0LONGFAST';
    const ts = await ask(h, channel, 'long answer');
    await waitForSources(h.api, channel, ts, 8000);
    const [stream] = streamsIn(h, channel);
    assert.ok(stream?.streamed?.stopped, 'the stream was stopped');
    const texts = answerTexts(h.api, channel, ts);
    const streamed = texts[0] ?? '';
    assert.ok(streamed.length > 9000 && streamed.length <= 12_000, `the streamed message holds what fits (${streamed.length} chars)`);
    assert.ok(texts.length >= 3, `then further messages (${texts.length} in all)`);
    for (const [i, text] of texts.entries()) {
      if (i > 0) assert.ok(text.length <= 3000, `message ${i} within a section (${text.length} chars)`);
    }
    assertSplitBetweenSentences(texts);
    assert.ok(isSourcesMessage(h.api.threadReplies(channel, ts).at(-1)!), 'sources come last');
  });

  it('chat.stopStream rate-limited for a minute: the whole answer is posted as a message and the half stream removed', async (t) => {
    t.after(() => h.api.clearFaults());
    const channel = 'C0STOP429';
    h.api.failNext('chat.stopStream', { status: 429, retryAfter: 60 }, 5, channel);
    const asked = performance.now();
    const ts = await ask(h, channel, 'short question');
    const sources = await waitForSources(h.api, channel, ts, 4000);
    assert.ok(performance.now() - asked < 4000, 'nobody waited for the 60 s Retry-After');
    const [stream] = streamsIn(h, channel);
    assert.ok(stream, 'the answer started as a stream');
    await h.api.waitFor(() => closed(stream), 3000, 'the stream no longer open');
    assert.deepEqual(answerTexts(h.api, channel, ts), [SHORT], 'the answer the user waited for, once, and no rate-limit note');
    assert.equal(h.api.threadReplies(channel, ts).at(-1), sources, 'then the sources');
    assert.equal(feedbackButtons(sources).length, 2, "with 👍/👎, as the answer has none of Slack's own");
  });

  it('stopStream rate-limited and the half stream cannot be deleted: it is stopped once the Retry-After has passed', async (t) => {
    t.after(() => h.api.clearFaults());
    const channel = 'C0STOPLATER';
    // 6 s: longer than an answer waits (5 s), short enough for a test. Limited for the stop and
    // the clean-up's first try; each delete attempt fails (the client retries once).
    h.api.failNext('chat.stopStream', { status: 429, retryAfter: 6 }, 2, channel);
    h.api.failNext('chat.delete', { status: 500 }, 2, channel);
    const ts = await ask(h, channel, 'short again');
    await waitForSources(h.api, channel, ts, 4000);
    assert.equal(answerTexts(h.api, channel, ts).at(-1), SHORT, 'the whole answer as a message');
    const [stream] = streamsIn(h, channel);
    assert.ok(stream && !closed(stream), 'still open while Slack says wait');
    const limited = await h.api.waitFor(
      () => h.api.calls.filter((c) => c.method === 'chat.stopStream' && c.args.channel === channel && c.outcome === '429')[1],
      3000,
      "the clean-up's rate-limited stop",
    );
    await h.api.waitFor(() => stream.streamed?.stopped, 9000, 'the stream stopped after the Retry-After');
    const stopped = h.api.callsTo('chat.stopStream').find((c) => c.args.channel === channel);
    assert.ok(stopped && stopped.at - limited.at >= 5900, 'not before Slack allowed it');
  });

  it('an answer that failed while stopStream is rate-limited: the failure note, and no stream left open', async (t) => {
    t.after(() => h.api.clearFaults());
    const channel = 'C0FAIL429';
    h.api.failNext('chat.stopStream', { status: 429, retryAfter: 60 }, 5, channel);
    const ts = await ask(h, channel, 'llmdown now');
    await h.api.waitFor(() => answerTexts(h.api, channel, ts).some((text) => /language model is unavailable/.test(text)), 4000, 'note');
    const [stream] = streamsIn(h, channel);
    assert.ok(stream);
    await h.api.waitFor(() => closed(stream), 3000, 'the stream no longer open');
    assert.deepEqual(answerTexts(h.api, channel, ts), ['The language model is unavailable right now. Please try again in a minute.']);
  });
});

describe('Slack answers without streaming: long answers', () => {
  let h: SlackHarness;

  before(async () => {
    const api = await new FakeSlackApi().start();
    api.streaming = false;
    h = await startSlackHarness({ engine, api });
  });
  after(async () => {
    await h.close();
  });

  it('a long paragraph continues in further messages split between sentences', async () => {
    const channel = 'C0LONGEDIT';
    const ts = await ask(h, channel, 'long answer');
    await waitForSources(h.api, channel, ts, 8000);
    const texts = answerTexts(h.api, channel, ts);
    assert.ok(texts.length >= 10, `${texts.length} messages`);
    for (const [i, text] of texts.entries()) assert.ok(text.length <= 3000, `message ${i} within a section (${text.length} chars)`);
    assertSplitBetweenSentences(texts);
  });
});
