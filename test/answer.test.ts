/**
 * The answer engine end to end with a scripted retriever and the real LLM client
 * talking to the fake OpenAI-compatible server. (The real retriever over Milvus Lite
 * is exercised by test/cli-ask.test.ts.)
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ENABLE_GENERATED_HINT } from '../src/answer/extractive.ts';
import { ACKNOWLEDGED_TEXT } from '../src/engine/acknowledgement.ts';
import { ABSTAIN_TEXT, CUT_OFF_NOTE, createEngine, NOTHING_FOUND_TEXT, UNCITED_NOTE } from '../src/engine/engine.ts';
import type { AnswerEvent, Question, RetrievalResult, RetrievedChunk } from '../src/engine/types.ts';
import { AskdocsError } from '../src/errors.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics, Registry } from '../src/observability/metrics.ts';
import type { Retriever } from '../src/retrieval/retriever.ts';
import { testConfig } from './fakes/config.ts';
import { type FakeLlm, startFakeLlm } from './fakes/llm-server.ts';

const API_KEY = 'sk-answer-test-0001';

function chunk(id: string, path: string, headingPath: string[], text: string, similarity: number): RetrievedChunk {
  return { id, path, title: headingPath[0] ?? path, headingPath, text, score: similarity / 10, similarity };
}

const PARTITIONS = chunk(
  'p1',
  'userGuide/manage-partitions.md',
  ['Manage Partitions', 'Create Partitions'],
  '## Create Partitions\n\nTo create a partition, call create_partition() with the collection name and a partition name.',
  0.72,
);
const LIMITS = chunk(
  'l1',
  'reference/limits.md',
  ['Milvus Limits', 'Partitions'],
  'The maximum number of partitions in a collection is 1,024.',
  0.68,
);
const FAQ = chunk('f1', 'faq/product_faq.md', ['Product FAQ', 'Partitions'], 'Partitions split a collection.', 0.4);

/** A retriever that returns what the test says and records what it was asked. */
class ScriptedRetriever implements Retriever {
  asked: Question[] = [];
  constructor(public result: Omit<RetrievalResult, 'query'>) {}
  async retrieve(question: Question): Promise<RetrievalResult> {
    this.asked.push(question);
    const history = question.history ?? [];
    const heuristic = history.length > 0 ? `${question.text} ${history.at(-2)?.content ?? ''}`.trim() : undefined;
    return {
      ...this.result,
      query: heuristic ?? question.text,
      rewrite: heuristic ? 'heuristic' : 'none',
    };
  }
}

