/**
 * Long Slack answers: long paragraphs split over messages. Real Bolt app, fake Slack Web API;
 * asserts what the asker sees in the thread.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pageSource, ScriptedEngine } from './fakes/engine.ts';
import { FAKE_BOT, FakeSlackApi } from './fakes/slack-api.ts';
import { sendEvent } from './fakes/slack-requests.ts';
import { type SlackHarness, startSlackHarness } from './support/slack-harness.ts';
import { answerTexts, waitForSources } from './support/slack-view.ts';

const CITED = [pageSource(1, 'product_faq.md', 'Product FAQ')];
/** About 29 KB in four long paragraphs of sentences, as a model writes at a raised LLM_MAX_TOKENS. */
const LONG = Array.from({ length: 4 }, (_, p) =>
  Array.from({ length: 70 }, (_, s) => `Sentence ${p * 70 + s} says something about partitions and vector dimensions in Milvus [1].`).join(
    ' ',
  ),
).join('\n\n');

// In small pieces and at once.
const engine = new ScriptedEngine(() => ({ text: LONG, citations: CITED, chunkChars: 60 }));

async function ask(h: SlackHarness, channel: string, text: string): Promise<string> {
  const mention = `<@${FAKE_BOT.userId}> ${text}`;
  const ts = h.api.addUserMessage({ channel, user: 'U0ASKER', text: mention });
  const sent = await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0ASKER', text: mention, ts });
  assert.equal(sent.status, 200);
  return ts;
}

/** Each message starts and ends with a whole sentence, and together they hold every word of LONG, in order. */
function assertSplitBetweenSentences(texts: string[]): void {
  for (const [i, text] of texts.entries()) {
    assert.match(text.trim(), /^Sentence \d+ .*\[1\]\.$/s, `message ${i} starts and ends with a whole sentence`);
  }
  const words = (text: string) => text.split(/\s+/).filter(Boolean);
  assert.deepEqual(words(texts.join(' ')), words(LONG), 'every word, in order');
}

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
