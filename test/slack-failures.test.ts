/**
 * The Slack bot when things go wrong: engine (LLM / Milvus) failures, Slack rate limits
 * and errors, streaming not available, per-user and per-channel limits, channel
 * allowlist, long answers, and graceful stop. Users always see a plain message.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AskdocsError } from '../src/errors.ts';
import { pageSource, type Script, ScriptedEngine } from './fakes/engine.ts';
import { FAKE_BOT, FakeSlackApi } from './fakes/slack-api.ts';
import { sendEvent, sendSlashCommand } from './fakes/slack-requests.ts';
import { capturedLogger } from './support/captured-logger.ts';
import { type SlackHarness, startSlackHarness } from './support/slack-harness.ts';
import { answerTexts, ephemeralTexts, isSourcesMessage, sleep, waitForSources } from './support/slack-view.ts';

const mention = (text: string) => `<@${FAKE_BOT.userId}> ${text}`;

/** Scripts answers by a keyword in the question. */
function keyedEngine(byKeyword: Record<string, Script>): ScriptedEngine {
  return new ScriptedEngine((question) => {
    const key = Object.keys(byKeyword).find((k) => question.text.includes(k));
    return byKeyword[key ?? 'default'] ?? { text: 'Default answer [1].', citations: [pageSource(1, 'a.md', 'A')] };
  });
}