async function collect(events: AsyncIterable<AnswerEvent>): Promise<AnswerEvent[]> {
  const all: AnswerEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

function finalOf(events: AnswerEvent[]): Extract<AnswerEvent, { type: 'final' }> {
  const final = events.at(-1);
  assert.equal(final?.type, 'final');
  return final as Extract<AnswerEvent, { type: 'final' }>;
}

function deltasOf(events: AnswerEvent[]): string {
  return events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join('');
}

/** The events an answer yielded before it failed, and the error it failed with. */
async function failureOf(events: AsyncIterable<AnswerEvent>): Promise<{ seen: AnswerEvent[]; error: AskdocsError }> {
  const seen: AnswerEvent[] = [];
  try {
    for await (const event of events) seen.push(event);
  } catch (error) {
    assert.ok(error instanceof AskdocsError, `expected an AskdocsError, got ${String(error)}`);
    return { seen, error };
  }
  assert.fail(`expected the answer to fail; it was: ${JSON.stringify(seen.at(-1))}`);
}

describe('answer engine', () => {
  let llm: FakeLlm;
  let logLines: string[];
  let metrics: ReturnType<typeof createMetrics>;
  let registry: Registry;

  before(async () => {
    llm = await startFakeLlm();
  });
  after(() => llm.close());
  beforeEach(() => {
    llm.reset();
    logLines = [];
    registry = new Registry();
    metrics = createMetrics(registry);
  });

  function engineWith(retriever: Retriever, env: Record<string, string> = {}) {
    const config = testConfig({
      LLM_BASE_URL: llm.url,
      DEEPSEEK_API_KEY: API_KEY,
      LLM_TIMEOUT_MS: '2000',
      LLM_MAX_RETRIES: '1',
      ...env,
    });
    const sink = new PassThrough();
    sink.on('data', (data: Buffer) => logLines.push(...data.toString().split('\n').filter(Boolean)));
    const logger = createLogger({ level: 'debug', destination: sink });
    return createEngine({ retriever, config, logger, metrics });
  }

  /** The final event of the extractive answer (no API key) given from `hit`. */
  async function extractiveAnswer(hit: RetrievedChunk, text: string) {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [hit], abstain: false });
    return finalOf(await collect(engineWith(retriever, { DEEPSEEK_API_KEY: '' }).answer({ text })));
  }

  async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
    return Number(value?.value ?? 0);
  }

  it('streams a generated answer and keeps only the sources it cites', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS, LIMITS, FAQ], abstain: false });
    llm.replyNext('A collection can hold up to 1,024 partitions [2].');
    const events = await collect(
      engineWith(retriever).answer({ text: 'How many partitions can I have?', requestId: 'req-42', scope: { platform: 'slack' } }),
    );

    assert.deepEqual(
      events.filter((e) => e.type === 'status').map((e) => e.type === 'status' && e.stage),
      ['retrieving', 'generating'],
    );
    const sources = events.find((e) => e.type === 'sources');
    assert.deepEqual(sources?.type === 'sources' && sources.sources.map((s) => [s.n, s.id]), [
      [1, 'p1'],
      [2, 'l1'],
      [3, 'f1'],
    ]);
    const final = finalOf(events);
    assert.equal(final.text, 'A collection can hold up to 1,024 partitions [2].');
    assert.equal(deltasOf(events), final.text);
    assert.ok(events.filter((e) => e.type === 'delta').length > 1, 'streamed in pieces');
    assert.deepEqual(
      final.citations.map((s) => [s.n, s.path]),
      [[2, 'reference/limits.md']],
    );
    assert.equal(final.mode, 'generated');
    assert.equal(final.abstained, false);
    assert.equal(final.requestId, 'req-42');
    assert.equal(final.standaloneQuery, 'How many partitions can I have?');
    assert.ok(final.usage && final.usage.promptTokens > 0 && final.usage.completionTokens > 0);

    // The model saw every retrieved passage, numbered, and the question.
    const request = llm.lastChatRequest();
    const system = request?.messages?.[0]?.content ?? '';
    assert.match(system, /<source n="1" title="Manage Partitions › Create Partitions"/);
    assert.match(system, /maximum number of partitions in a collection is 1,024/);
    assert.match(system, /<source n="3"/);
    assert.equal(request?.messages?.at(-1)?.content, 'How many partitions can I have?');

    // Logs carry the request id and never the key.
    assert.ok(logLines.some((line) => JSON.parse(line).requestId === 'req-42'));
    assert.ok(!logLines.join('\n').includes(API_KEY));
    // Metrics.
    assert.equal(await metricValue('askdocs_questions_total', { platform: 'slack', outcome: 'answered' }), 1);
    assert.ok((await metricValue('askdocs_llm_tokens_total', { kind: 'completion' })) > 0);
  });

  it('ignores citations of sources that were never given, and takes them out of the text shown', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS, LIMITS], abstain: false });
    llm.replyNext('Call create_partition() [1]. See also [2, 9], [7] and `parts[7]`. Limits [7].');
    const events = await collect(engineWith(retriever).answer({ text: 'How do I create a partition?' }));
    const final = finalOf(events);
    assert.deepEqual(
      final.citations.map((s) => s.n),
      [1, 2],
    );
    // No [7] or [9] the reader would look for in vain; code is left as written.
    assert.equal(final.text, 'Call create_partition() [1]. See also [2], and `parts[7]`. Limits.');
    assert.equal(deltasOf(events), final.text, 'a streaming surface never shows the [7] either');
  });

  it('reads 【n】 and ［n］ (as DeepSeek writes them in Chinese) as citations, and shows them as [n]', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS, LIMITS], abstain: false });
    llm.replyNext('一个集合最多可以有 1,024 个分区【2】。使用 create_partition() 创建分区［1］。');
    const events = await collect(engineWith(retriever).answer({ text: '一个集合可以有多少个分区？' }));
    const final = finalOf(events);
    assert.deepEqual(
      final.citations.map((s) => s.n),
      [2, 1],
    );
    assert.equal(final.text, '一个集合最多可以有 1,024 个分区[2]。使用 create_partition() 创建分区[1]。');
    assert.ok(!final.text.includes(UNCITED_NOTE));
    assert.equal(deltasOf(events), final.text);
  });

  it('never lets a citation link to a URL the model wrote: the [n] stays, the link and its definition go', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS, LIMITS], abstain: false });
    llm.replyNext(
      'Up to 1,024 partitions [2]. Create one with create_partition() [1](https://evil.example/phish).\n\n[2]: https://milvus.io/docs/made-up.md',
    );
    const events = await collect(engineWith(retriever).answer({ text: 'How many partitions can I have?' }));
    const final = finalOf(events);
    assert.equal(final.text, 'Up to 1,024 partitions [2]. Create one with create_partition() [1].\n\n');
    assert.equal(deltasOf(events), final.text);
    assert.deepEqual(
      final.citations.map((s) => s.n),
      [2, 1],
    );
  });

  it('says honestly when the model cited nothing, instead of inventing sources', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS], abstain: false });
    llm.replyNext('Partitions are great.');
    const events = await collect(engineWith(retriever).answer({ text: 'Are partitions good?' }));
    const final = finalOf(events);
    assert.deepEqual(final.citations, []);
    assert.equal(final.text, `Partitions are great.${UNCITED_NOTE}`);
    assert.equal(deltasOf(events), final.text);
  });

  it('keeps an answer cut at LLM_MAX_TOKENS, ends it with a note saying so, and logs it with the request id', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS, LIMITS], abstain: false });
    const cut = 'A collection can hold up to 1,024 partitions [2] and also';
    llm.replyNext({ text: cut, finishReason: 'length' });
    const events = await collect(
      engineWith(retriever).answer({ text: 'How many partitions can I have?', requestId: 'req-cut', scope: { platform: 'slack' } }),
    );
    const final = finalOf(events);
    assert.equal(final.text, `${cut}${CUT_OFF_NOTE}`);
    assert.equal(deltasOf(events), final.text, 'the note reaches a streaming chat message too');
    assert.match(CUT_OFF_NOTE, /^\n\n_This answer was cut off/);
    assert.equal(final.mode, 'generated');
    assert.equal(final.abstained, false);
    assert.deepEqual(
      final.citations.map((s) => s.n),
      [2],
    );
    const lines = logLines.map((line) => JSON.parse(line) as { msg: string; level: string; requestId?: string; finishReason?: string });
    const cutLine = lines.find((line) => line.msg.startsWith('answer cut off at the token limit'));
    assert.ok(cutLine, logLines.join('\n'));
    assert.equal(cutLine.requestId, 'req-cut');
    assert.equal(cutLine.finishReason, 'length');
    assert.equal(cutLine.level, 'warn', 'a warning: LLM_MAX_TOKENS may be too low');
    assert.equal(await metricValue('askdocs_questions_total', { platform: 'slack', outcome: 'answered' }), 1);
  });

  it('closes a code block the cut left open before the note, and still says when nothing was cited', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS], abstain: false });
    const cut = 'Create it like this:\n\n```python\nclient.create_partition(\n    collection_name="books",';
    llm.replyNext({ text: cut, finishReason: 'length' });
    const events = await collect(engineWith(retriever).answer({ text: 'How do I create a partition?' }));
    const final = finalOf(events);
    assert.equal(final.text, `${cut}\n\`\`\`${CUT_OFF_NOTE}${UNCITED_NOTE}`);
    assert.equal(deltasOf(events), final.text);
    assert.deepEqual(final.citations, []);
  });

  it('answers an empty reply from the content filter the way it answers an LLM failure: a plain error, no answer', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS], abstain: false });
    llm.replyNext({ text: '', finishReason: 'content_filter' });
    const { seen, error } = await failureOf(
      engineWith(retriever).answer({ text: 'How do I create a partition?', requestId: 'req-filtered' }),
    );
    assert.equal(error.code, 'llm_unavailable');
    assert.equal(
      error.userMessage,
      "The language model's content filter stopped its answer to this question. Please rephrase the question, or look in the docs directly.",
    );
    assert.ok(!seen.some((e) => e.type === 'delta' || e.type === 'final'), 'no disclaimer, no "Sources: none cited"');
    assert.equal(await metricValue('askdocs_questions_total', { platform: 'cli', outcome: 'error' }), 1);
    assert.equal(await metricValue('askdocs_llm_errors_total', { reason: 'filtered' }), 1);
    const lines = logLines.map((line) => JSON.parse(line) as { msg: string; requestId?: string; reason?: string; code?: string });
    const failedCall = lines.find((line) => line.msg === 'llm call failed');
    assert.equal(failedCall?.reason, 'filtered', logLines.join('\n'));
    assert.equal(failedCall?.requestId, 'req-filtered');
    const failed = lines.find((line) => line.msg === 'answer failed');
    assert.equal(failed?.requestId, 'req-filtered', logLines.join('\n'));
    assert.equal(failed?.code, 'llm_unavailable');
  });

  it('answers a whitespace-only reply the way it answers an LLM failure, showing none of it', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS], abstain: false });
    llm.replyNext({ text: '  \n\n \n', finishReason: 'stop' });
    const { seen, error } = await failureOf(engineWith(retriever).answer({ text: 'How do I create a partition?' }));
    assert.equal(error.code, 'llm_unavailable');
    assert.equal(error.userMessage, 'The language model returned an empty answer. Please try again.');
    assert.ok(!seen.some((e) => e.type === 'delta' || e.type === 'final'));
    assert.equal(await metricValue('askdocs_llm_errors_total', { reason: 'empty' }), 1);
    assert.ok(logLines.some((line) => JSON.parse(line).msg === 'answer failed'));
  });

  it('treats the model\'s own "docs don\'t cover this" as an abstention', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS], abstain: false });
    llm.replyNext("The docs don't cover this. The closest source explains creating partitions [1].");
    const final = finalOf(await collect(engineWith(retriever).answer({ text: 'Can I rename a partition?' })));
    assert.equal(final.abstained, true);
    assert.equal(final.mode, 'generated');
    assert.ok(!final.text.includes(UNCITED_NOTE));
    assert.equal(await metricValue('askdocs_questions_total', { platform: 'cli', outcome: 'abstained' }), 1);
  });

  for (const decline of [
    "I couldn't find this in the documentation.",
    'The provided sources do not mention this.',
    "Unfortunately, the docs don't cover this.",
    "I'm sorry, but I was unable to find any information about renaming partitions in the docs.",
    'Based on the provided sources, there is no information about renaming a partition.',
  ]) {
    it(`treats a decline in other words as an abstention, with no "may not be reliable" note: ${decline}`, async () => {
      const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS], abstain: false });
      llm.replyNext(decline);
      const final = finalOf(await collect(engineWith(retriever).answer({ text: 'Can I rename a partition?' })));
      assert.equal(final.text, decline);
      assert.equal(final.abstained, true);
      assert.equal(await metricValue('askdocs_questions_total', { platform: 'cli', outcome: 'abstained' }), 1);
    });
  }

  it('does not take an answer that only mentions what the docs leave out for a decline', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS], abstain: false });
    llm.replyNext("Call create_partition() [1]. The docs don't cover renaming.");
    const final = finalOf(await collect(engineWith(retriever).answer({ text: 'Can I create and rename a partition?' })));
    assert.equal(final.abstained, false);
  });

  it('abstains without calling the LLM when retrieval finds nothing relevant, offering the closest pages', async () => {
    const second = { ...PARTITIONS, id: 'p2', headingPath: ['Manage Partitions', 'Drop Partitions'] };
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS, second, LIMITS, FAQ], abstain: true });
    const events = await collect(engineWith(retriever).answer({ text: 'best ramen near the office?' }));
    const final = finalOf(events);
    assert.equal(final.mode, 'abstained');
    assert.equal(final.abstained, true);
    assert.equal(final.text, ABSTAIN_TEXT);
    assert.equal(deltasOf(events), ABSTAIN_TEXT);
    // One entry per page, at most three.
    assert.deepEqual(
      final.citations.map((s) => [s.n, s.path]),
      [
        [1, 'userGuide/manage-partitions.md'],
        [2, 'reference/limits.md'],
        [3, 'faq/product_faq.md'],
      ],
    );
    assert.equal(llm.chatRequests().length, 0);
  });

  it('says plainly when nothing at all was found', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [], abstain: true });
    const final = finalOf(await collect(engineWith(retriever).answer({ text: 'anything?' })));
    assert.equal(final.text, NOTHING_FOUND_TEXT);
    assert.deepEqual(final.citations, []);
  });

  it('answers extractively without an API key, citing the passages and saying how to get generated answers', async () => {
    const long = chunk(
      'x1',
      'adminGuide/resource_group.md',
      ['Manage Resource Groups', 'What is a resource group'],
      `## What is a resource group\n\nA resource group can hold several or all of the query nodes in a Milvus instance. ${'It isolates workloads physically. '.repeat(40)}\n\n\`\`\`python\nprint(1)\n\`\`\``,
      0.7,
    );
    const related = chunk(
      'x2',
      'adminGuide/resource_group.md',
      ['Manage Resource Groups', 'Concepts'],
      'Every Milvus instance has a default resource group named __default_resource_group.',
      0.67,
    );
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [long, LIMITS, related, FAQ], abstain: false });
    const events = await collect(engineWith(retriever, { DEEPSEEK_API_KEY: '' }).answer({ text: 'what is a resource group?' }));
    const final = finalOf(events);
    assert.equal(final.mode, 'extractive');
    assert.equal(deltasOf(events), final.text);
    assert.ok(final.text.startsWith('**Manage Resource Groups › What is a resource group** [1]\nA resource group can hold'));
    assert.ok(!final.text.includes('## What is a resource group'), 'heading line dropped; the label names it');
    assert.ok(final.text.length < 1500, `trimmed, got ${final.text.length} chars`);
    assert.match(final.text, /\*\*Manage Resource Groups › Concepts\*\* \[3\]\nEvery Milvus instance has a default resource group/);
    // LIMITS is about as similar but shares no word with the question; FAQ is far less similar.
    assert.deepEqual(
      final.citations.map((s) => s.n),
      [1, 3],
    );
    assert.ok(final.text.endsWith(ENABLE_GENERATED_HINT));
    assert.match(ENABLE_GENERATED_HINT, /DEEPSEEK_API_KEY/);
    assert.equal(llm.requests.length, 0);
  });

  it("links each source to its section: the page's link with the heading's anchor, as GitHub-style sites make them", async () => {
    const page = 'https://docs.example.com/userGuide/manage-partitions';
    const hits = [
      { ...PARTITIONS, headingPath: ['Manage Partitions', 'Create & drop `partitions` (v2.4)'], url: page },
      // The page's own heading (its title): the page itself, no anchor.
      { ...LIMITS, headingPath: [LIMITS.title], url: 'https://docs.example.com/limits' },
      { ...FAQ, url: 'https://docs.example.com/faq#custom-anchor' },
    ];
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits, abstain: false });
    const events = await collect(engineWith(retriever, { DEEPSEEK_API_KEY: '' }).answer({ text: 'how do i create a partition?' }));
    const sources = events.find((event) => event.type === 'sources')?.sources ?? [];
    assert.deepEqual(
      sources.map((source) => source.url),
      [`${page}#create--drop-partitions-v24`, 'https://docs.example.com/limits', 'https://docs.example.com/faq#custom-anchor'],
    );
  });

  it('shows the section of a merged chunk that matches the question, under its own heading', async () => {
    const faq = chunk(
      'm1',
      'faq/product_faq.md',
      ['Product FAQ', 'What is the maximum vector dimension supported in Milvus?'],
      [
        '#### What is the maximum vector dimension supported in Milvus?',
        '',
        'Milvus can manage vectors with up to 32,768 dimensions by default.',
        '',
        '#### Does Milvus support Apple M1 CPU?',
        '',
        'Current Milvus release does not support Apple M1 CPU directly.',
        '',
        '```bash',
        '# not a heading: a shell comment about the M1 CPU',
        '```',
      ].join('\n'),
      0.5,
    );
    const retriever = new ScriptedRetriever({
      rewrite: 'none',
      hits: [{ ...faq, url: 'https://milvus.io/docs/product_faq.md' }],
      abstain: false,
    });
    const final = finalOf(
      await collect(engineWith(retriever, { DEEPSEEK_API_KEY: '' }).answer({ text: 'can milvus run on an apple m1 cpu' })),
    );
    assert.ok(final.text.startsWith('**Product FAQ › Does Milvus support Apple M1 CPU?** [1]\nCurrent Milvus release'));
    assert.match(final.text, /# not a heading/);
    assert.ok(!final.text.includes('32,768'));
    assert.deepEqual(final.citations[0]?.headingPath, ['Product FAQ', 'Does Milvus support Apple M1 CPU?']);
    // Its link goes to the section shown, not to the chunk's first one.
    assert.equal(final.citations[0]?.url, 'https://milvus.io/docs/product_faq.md#does-milvus-support-apple-m1-cpu');
  });

  it("labels a merged section by its heading as a reader sees it, setext headings included; the first section keeps the chunk's own path", async () => {
    const faq = chunk(
      'm2',
      'ops/faq.md',
      ['Operations FAQ', 'Why is my job stuck in pending?'],
      [
        '## Why is my job stuck in *pending*? ##',
        '',
        'A job waits in pending until a worker is free.',
        '',
        '## Configure the [webhook](https://example.com/hooks) for `on_failure`',
        '',
        'The webhook timeout defaults to 10 seconds.',
        '',
        'Autoscaling',
        '-----------',
        '',
        'Set ORBIT_AUTOSCALE_MAX to cap the number of workers.',
      ].join('\n'),
      0.6,
    );
    const ask = (text: string) => extractiveAnswer(faq, text);
    const webhook = await ask('what is the default webhook timeout?');
    assert.ok(
      webhook.text.startsWith('**Operations FAQ › Configure the webhook for `on_failure`** [1]\nThe webhook timeout'),
      webhook.text,
    );
    assert.deepEqual(webhook.citations[0]?.headingPath, ['Operations FAQ', 'Configure the webhook for `on_failure`']);
    const pending = await ask('why is a job pending?');
    assert.deepEqual(pending.citations[0]?.headingPath, ['Operations FAQ', 'Why is my job stuck in pending?']);
    const autoscale = await ask('how do i cap autoscaled workers?');
    assert.ok(autoscale.text.startsWith('**Operations FAQ › Autoscaling** [1]\nSet ORBIT_AUTOSCALE_MAX'), autoscale.text);
    assert.doesNotMatch(autoscale.text, /-{3}/);
  });

  it("the section shown is chosen by the question's words beyond the page title: the one naming the code, not the first", async () => {
    const page = chunk(
      'e1',
      'guide/errors.md',
      ['Error reference', 'Client errors'],
      '## Client errors\n\nEach client error you may see is listed here.\n\n## Miscellaneous\n\nE1077 means the flag key failed validation.',
      0.6,
    );
    page.title = 'Error reference';
    const final = await extractiveAnswer(page, 'What does error E1077 mean?');
    assert.ok(final.text.startsWith('**Error reference › Miscellaneous** [1]\nE1077 means'), final.text);
  });

  it('a page intro merged into its first subsection is labelled with the page, not the subsection; a later piece of a section keeps its own', async () => {
    const merged = chunk(
      'i1',
      'quotas.md',
      ['Quotas and limits', 'Requesting a higher quota'],
      'Each project has a publish quota of 1,000 messages per second.\n\n## Requesting a higher quota\n\nOpen a ticket with your project id.',
      0.6,
    );
    merged.title = 'Quotas and limits';
    merged.headingPath = ['Requesting a higher quota'];
    const piece = chunk(
      'i2',
      'quotas.md',
      ['Quotas and limits', 'Burst limits'],
      'Bursts of up to 5,000 messages per second are allowed.',
      0.6,
    );
    const quota = await extractiveAnswer(merged, 'what is the publish quota per second?');
    assert.ok(quota.text.startsWith('**Quotas and limits** [1]\nEach project has a publish quota'), quota.text);
    assert.deepEqual(quota.citations[0]?.headingPath, []);
    const ticket = await extractiveAnswer(merged, 'how do i request a higher quota ticket?');
    assert.ok(ticket.text.startsWith('**Quotas and limits › Requesting a higher quota** [1]\nOpen a ticket'), ticket.text);
    const burst = await extractiveAnswer(piece, 'how big can bursts be?');
    assert.ok(burst.text.startsWith('**Quotas and limits › Burst limits** [1]\nBursts'), burst.text);
  });

  it('a long passage is shown from the part that matches the question: a table row under its header, a paragraph', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => `| E${1001 + i} | Failure number ${i + 1} of the worker. |`);
    const table = chunk(
      't1',
      'api/endpoints.md',
      ['API', 'Error codes'],
      ['## Error codes', '', 'Every error has a code.', '', '| Code | Meaning |', '| --- | --- |', ...rows].join('\n'),
      0.6,
    );
    const prose = chunk(
      't2',
      'guide/webhooks.md',
      ['Guide', 'Webhooks'],
      [
        '## Webhooks',
        '',
        ...Array.from({ length: 12 }, (_, i) => `Paragraph ${i + 1} talks about delivery retries and backoff in general terms.`),
        '',
        'Every request is signed with HMAC-SHA256 using your signing secret,',
        'sent in the X-Signature header.',
        '',
        'Retries stop after a day.',
      ].join('\n'),
      0.6,
    );
    const ask = async (hit: RetrievedChunk, text: string) => (await extractiveAnswer(hit, text)).text;
    const error = await ask(table, 'what does error E1077 mean?');
    assert.match(error, /\[1\]\n…\n\n\| Code +\| Meaning +\|\n\| -+ \| -+ \|\n\| E1077 +\| Failure number 77 of the worker\. \|/);
    const signed = await ask(prose, 'how are webhook requests signed?');
    assert.match(
      signed,
      /\[1\]\n…\n\nEvery request is signed with HMAC-SHA256 using your signing secret,\nsent in the X-Signature header\./,
    );
    const code = chunk(
      't3',
      'guide/compaction.md',
      ['Guide', 'Compaction'],
      [
        '## Compaction',
        '',
        '```python',
        ...Array.from({ length: 60 }, (_, i) => `client.step_${i}()`),
        'client.compact(threshold=0.2)',
        '```',
      ].join('\n'),
      0.6,
    );
    const tuned = await ask(code, 'how do i tune the compaction threshold in python');
    assert.match(
      tuned,
      /\[1\]\n…\n\n```python\nclient\.step_57\(\)\nclient\.step_58\(\)\nclient\.step_59\(\)\nclient\.compact\(threshold=0\.2\)\n```/,
    );
    // What the start shows already is shown from the start.
    const codes = await ask(table, 'does every error have a code?');
    assert.match(codes, /\[1\]\nEvery error has a code\./);
    // The label answers "create a partition" already ("Create Partitions"): the section's start
    // and its code are shown, not a later line that happens to say "partition".
    const howTo = chunk(
      't4',
      'guide/partitions.md',
      ['Manage Partitions', 'Create Partitions'],
      [
        '## Create Partitions',
        '',
        'You can add more partitions to the collection.',
        '',
        '```python',
        ...Array.from({ length: 40 }, (_, i) => `client.create_partition(collection_name="docs", partition_name="p${i}")`),
        '```',
        '',
        'The code snippet above creates a partition in a collection.',
      ].join('\n'),
      0.6,
    );
    const created = await ask(howTo, 'how do I create a partition?');
    assert.match(created, /\[1\]\nYou can add more partitions to the collection\.\n\n```python\nclient\.create_partition/);
  });

  it('a short lead-in is shown with the subsections it introduces; a subsection asked about is shown alone', async () => {
    const page = chunk(
      'l1',
      'getstarted/lite.md',
      ['Run Milvus Lite', 'Limits'],
      [
        '## Limits',
        '',
        'The following tables summarize the usage limits on Milvus Lite.',
        '',
        '### Collection',
        '',
        '| Method | Supported |',
        '| --- | --- |',
        '| create_collection() | Limited support |',
        '',
        '### Index',
        '',
        'Only the FLAT index type is built; others fall back to it.',
        '',
        '## Next steps',
        '',
        'Read the migration guide.',
      ].join('\n'),
      0.6,
    );
    const limits = (await extractiveAnswer(page, 'what are the usage limits of milvus lite?')).text;
    assert.match(
      limits,
      /The following tables summarize the usage limits on Milvus Lite\.\n\n### Collection\n\n\| Method +\| Supported +\|[\s\S]*### Index\n\nOnly the FLAT index type is built/,
    );
    assert.doesNotMatch(limits, /migration guide/);
    const indexAnswer = await extractiveAnswer(page, 'which index type does milvus lite build?');
    const index = indexAnswer.text;
    // Labelled with the path down to it: "Index" alone could be any section's subsection.
    assert.match(index, /\*\*Run Milvus Lite › Limits › Index\*\* \[1\]\nOnly the FLAT index type is built/);
    // A subsection of the chunk's own section: its child, not its sibling.
    assert.deepEqual(indexAnswer.citations[0]?.headingPath, ['Run Milvus Lite', 'Limits', 'Index']);
    assert.doesNotMatch(index, /usage limits|Method/);
  });

  it('a passage cut to length ends after a whole table row, never inside one', async () => {
    const rows = Array.from(
      { length: 30 },
      (_, i) => `| param_${i} | Affects build time. Its value must be smaller than param_${i + 1}. | ${64 + i} |`,
    );
    const table = chunk(
      't4',
      'reference/gpu.md',
      ['GPU index', 'Build parameters'],
      ['## Build parameters', '', '| Parameter | Description | Default |', '| --- | --- | --- |', ...rows].join('\n'),
      0.6,
    );
    const text = (await extractiveAnswer(table, 'what are the gpu index build parameters?')).text;
    const shown = text.split('\n').filter((line) => line.startsWith('| param_'));
    assert.ok(shown.length > 2, text);
    for (const line of shown) assert.match(line, /\| \d+ \|$/, `a whole row: ${line}`);
    assert.match(text, /\| param_\d+ .*\| \d+ \|\n…/);
  });

  it('a table padded for an editor is shown without its padding, so the row asked about fits under its header', async () => {
    // As the Milvus docs write them: each cell padded to the column's width, rows of 250 characters.
    const row = (method: string, support: string) => `| ${method.padEnd(120)} | ${support.padEnd(60)} |`;
    const methods = ['create_collection()', 'get_collection_stats()', 'describe_collection()', 'has_collection()', 'list_collections()'];
    const table = chunk(
      't5',
      'getstarted/milvus_lite.md',
      ['Run Milvus Lite Locally', 'Collection'],
      [
        '### Collection',
        '',
        row('Method / Parameter', 'Supported in Milvus Lite'),
        `|${'-'.repeat(122)}|${'-'.repeat(62)}|`,
        ...methods.map((method) => row(method, 'Y')),
        row('drop_collection()', 'Supports dropping a collection.'),
        row('rename_collection()', 'Renaming a collection is not supported.'),
      ].join('\n'),
      0.6,
    );
    const text = (await extractiveAnswer(table, 'Is drop_collection supported in Milvus Lite?')).text;
    assert.match(text, /\| Method \/ Parameter \| Supported in Milvus Lite \|\n\|---\|---\|\n/);
    assert.match(text, /\n\| drop_collection\(\) \| Supports dropping a collection\. \|\n/);
  });

  it("shows a sentence the docs repeat for each SDK's tab once, and every tab's code", async () => {
    const page = chunk(
      'sdk1',
      'userGuide/manage-partitions.md',
      ['Manage Partitions', 'Drop Partitions'],
      [
        '## Drop Partitions',
        '',
        ...['pymilvus/drop_partition', 'java/dropPartition', 'node/dropPartition'].flatMap((ref) => [
          '<div class="language-python">',
          '',
          `To drop partitions, use [\`${ref.split('/')[1]}()\`](https://example.com/${ref}.md).`,
          '',
          '</div>',
          '',
        ]),
        '```python',
        'client.drop_partition(collection_name="docs", partition_name="a")',
        '```',
        '',
        '```java',
        'client.dropPartition(DropPartitionReq.builder().partitionName("a").build());',
        '```',
        '',
        'See also:',
        '',
        '- [Load a partition](load.md)',
        '',
        '- [Release a partition](release.md)',
      ].join('\n'),
      0.6,
    );
    const text = (await extractiveAnswer(page, 'how do i drop a partition?')).text;
    assert.equal(text.match(/To drop partitions, use/g)?.length, 1, text);
    assert.match(text, /use \[`drop_partition\(\)`\]\(https:\/\/example\.com\/pymilvus\/drop_partition\.md\)\.\n\n```python\n/);
    assert.match(text, /```java\nclient\.dropPartition/);
    // Bare links are no repeated sentence.
    assert.match(text, /- Load a partition\n\n- Release a partition/);
  });

  it('shows HTML in the docs as Markdown in an extractive answer, and code as written', async () => {
    const table = chunk(
      'h1',
      'reference/index.md',
      ['In-memory Index', 'Indexes for floating-point embeddings'],
      [
        '## Indexes for floating-point embeddings',
        '',
        '<div class="alert note">',
        'A vector field supports one index type.',
        '</div>',
        '',
        '<table id="floating">',
        '<thead><tr><th>Supported index</th><th>Scenario</th></tr></thead>',
        '<tbody><tr><td>FLAT</td><td><ul><li>Small dataset</li><li>100% recall</li></ul></td></tr></tbody>',
        '</table>',
        '',
        '```html',
        '<td>kept in code</td>',
        '```',
      ].join('\n'),
      0.7,
    );
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [table], abstain: false });
    const final = finalOf(
      await collect(engineWith(retriever, { DEEPSEEK_API_KEY: '' }).answer({ text: 'which index for a small dataset?' })),
    );
    assert.match(final.text, /A vector field supports one index type\./);
    assert.match(final.text, /\| Supported index +\| Scenario +\|/);
    assert.match(final.text, /\| FLAT +\| • Small dataset • 100% recall +\|/);
    assert.doesNotMatch(final.text.replace(/```[\s\S]*?```/g, ''), /<\/?(div|table|thead|tbody|tr|td|th|ul|li)\b/);
    assert.match(final.text, /```html\n<td>kept in code<\/td>\n```/);
  });

  it('condenses a follow-up with the LLM and searches the standalone question', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [LIMITS], abstain: false });
    llm.replyNext('How many partitions can a Milvus collection have?', 'Up to 1,024 [1].');
    const history = [
      { role: 'user' as const, content: 'How do I create a partition?' },
      { role: 'assistant' as const, content: 'Call create_partition() [1].' },
    ];
    const events = await collect(engineWith(retriever).answer({ text: 'and how many can I have?', history }));
    assert.equal(events[0]?.type === 'status' && events[0].stage, 'condensing');

    const [condense, answer] = llm.chatRequests();
    assert.match(condense?.messages?.[0]?.content ?? '', /standalone question/);
    assert.match(condense?.messages?.[1]?.content ?? '', /Follow-up question: and how many can I have\?/);
    assert.deepEqual(retriever.asked[0]?.text, 'How many partitions can a Milvus collection have?');
    assert.deepEqual(retriever.asked[0]?.history, []);
    const final = finalOf(events);
    assert.equal(final.standaloneQuery, 'How many partitions can a Milvus collection have?');
    // The answer prompt carries the thread, then the user's own words.
    assert.deepEqual(
      answer?.messages?.map((m) => m.role),
      ['system', 'user', 'assistant', 'user'],
    );
    assert.equal(answer?.messages?.at(-1)?.content, 'and how many can I have?');
  });

  for (const [how, reply] of [
    ['on the line after a preamble', 'Sure! Here is the standalone question:\n\nHow many partitions can a Milvus collection have?'],
    ['after a label on the same line', 'Sure! Standalone question: "How many partitions can a Milvus collection have?"'],
    ['in bold after a bold label', '**Rewritten question:** **How many partitions can a Milvus collection have?**'],
  ] as const) {
    it(`searches the condensed question, not its preamble, when the model writes it ${how}`, async () => {
      const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [LIMITS], abstain: false });
      llm.replyNext(reply, 'Up to 1,024 [1].');
      const history = [
        { role: 'user' as const, content: 'How do I create a partition?' },
        { role: 'assistant' as const, content: 'Call create_partition() [1].' },
      ];
      const final = finalOf(await collect(engineWith(retriever).answer({ text: 'and how many can I have?', history })));
      assert.equal(retriever.asked[0]?.text, 'How many partitions can a Milvus collection have?');
      assert.equal(final.standaloneQuery, 'How many partitions can a Milvus collection have?');
      assert.equal(final.text, 'Up to 1,024 [1].');
    });
  }

  it('does not spend an LLM call condensing a standalone question asked in a thread', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [LIMITS], abstain: false });
    const history = [
      { role: 'user' as const, content: 'How do I create a partition?' },
      { role: 'assistant' as const, content: 'Call create_partition() [1].' },
    ];
    const events = await collect(
      engineWith(retriever).answer({ text: 'What is the maximum number of partitions per collection?', history }),
    );
    assert.ok(!events.some((e) => e.type === 'status' && e.stage === 'condensing'));
    assert.equal(llm.chatRequests().length, 1, 'only the answer');
    assert.equal(retriever.asked[0]?.text, 'What is the maximum number of partitions per collection?');
  });

  it("falls back to the retriever's heuristic when condensing fails", async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [LIMITS], abstain: false });
    llm.failNext({ type: 'status', status: 500 });
    const history = [
      { role: 'user' as const, content: 'How do I create a partition?' },
      { role: 'assistant' as const, content: 'Call create_partition() [1].' },
    ];
    const engine = engineWith(retriever);
    const final = finalOf(await collect(engine.answer({ text: 'how many?', history, requestId: 'req-condense' })));
    const failedCall = logLines
      .map((line) => JSON.parse(line) as { msg: string; requestId?: string })
      .find((l) => l.msg === 'llm call failed');
    assert.equal(failedCall?.requestId, 'req-condense', logLines.join('\n'));
    assert.equal(retriever.asked[0]?.text, 'how many?');
    assert.equal(retriever.asked[0]?.history?.length, 2);
    assert.equal(final.standaloneQuery, 'how many? How do I create a partition?');
    assert.equal(final.mode, 'generated');
    // One failed condense (no retry for the optional step), then the answer.
    assert.equal(llm.chatRequests().length, 2);

    const retrieval = await engine.retrieve({ text: 'how many?', history });
    assert.equal(retrieval.rewrite, 'llm');
  });

  it('counts a hung condense call in LLM_TOTAL_TIMEOUT_MS: the whole follow-up waits no longer, and the message says so', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [LIMITS], abstain: false });
    llm.failNext({ type: 'hang' }, { type: 'hang' });
    const history = [
      { role: 'user' as const, content: 'How do I create a partition?' },
      { role: 'assistant' as const, content: 'Call create_partition() [1].' },
    ];
    const engine = engineWith(retriever, { LLM_TIMEOUT_MS: '4000', LLM_TOTAL_TIMEOUT_MS: '2000', LLM_MAX_RETRIES: '0' });
    const started = Date.now();
    const { error } = await failureOf(engine.answer({ text: 'how many?', history }));
    const waited = Date.now() - started;
    assert.equal(error.userMessage, 'The language model did not respond within 2 s. Please try again.');
    assert.ok(waited < 2800, `the user waited ${waited} ms for a 2 s budget`);
    assert.equal(llm.chatRequests().length, 2, 'the condense call, then the answer');
    // The hung condense gave up early and the heuristic rewrite was searched.
    assert.equal(retriever.asked[0]?.history?.length, 2);
  });

  it("falls back to the retriever's heuristic when the content filter stops the condensed question", async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [LIMITS], abstain: false });
    // A filtered reply with some text in it: what the filter let through is no standalone question.
    llm.replyNext({ text: 'How many partitions', finishReason: 'content_filter' }, 'Up to 1,024 [1].');
    const history = [
      { role: 'user' as const, content: 'How do I create a partition?' },
      { role: 'assistant' as const, content: 'Call create_partition() [1].' },
    ];
    const final = finalOf(await collect(engineWith(retriever).answer({ text: 'how many?', history, requestId: 'req-cf' })));
    assert.equal(retriever.asked[0]?.text, 'how many?');
    assert.equal(retriever.asked[0]?.history?.length, 2);
    assert.equal(final.standaloneQuery, 'how many? How do I create a partition?');
    assert.equal(final.text, 'Up to 1,024 [1].');
    const fallback = logLines
      .map((line) => JSON.parse(line) as { msg: string; requestId?: string })
      .find((line) => line.msg.startsWith('condensing with the LLM failed'));
    assert.equal(fallback?.requestId, 'req-cf', logLines.join('\n'));
  });

  for (const [what, reply] of [
    ['is cut off at the token limit', { text: 'How many partitions can a single Milvus collection', finishReason: 'length' }],
    ['is blank', { text: ' \n ', finishReason: 'stop' }],
    ['is only a preamble', { text: 'Sure! Here is the standalone question:', finishReason: 'stop' }],
    [
      'is far longer than a search query (the model answered instead)',
      {
        text: `A collection can have up to 1,024 partitions. ${'Partitions split a collection into parts. '.repeat(15)}`,
        finishReason: 'stop',
      },
    ],
  ] as const) {
    it(`falls back to the retriever's heuristic when the condensed question ${what}`, async () => {
      const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [LIMITS], abstain: false });
      llm.replyNext(reply, 'Up to 1,024 [1].');
      const history = [
        { role: 'user' as const, content: 'How do I create a partition?' },
        { role: 'assistant' as const, content: 'Call create_partition() [1].' },
      ];
      const final = finalOf(await collect(engineWith(retriever).answer({ text: 'how many?', history })));
      assert.equal(retriever.asked[0]?.text, 'how many?');
      assert.equal(final.standaloneQuery, 'how many? How do I create a partition?');
      assert.equal(final.mode, 'generated');
      assert.equal(final.text, 'Up to 1,024 [1].');
    });
  }

  it('fails with one plain error when the LLM keeps failing, and counts it', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS], abstain: false });
    llm.failNext({ type: 'status', status: 500, retryAfter: 0 }, { type: 'status', status: 500, retryAfter: 0 });
    await assert.rejects(
      collect(engineWith(retriever).answer({ text: 'How do I create a partition?', requestId: 'req-fail' })),
      (error) => {
        assert.ok(error instanceof AskdocsError);
        assert.equal(error.code, 'llm_unavailable');
        assert.match(error.userMessage, /^The language model service is unavailable right now \(HTTP 500\)/);
        return true;
      },
    );
    assert.equal(await metricValue('askdocs_questions_total', { platform: 'cli', outcome: 'error' }), 1);
    assert.equal(await metricValue('askdocs_llm_errors_total', { reason: 'unavailable' }), 1);
    // Every line about the failed call can be matched to its question.
    const lines = logLines.map((line) => JSON.parse(line) as { msg: string; requestId?: string });
    const about = (msg: string) => lines.filter((line) => line.msg === msg);
    assert.equal(about('llm request attempt failed').length, 2, logLines.join('\n'));
    assert.equal(about('llm call failed').length, 1, logLines.join('\n'));
    for (const line of [...about('llm request attempt failed'), ...about('llm call failed'), ...about('answer failed')]) {
      assert.equal(line.requestId, 'req-fail', JSON.stringify(line));
    }
  });

  it('answers "thanks!" with a short reply, searching nothing, in a thread or on its own; a question that thanks first is still answered', async () => {
    const history = [
      { role: 'user' as const, content: 'How do I create a partition?' },
      { role: 'assistant' as const, content: 'Call create_partition() [1].' },
    ];
    for (const [text, turns] of [
      ['thanks!', history],
      ['ok great, thank you 🙏', history],
      ['perfect, that worked', history],
      ['👍', history],
      // A first message: a thanks for an answer elsewhere has nothing to search either.
      ['thanks!', []],
    ] as const) {
      const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS], abstain: false });
      const final = finalOf(await collect(engineWith(retriever).answer({ text, history: [...turns] })));
      assert.equal(final.mode, 'acknowledged', text);
      assert.equal(final.text, ACKNOWLEDGED_TEXT);
      assert.deepEqual(final.citations, []);
      assert.equal(retriever.asked.length, 0, `nothing searched for "${text}"`);
    }
    assert.equal(llm.requests.length, 0);
    assert.equal(await metricValue('askdocs_questions_total', { platform: 'cli', outcome: 'acknowledged' }), 5);
    for (const [text, turns] of [
      ['thanks, and how do I drop it', history],
      ['that did not work', history],
      ['not working', history],
      ["thanks but it doesn't work", history],
    ] as const) {
      const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS], abstain: false });
      llm.replyNext('Call drop_partition() [1].');
      const final = finalOf(await collect(engineWith(retriever).answer({ text, history: [...turns] })));
      assert.notEqual(final.mode, 'acknowledged', text);
      assert.equal(retriever.asked.length, 1, `"${text}" is searched`);
    }
  });

  it('refuses an empty or oversized question with a plain message', async () => {
    const engine = engineWith(new ScriptedRetriever({ rewrite: 'none', hits: [], abstain: true }));
    await assert.rejects(collect(engine.answer({ text: '   ' })), { code: 'input', userMessage: 'Please type a question.' });
    await assert.rejects(collect(engine.answer({ text: 'x'.repeat(5000) })), { code: 'input' });
  });

  it('gives every question a request id when none is passed', async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [], abstain: true });
    const engine = engineWith(retriever);
    const a = finalOf(await collect(engine.answer({ text: 'one?' })));
    const b = finalOf(await collect(engine.answer({ text: 'two?' })));
    assert.match(a.requestId, /^[0-9a-f]{8}$/);
    assert.notEqual(a.requestId, b.requestId);
    assert.equal(retriever.asked[0]?.requestId, a.requestId);
  });

  it("stops when the caller aborts and rethrows the caller's reason", async () => {
    const retriever = new ScriptedRetriever({ rewrite: 'none', hits: [PARTITIONS], abstain: false });
    llm.setBehaviour({ tokensPerSecond: 10 });
    llm.replyNext('one two three four five six seven eight nine ten [1]');
    const controller = new AbortController();
    const reason = new Error('cancelled by user');
    const seen: AnswerEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of engineWith(retriever).answer({ text: 'q?', signal: controller.signal })) {
          seen.push(event);
          if (event.type === 'delta') controller.abort(reason);
        }
      })(),
      (error) => error === reason,
    );
    assert.ok(!seen.some((e) => e.type === 'final'));
  });
});