async function ask(h: SlackHarness, channel: string, user: string, text: string, threadTs?: string) {
  const ts = h.api.addUserMessage({ channel, user, text: mention(text), thread_ts: threadTs });
  const sent = await sendEvent(h.url, { type: 'app_mention', channel, user, text: mention(text), ts, thread_ts: threadTs });
  assert.equal(sent.status, 200);
  return ts;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
function balancedFences(text: string): boolean {
  return text.split('\n').filter((line) => FENCE.test(line)).length % 2 === 0;
}

describe('Slack bot failures (streaming available)', () => {
  let h: SlackHarness;
  const logs = capturedLogger();
  const longCode = Array.from({ length: 700 }, (_, i) => `value_${i} = compute(${i})  # step ${i}`).join('\n');
  const engine = keyedEngine({
    llmdown: {
      text: '',
      failAfterDeltas: 0,
      failure: new AskdocsError('llm_unavailable', 'The language model is not reachable right now. Please try again in a few minutes.'),
    },
    crash: { text: '', failAfterDeltas: 0, failure: new Error('TypeError: cannot read properties of undefined (secret stack)') },
    huge: {
      text: `Here is the script:\n\n\`\`\`python\n${longCode}\n\`\`\`\n\nRun it once [1].`,
      citations: [pageSource(1, 'a.md', 'A')],
      chunkChars: 4000,
    },
    slow: { text: 'Slow answer [1].', citations: [pageSource(1, 'a.md', 'A')], startDelayMs: 600 },
    // Two deltas far enough apart for a test to break streaming after the first one went out.
    halfway: { text: 'First half of the answer. Second half [1].', citations: [pageSource(1, 'a.md', 'A')], chunkChars: 26, delayMs: 700 },
    default: { text: 'Fine answer [1].', citations: [pageSource(1, 'a.md', 'A')] },
  });

  before(async () => {
    h = await startSlackHarness({
      engine,
      env: { USER_MAX_CONCURRENT: '1', USER_QUESTIONS_PER_MINUTE: '3', CHANNEL_MAX_CONCURRENT: '2' },
      app: { logger: logs.logger },
    });
  });
  after(async () => {
    await h.close();
  });

  it('a thread that cannot be read: the warning carries the request id its answer is logged with', async () => {
    const channel = 'C0UNREAD';
    const ts = await ask(h, channel, 'U0UNREAD', 'default');
    await waitForSources(h.api, channel, ts);
    h.api.failNext('conversations.replies', { status: 500 }, 10, channel);
    const text = 'and what about partitions?';
    const replyTs = h.api.addUserMessage({ channel, user: 'U0UNREAD', text, thread_ts: ts });
    await sendEvent(h.url, { type: 'message', channel, user: 'U0UNREAD', text, ts: replyTs, thread_ts: ts });
    // The bot answered in this thread before, so it still answers, without the history.
    await h.api.waitFor(() => answerTexts(h.api, channel, ts).length === 2, 5000, 'the follow-up answer');
    const warning = logs.lines.find((line) => line.msg === 'could not read a thread' && line.channel === channel);
    assert.ok(warning, 'the failed read is logged');
    assert.equal(typeof warning.requestId, 'string');
    const answered = await h.api.waitFor(
      () => logs.lines.find((line) => line.msg === 'answered' && line.requestId === warning.requestId),
      5000,
      'the answer logged under the same request id',
    );
    assert.equal(answered.channel, channel);
  });

  it('LLM failure: the thread shows the plain reason, no stack trace', async () => {
    const ts = await ask(h, 'C0LLM', 'U0LLM', 'llmdown please');
    const stopped = await h.api.waitFor(() => h.api.callsTo('chat.stopStream').find((c) => c.args.channel === 'C0LLM'), 5000, 'stream end');
    assert.ok(stopped);
    const [answer] = answerTexts(h.api, 'C0LLM', ts);
    assert.equal(answer, 'The language model is not reachable right now. Please try again in a few minutes.');
  });

  it('unexpected errors: a generic plain message, never internals', async () => {
    const ts = await ask(h, 'C0CRASH', 'U0CRASH', 'crash now');
    await h.api.waitFor(() => h.api.callsTo('chat.stopStream').find((c) => c.args.channel === 'C0CRASH'), 5000, 'stream end');
    const [answer] = answerTexts(h.api, 'C0CRASH', ts);
    assert.match(answer ?? '', /Something went wrong on our side/);
    assert.doesNotMatch(answer ?? '', /TypeError|stack/);
  });

  it('a very long answer continues in further replies, with code fences closed and reopened', async () => {
    const ts = await ask(h, 'C0HUGE', 'U0HUGE', 'huge script');
    await waitForSources(h.api, 'C0HUGE', ts);
    const texts = answerTexts(h.api, 'C0HUGE', ts);
    assert.ok(texts.length >= 2, `expected several messages, got ${texts.length}`);
    for (const text of texts) assert.ok(balancedFences(text), 'every message renders its code block on its own');
    const all = texts.join('\n');
    for (const i of [0, 350, 699]) assert.ok(all.includes(`value_${i} = compute(${i})`), `line ${i} kept`);
    assert.match(texts.at(-1) ?? '', /Run it once \[1\]\./);
    assert.ok(texts[0] && texts[0].length <= 12_000);
  });

  it('per-user limit: a second question while the first is answered gets a friendly private note', async () => {
    const channel = 'C0BUSY';
    const first = await ask(h, channel, 'U0BUSY', 'slow one');
    await ask(h, channel, 'U0BUSY', 'another one');
    await h.api.waitFor(() => ephemeralTexts(h.api, channel).length > 0, 5000, 'limit notice');
    assert.match(ephemeralTexts(h.api, channel)[0] ?? '', /still working on your previous question/);
    await waitForSources(h.api, channel, first);
  });

  it('per-minute limit: says how long to wait (slash command notice via response_url)', async () => {
    const channel = 'C0RATE';
    for (let i = 0; i < 3; i++) {
      await sendSlashCommand(h.url, { text: `question ${i}`, channel, user: 'U0RATE', responseUrl: h.api.responseUrl(`rate${i}`) });
      await h.api.waitFor(
        () => h.api.messages.filter((m) => m.channel === channel && m.thread_ts && isSourcesMessage(m)).length === i + 1,
        5000,
        `answer ${i}`,
      );
    }
    await sendSlashCommand(h.url, { text: 'one too many', channel, user: 'U0RATE', responseUrl: h.api.responseUrl('rate3') });
    const notice = await h.api.waitFor(() => h.api.responseUrlPosts.find((p) => p.id === 'rate3'), 5000, 'response_url notice');
    assert.equal(notice.body.response_type, 'ephemeral');
    assert.match(String(notice.body.text), /questions in the last minute\. Please wait \d+ s/);
  });

  it('per-channel limit: more concurrent questions than CHANNEL_MAX_CONCURRENT get a note', async () => {
    const channel = 'C0CROWD';
    const asked = await Promise.all(['U1', 'U2', 'U3'].map((user) => ask(h, channel, user, 'slow crowd')));
    await h.api.waitFor(() => ephemeralTexts(h.api, channel).length === 1, 5000, 'channel notice');
    assert.match(ephemeralTexts(h.api, channel)[0] ?? '', /several questions in this channel/);
    await sleep(1200);
    const answered = asked.filter((ts) => h.api.threadReplies(channel, ts).some(isSourcesMessage));
    assert.equal(answered.length, 2);
  });

  it('Slack 429 on appendStream: waits Retry-After and still delivers the whole answer', async () => {
    h.api.failNext('chat.appendStream', { status: 429, retryAfter: 1 });
    const ts = await ask(h, 'C0429', 'U0429', 'default question');
    await waitForSources(h.api, 'C0429', ts, 8000);
    assert.equal(answerTexts(h.api, 'C0429', ts)[0], 'Fine answer [1].');
    assert.ok(h.api.calls.some((c) => c.method === 'chat.appendStream' && c.outcome === '429'));
    // The limited append was to close the "Searching the docs…" step too: a later call must.
    const stream = h.api.threadReplies('C0429', ts).find((m) => m.streamed);
    assert.equal(stream && h.api.taskStatus(stream, 'askdocs_search'), 'complete', 'the search step no longer shows in progress');
  });

  it("one channel's chat.postMessage rate-limited for minutes: another channel is answered at once, the limited asker gets a plain note", async () => {
    // Slack limits chat.postMessage per channel: C0RLSLOW's limit must not hold up C0RLFREE.
    h.api.failNext('chat.postMessage', { status: 429, retryAfter: 120 }, 3, 'C0RLSLOW');
    const asked = performance.now();
    const ack = await sendSlashCommand(h.url, {
      text: 'What is the maximum vector dimension?',
      channel: 'C0RLSLOW',
      user: 'U0RLSLOW',
      responseUrl: h.api.responseUrl('rl-slow'),
    });
    assert.equal(ack.status, 200);
    await h.api.waitFor(
      () => h.api.calls.find((c) => c.method === 'chat.postMessage' && c.args.channel === 'C0RLSLOW' && c.outcome === '429'),
      3000,
      'the rate-limited post',
    );

    const ts = await ask(h, 'C0RLFREE', 'U0RLFREE', 'default elsewhere');
    await waitForSources(h.api, 'C0RLFREE', ts, 3000);
    assert.deepEqual(answerTexts(h.api, 'C0RLFREE', ts), ['Fine answer [1].']);

    const note = await h.api.waitFor(() => h.api.responseUrlPosts.find((p) => p.id === 'rl-slow'), 3000, 'a note to the limited asker');
    assert.equal(note.body.response_type, 'ephemeral');
    assert.match(String(note.body.text), /^Slack is limiting how fast I can post/);
    assert.ok(performance.now() - asked < 5000, 'neither waited for the 120 s Retry-After');
    assert.equal(h.api.messages.filter((m) => m.channel === 'C0RLSLOW').length, 0, 'nothing half-posted where Slack said no');
    h.api.clearFaults();
  });

  it('a Retry-After of a second is waited out: the answer arrives, no note, and the log counts the wait', async () => {
    h.api.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 1, 'C0RLBRIEF');
    await sendSlashCommand(h.url, {
      text: 'default brief',
      channel: 'C0RLBRIEF',
      user: 'U0RLBRIEF',
      responseUrl: h.api.responseUrl('rl-brief'),
    });
    const top = await h.api.waitFor(
      () => h.api.messages.find((m) => m.channel === 'C0RLBRIEF' && !m.thread_ts && /Fine answer \[1\]\./.test(m.text)),
      5000,
      'the answer',
    );
    await waitForSources(h.api, 'C0RLBRIEF', top.ts);
    assert.equal(h.api.responseUrlPosts.filter((p) => p.id === 'rl-brief').length, 0, 'no note: the answer came');
    const answered = await h.api.waitFor(
      () => logs.lines.find((line) => line.msg === 'answered' && line.channel === 'C0RLBRIEF'),
      1000,
      'the answered log line',
    );
    assert.ok(Number(answered.ms) >= 1000, `ms counts from the question, Retry-After included (got ${String(answered.ms)})`);
  });

  it('streaming breaks mid-answer: the answer is still delivered as a normal reply', async () => {
    h.api.failNext('chat.appendStream', { status: 500 }, 2);
    h.api.failNext('chat.stopStream', { status: 500 }, 2);
    const ts = await ask(h, 'C0BROKEN', 'U0BROKEN', 'default again');
    await waitForSources(h.api, 'C0BROKEN', ts);
    assert.ok(h.api.threadReplies('C0BROKEN', ts).some((m) => !m.streamed && m.text === 'Fine answer [1].'));
  });

  it('appendStream and stopStream keep failing: the answer is re-posted and the abandoned stream message removed', async (t) => {
    t.after(() => h.api.clearFaults());
    const channel = 'C0ABANDON';
    const from = logs.lines.length;
    // Four 500s each: every attempt of the append and of the stop (the harness client retries once) fails, and then some.
    h.api.failNext('chat.appendStream', { status: 500 }, 4, channel);
    h.api.failNext('chat.stopStream', { status: 500 }, 4, channel);
    const ts = await ask(h, channel, 'U0ABANDON', 'default abandoned');
    await waitForSources(h.api, channel, ts);
    const stream = h.api.messages.find((m) => m.channel === channel && m.streamed);
    assert.ok(stream, 'the answer started as a stream');
    await h.api.waitFor(() => stream.deleted, 3000, 'the empty stream message removed');
    assert.deepEqual(answerTexts(h.api, channel, ts), ['Fine answer [1].'], 'the thread shows the one complete answer');
    assert.ok(isSourcesMessage(h.api.threadReplies(channel, ts).at(-1)!), 'then the sources');
    assert.deepEqual(
      logs.lines.slice(from).filter((line) => line.level === 'error'),
      [],
      'the answer did not fail',
    );
  });

  it('streaming breaks after text went out and the stop fails: the rest follows, then the stream is stopped once more', async (t) => {
    t.after(() => h.api.clearFaults());
    const channel = 'C0HALFWAY';
    const ts = await ask(h, channel, 'U0HALFWAY', 'halfway there');
    await h.api.waitFor(() => h.api.callsTo('chat.appendStream').find((c) => c.args.channel === channel), 5000, 'the first append');
    // The first half is in the stream; from now on the next append and the stop fail (each attempt).
    h.api.failNext('chat.appendStream', { status: 500 }, 2, channel);
    h.api.failNext('chat.stopStream', { status: 500 }, 2, channel);
    await waitForSources(h.api, channel, ts);
    const stream = h.api.messages.find((m) => m.channel === channel && m.streamed);
    assert.ok(stream);
    await h.api.waitFor(() => stream.streamed?.stopped, 3000, 'the stream stopped');
    assert.equal(stream.deleted, undefined, 'it holds the first half: kept');
    assert.equal(h.api.taskStatus(stream, 'askdocs_search'), 'complete', 'its "Searching the docs…" step is no longer in progress');
    assert.deepEqual(answerTexts(h.api, channel, ts), ['First half of the answer. ', 'Second half [1].']);
  });

  it('a stopStream that fails again when the stream is cleaned up: a warning, and the answer stands', async (t) => {
    t.after(() => h.api.clearFaults());
    const channel = 'C0HALFWAY2';
    const from = logs.lines.length;
    const ts = await ask(h, channel, 'U0HALFWAY2', 'halfway again');
    await h.api.waitFor(() => h.api.callsTo('chat.appendStream').find((c) => c.args.channel === channel), 5000, 'the first append');
    h.api.failNext('chat.appendStream', { status: 500 }, 2, channel);
    h.api.failNext('chat.stopStream', { status: 500 }, 4, channel);
    await waitForSources(h.api, channel, ts);
    const warned = await h.api.waitFor(
      () => logs.lines.slice(from).find((line) => line.level === 'warn' && /clean up the abandoned stream/.test(String(line.msg))),
      3000,
      'the cleanup warning',
    );
    assert.ok(warned);
    assert.deepEqual(answerTexts(h.api, channel, ts), ['First half of the answer. ', 'Second half [1].']);
    assert.deepEqual(
      logs.lines.slice(from).filter((line) => line.level === 'error'),
      [],
    );
  });

  it('Slack keeps failing: the user still gets a plain message in the thread', async () => {
    h.api.failNext('chat.appendStream', { status: 500 }, 2);
    h.api.failNext('chat.stopStream', { status: 500 }, 2);
    h.api.failNext('chat.postMessage', { status: 500 }, 2);
    const ts = await ask(h, 'C0500', 'U0FAIL', 'default failing');
    const notice = await h.api.waitFor(
      () => h.api.threadReplies('C0500', ts).find((m) => /couldn't finish posting/.test(m.text)),
      8000,
      'plain failure message',
    );
    assert.equal(notice.text, "I couldn't finish posting this answer to Slack. Please ask again in a moment.");
    h.api.clearFaults();
  });

  it('chat.startStream rate-limited: falls back at once instead of waiting, and keeps streaming for later answers', async () => {
    h.api.failNext('chat.startStream', { status: 429, retryAfter: 30 });
    const ts = await ask(h, 'C0START429', 'U0S429', 'default start');
    await waitForSources(h.api, 'C0START429', ts, 5000);
    const placeholder = h.api.callsTo('chat.postMessage').find((c) => c.args.channel === 'C0START429');
    assert.equal(placeholder?.args.thread_ts, ts);
    assert.deepEqual(answerTexts(h.api, 'C0START429', ts), ['Fine answer [1].']);
    const next = await ask(h, 'C0START429B', 'U0S429B', 'default next');
    await waitForSources(h.api, 'C0START429B', next);
    assert.ok(
      h.api.callsTo('chat.startStream').some((c) => c.args.channel === 'C0START429B'),
      'a rate limit does not turn streaming off',
    );
  });

  it('streaming refused (not_allowed): falls back to chat.update automatically', async () => {
    h.api.failNext('chat.startStream', { error: 'not_allowed' });
    const ts = await ask(h, 'C0FALLBACK', 'U0FB1', 'default fallback');
    await waitForSources(h.api, 'C0FALLBACK', ts);
    const posted = h.api.callsTo('chat.postMessage').find((c) => c.args.channel === 'C0FALLBACK');
    assert.match(String(posted?.args.text), /Searching the docs/);
    assert.equal(posted?.args.thread_ts, ts);
    assert.deepEqual(answerTexts(h.api, 'C0FALLBACK', ts), ['Fine answer [1].']);
    // Remembered: the next answer does not try streaming again.
    const next = await ask(h, 'C0FALLBACK2', 'U0FB2', 'default second');
    await waitForSources(h.api, 'C0FALLBACK2', next);
    assert.equal(h.api.calls.filter((c) => c.method === 'chat.startStream' && c.args.channel === 'C0FALLBACK2').length, 0);
  });
});

describe('Slack bot failures (no streaming: chat.update path)', () => {
  let h: SlackHarness;
  const paragraphs = Array.from({ length: 40 }, (_, i) => `Paragraph ${i}: ${'words about Milvus indexes '.repeat(8).trim()} [1].`);
  // Every `<` becomes `&lt;` in mrkdwn: 2,800 characters of this grow past a section's 3,000.
  const cppLines = Array.from({ length: 120 }, (_, i) => `std::vector<std::map<int, int>> v${i}; // a && b`);
  const engine = keyedEngine({
    milvusdown: {
      text: '',
      failAfterDeltas: 0,
      failure: new AskdocsError('milvus_unavailable', 'The document index (Milvus) is not reachable right now. Please try again shortly.'),
    },
    long: { text: paragraphs.join('\n\n'), citations: [pageSource(1, 'a.md', 'A')], chunkChars: 500 },
    cppcode: {
      text: `Here is code [1]:\n\n\`\`\`cpp\n${cppLines.join('\n')}\n\`\`\`\n\nDone [1].`,
      citations: [pageSource(1, 'a.md', 'A')],
    },
    slow: { text: 'Slow answer [1].', citations: [pageSource(1, 'a.md', 'A')], startDelayMs: 700 },
    default: { text: 'Fine answer [1].', citations: [pageSource(1, 'a.md', 'A')] },
  });

  before(async () => {
    const api = await new FakeSlackApi().start();
    api.streaming = false;
    h = await startSlackHarness({
      engine,
      api,
      env: { SLACK_ALLOWED_CHANNELS: 'C0OK,C0SLASHFAIL,C0LONG,C0CPP,C0UPD500,C0UPD429,C0FIN429,C0STOP' },
    });
  });
  after(async () => {
    await h.close();
  });

  it('Milvus failure on /askdocs: the channel message shows the plain reason', async () => {
    await sendSlashCommand(h.url, { text: 'milvusdown?', channel: 'C0SLASHFAIL', user: 'U0A', responseUrl: h.api.responseUrl('m') });
    const top = await h.api.waitFor(
      () => h.api.messages.find((m) => m.channel === 'C0SLASHFAIL' && /Milvus/.test(m.text)),
      5000,
      'failure message',
    );
    assert.match(top.text, /^\*<@U0A> asked:\* milvusdown\?\n\nThe document index \(Milvus\) is not reachable right now/);
    assert.equal(top.thread_ts, undefined);
  });

  it('/askdocs: an answer that grows past a section once converted to mrkdwn shows every line, each code block closed', async () => {
    await sendSlashCommand(h.url, { text: 'cppcode example?', channel: 'C0CPP', user: 'U0A', responseUrl: h.api.responseUrl('cpp') });
    const top = await h.api.waitFor(
      () => h.api.messages.find((m) => m.channel === 'C0CPP' && !m.thread_ts && m.bot_id),
      5000,
      'the slash message',
    );
    await waitForSources(h.api, 'C0CPP', top.ts);
    // Slack shows a message's blocks: the slash message's answer sections, then the replies in its thread.
    const sections = (top.blocks as { block_id?: string; text?: { text: string } }[])
      .filter((block) => block.block_id?.startsWith('askdocs_answer'))
      .map((block) => block.text?.text ?? '');
    const shown = [...sections, ...answerTexts(h.api, 'C0CPP', top.ts)];
    for (const [i, text] of sections.entries()) {
      assert.ok(text.length <= 3000, `section ${i} within Slack's limit (${text.length} chars)`);
      assert.ok(!text.endsWith('…'), `section ${i} is not cut short`);
    }
    for (const [i, text] of shown.entries()) assert.ok(balancedFences(text), `part ${i} renders its code block on its own`);
    const codeShown = shown
      .join('\n')
      .split('\n')
      .filter((line) => line.startsWith('std::vector'));
    assert.deepEqual(
      codeShown,
      cppLines.map((line) => line.replace(/</g, '&lt;')),
      'every line of code, once, in order',
    );
    assert.match(shown.at(-1) ?? '', /Done \[1\]\.$/);
  });

  it('/askdocs: a question too long to echo whole is shortened without breaking an escaped character', async () => {
    // Escaped, each `<`, `&` and `>` takes 4 or 5 characters: the cut at 3,000 falls inside `&lt;`.
    const question = `${'x'.repeat(7)}${'a<b&c>d '.repeat(440)}`.trim();
    await sendSlashCommand(h.url, { text: question, channel: 'C0OK', user: 'U0ECHO', responseUrl: h.api.responseUrl('echo') });
    const top = await h.api.waitFor(
      () => h.api.messages.find((m) => m.channel === 'C0OK' && !m.thread_ts && m.text.includes('<@U0ECHO> asked')),
      5000,
      'the slash message',
    );
    const [asked] = (top.blocks as { text?: { text: string } }[]).map((block) => block.text?.text ?? '');
    assert.ok(asked && asked.length <= 3000, `within a section (${asked?.length} chars)`);
    assert.match(asked ?? '', /^\*<@U0ECHO> asked:\* x{7}a&lt;b&amp;c&gt;d a&lt;/);
    assert.match(asked ?? '', /…$/, 'shortened, and says so');
    assert.doesNotMatch(asked ?? '', /&[a-z]*…$/, 'no half-escaped character before the ellipsis (Slack would show "&l…")');
    await waitForSources(h.api, 'C0OK', top.ts);
  });

  it('long answers are split over several messages in order, each within limits', async () => {
    const ts = await ask(h, 'C0LONG', 'U0A', 'long please');
    await waitForSources(h.api, 'C0LONG', ts);
    const texts = answerTexts(h.api, 'C0LONG', ts);
    assert.ok(texts.length >= 2);
    for (const text of texts) assert.ok(text.length <= 3000, `message of ${text.length} chars`);
    const joined = texts.join('\n\n');
    const order = paragraphs.map((_, i) => joined.indexOf(`Paragraph ${i}:`));
    assert.ok(
      order.every((pos, i) => pos >= 0 && (i === 0 || pos > (order[i - 1] ?? 0))),
      'all paragraphs, in order',
    );
    const replies = h.api.threadReplies('C0LONG', ts);
    assert.ok(isSourcesMessage(replies.at(-1)!), 'sources come last');
  });

  it('chat.update failing: the user sees a plain message instead of a stuck placeholder', async () => {
    h.api.failNext('chat.update', { status: 500 }, 20);
    const ts = await ask(h, 'C0UPD500', 'U0A', 'default upd');
    await h.api.waitFor(
      () => h.api.threadReplies('C0UPD500', ts).some((m) => /couldn't finish posting/.test(m.text)),
      5000,
      'plain failure',
    );
    h.api.clearFaults();
  });

  it('a live edit rate-limited for minutes is skipped: the final answer still shows at once', async () => {
    h.api.failNext('chat.update', { status: 429, retryAfter: 120 }, 1, 'C0UPD429');
    const ts = await ask(h, 'C0UPD429', 'U0C', 'long but limited');
    await waitForSources(h.api, 'C0UPD429', ts, 3000);
    const joined = answerTexts(h.api, 'C0UPD429', ts).join('\n\n');
    for (const i of [0, 20, 39]) assert.ok(joined.includes(`Paragraph ${i}:`), `paragraph ${i} shown`);
    assert.doesNotMatch(joined, /Searching the docs|Slack is limiting/);
  });

  it('the final edit rate-limited for minutes: a plain message in the thread at once, never silence', async () => {
    h.api.failNext('chat.update', { status: 429, retryAfter: 120 }, 10, 'C0FIN429');
    const ts = await ask(h, 'C0FIN429', 'U0D', 'default final');
    const notice = await h.api.waitFor(
      () => h.api.threadReplies('C0FIN429', ts).find((m) => /Slack is limiting/.test(m.text)),
      3000,
      'plain rate-limit message',
    );
    assert.match(notice.text, /^Slack is limiting how fast I can post right now/);
    h.api.clearFaults();
  });

  it('the bot cannot post in the channel: /askdocs says so privately', async () => {
    h.api.failNext('chat.postMessage', { error: 'not_in_channel' });
    await sendSlashCommand(h.url, { text: 'anything', channel: 'C0OK', user: 'U0A', responseUrl: h.api.responseUrl('nic') });
    const notice = await h.api.waitFor(() => h.api.responseUrlPosts.find((p) => p.id === 'nic'), 5000, 'notice');
    assert.match(String(notice.body.text), /invite me/);
  });

  it('SLACK_ALLOWED_CHANNELS: elsewhere, a private note instead of an answer', async () => {
    const slash = await sendSlashCommand(h.url, { text: 'hi', channel: 'C0ELSEWHERE', user: 'U0A', responseUrl: h.api.responseUrl('no') });
    assert.match(JSON.parse(slash.body).text, /I only answer questions in <#C0OK>/);
    await ask(h, 'C0ELSEWHERE', 'U0A', 'default');
    await h.api.waitFor(() => ephemeralTexts(h.api, 'C0ELSEWHERE').length === 1, 5000, 'note');
    await sleep(100);
    assert.equal(h.api.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0ELSEWHERE').length, 0);
  });

  it('stop() waits for answers in flight and refuses new ones meanwhile', async () => {
    const ts = await ask(h, 'C0STOP', 'U0A', 'slow at shutdown');
    await h.api.waitFor(() => h.api.callsTo('chat.postMessage').find((c) => c.args.channel === 'C0STOP'), 5000, 'placeholder');
    const stopping = h.bot.stop();
    await sleep(50);
    const refused = await sendSlashCommand(h.url, {
      text: 'during shutdown',
      channel: 'C0STOP',
      user: 'U0B',
      responseUrl: h.api.responseUrl('late'),
    });
    assert.match(JSON.parse(refused.body).text, /restarting/);
    await stopping;
    assert.equal(h.bot.inFlight(), 0);
    assert.deepEqual(answerTexts(h.api, 'C0STOP', ts), ['Slow answer [1].'], 'the answer finished before stop() resolved');
  });
});
