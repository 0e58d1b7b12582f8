/**
 * The reranking stage's pure parts: canonical sources (code share, near-duplicate
 * groups), the features reranker, follow-up query variants, distinctive terms and
 * the reranked abstention rules. The retriever built from them is tested against
 * real Milvus and the real model in retrieval.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RetrievedChunk } from '../src/engine/types.ts';
import { prepareDocument } from '../src/ingest/document.ts';
import { CONFIDENT_RELEVANCE, IDENTIFIER_MARGIN, NAMED_CONFIDENT_RELEVANCE, shouldAbstainReranked } from '../src/retrieval/abstain.ts';
import { codeFraction, dropNearDuplicates, isSignpost } from '../src/retrieval/canonical.ts';
import { matchedRareIdentifiers, namedTerms, unknownNames, unmatchedDistinctiveTerms, unusualWords } from '../src/retrieval/distinctive.ts';
import { orderTopPageByQuestion, rerankByFeatures } from '../src/retrieval/rerank.ts';
import { mergeSameSection } from '../src/retrieval/sections.ts';
import { queryVariants } from '../src/retrieval/variants.ts';

const PROSE = 'Milvus deals with two types of data, inserted data and metadata, stored in object storage and etcd.';

function chunk(id: string, text: string, extra: Partial<RetrievedChunk> = {}): RetrievedChunk {
  return { id, path: `${id}.md`, title: id, headingPath: [id], text, score: 0, similarity: 0, ...extra };
}

describe('canonical sources', () => {
  it('measures the share of a chunk inside fenced code', () => {
    assert.equal(codeFraction(PROSE), 0);
    assert.equal(codeFraction(`\`\`\`\n${PROSE}\n\`\`\``), 1);
    const half = codeFraction(`abcd\n\`\`\`python\nefgh\n\`\`\``);
    assert.equal(half, 0.5);
    assert.equal(codeFraction(`~~~\nunclosed ${PROSE}`), 1, 'an unclosed fence runs to the end');
  });

  it("knows a signpost: prose that is only links to other pages, not one line's pointer or links elsewhere", () => {
    const whatsNext =
      "## What's next\n\n- Learn how to manage [user authentication](authenticate.md).\n\n- Learn how to enable [TLS proxy](tls.md) in Milvus.";
    assert.equal(isSignpost(whatsNext), true);
    assert.equal(isSignpost('- <a href="configure_quotaandlimits.md#rate">rate</a>\n- <a href="configure_etcd.md">etcd</a>'), true);
    // One line with a link is often the whole answer.
    assert.equal(isSignpost('#### Can I deploy offline?\n\nYes. See [Install Milvus Offline](install_offline-helm.md).'), false);
    // Links out of the docs (a release note's pull requests) and within the page (tab bars) point nowhere in them.
    assert.equal(
      isSignpost(
        '- Fixed a crash ([#3401](https://github.com/milvus-io/milvus/pull/3401))\n- Fixed a leak ([#3402](https://github.com/milvus-io/milvus/pull/3402))',
      ),
      false,
    );
    assert.equal(isSignpost('<a href="#python">Python</a>\n<a href="#java">Java</a>'), false);
    // A page's own table of contents points at the sections that answer; a sentence linking to one does not.
    assert.equal(
      isSignpost('## Errors\n\n- [FST_ERR_NOT_FOUND](#fst_err_not_found)\n- [FST_ERR_OPTIONS_NOT_OBJ](#fst_err_options_not_obj).'),
      true,
    );
    assert.equal(
      isSignpost('- Set `bodyLimit`, see [below](#bodylimit), for uploads.\n- Or stream the body as [shown](#streams) here.'),
      false,
    );
    assert.equal(isSignpost(`To create one, see [partitions](partitions.md).\n\n${PROSE}\n\nThen load it.`), false);
    // Code is neither prose nor a link.
    assert.equal(isSignpost('- [Guide](guide.md)\n- [Tutorial](tutorial.md)\n```\nclient.connect()\n```'), true);
  });

  it('keeps the first chunk of each near-duplicate group, up to the limit', () => {
    const ranked = [
      chunk('faq', PROSE),
      chunk('tutorial', `Output:\n${PROSE} Then the next step follows.`),
      chunk('other', 'A different passage about partitions and partition keys in collections, with its own words.'),
      chunk('third', 'Yet another passage, this one about index building parameters such as nlist and nprobe.'),
    ];
    assert.deepEqual(
      dropNearDuplicates(ranked, 10).map((c) => c.id),
      ['faq', 'other', 'third'],
    );
    assert.deepEqual(
      dropNearDuplicates(ranked, 2).map((c) => c.id),
      ['faq', 'other'],
    );
  });

  it('keeps sibling sections of one page that share their wording', () => {
    const shared = 'The `msgPrefix` property allows you to specify a prefix for every message of the logger and its children.';
    const ranked = [
      chunk('child-option', `${shared} Set it when creating a child.`, { path: 'api.md' }),
      chunk('root-option', `${shared} Set it when creating the logger.`, { path: 'api.md' }),
      chunk('copy', `Output:\n${shared}`, { path: 'tutorial.md' }),
    ];
    assert.deepEqual(
      dropNearDuplicates(ranked, 10).map((c) => c.id),
      ['child-option', 'root-option'],
    );
  });
});

describe('one hit per section', () => {
  it('merges later chunks of a section into its best-ranked chunk, keeping the ranking and the input', () => {
    const ranked = [
      chunk('a1', 'first part', { path: 'a.md', headingPath: ['A', 'Limits'], score: 0.9 }),
      chunk('b', 'other section', { path: 'a.md', headingPath: ['A', 'Other'], score: 0.8 }),
      chunk('a2', 'second part', { path: 'a.md', headingPath: ['A', 'Limits'], score: 0.7 }),
      chunk('c', 'same heading, another page', { path: 'c.md', headingPath: ['A', 'Limits'], score: 0.6 }),
    ];
    const merged = mergeSameSection(ranked);
    assert.deepEqual(
      merged.map((c) => [c.id, c.text, c.score]),
      [
        ['a1', 'first part\n\nsecond part', 0.9],
        ['b', 'other section', 0.8],
        ['c', 'same heading, another page', 0.6],
      ],
    );
    assert.equal(ranked[0]!.text, 'first part', 'the input chunks are not changed');
  });

  it('a section merged from a later chunk ranked first reads in document order, its heading line first', () => {
    const ranked = [
      { ...chunk('p3', 'row 77', { path: 'api.md', headingPath: ['API', 'Error codes'], score: 0.9 }), chunkIndex: 3 },
      { ...chunk('p1', '## Error codes\n\nrow 1', { path: 'api.md', headingPath: ['API', 'Error codes'], score: 0.5 }), chunkIndex: 1 },
      { ...chunk('p2', 'row 40', { path: 'api.md', headingPath: ['API', 'Error codes'], score: 0.4 }), chunkIndex: 2 },
    ];
    const [merged] = mergeSameSection(ranked);
    assert.deepEqual([merged?.id, merged?.score, merged?.text], ['p3', 0.9, '## Error codes\n\nrow 1\n\nrow 40\n\nrow 77']);
  });

  it('reads a long section merged from its chunks once: the context each later chunk repeats is dropped', () => {
    const sentences = Array.from(
      { length: 24 },
      (_, i) => `Sentence ${i + 1} says something about deleting entities by their primary keys.`,
    );
    const source = `# Delete\n\n## Delete entities\n\n${sentences.map((s, i) => (i % 3 === 2 ? `${s}\n` : s)).join('\n')}\n`;
    const pieces = prepareDocument(source, 'delete.md', { maxChars: 600, overlapChars: 200 });
    assert.ok(pieces.length >= 3, 'the section is split into several chunks');
    const repeats = pieces.slice(1).filter((piece, i) => pieces[i]!.text.trimEnd().endsWith(piece.text.split('\n\n')[0]!));
    assert.ok(repeats.length > 0, 'later chunks start with the tail of the chunk before');
    const ranked = pieces.map((piece, i) => ({
      ...chunk(piece.id, piece.text, { path: 'delete.md', headingPath: piece.headingPath, score: 1 - i / 10 }),
      chunkIndex: piece.chunkIndex,
    }));
    const [merged] = mergeSameSection(ranked.reverse());
    for (const sentence of sentences) assert.equal(merged!.text.split(sentence).length - 1, 1, `"${sentence}" once`);
    assert.ok(merged!.text.startsWith('# Delete\n\n## Delete entities\n\nSentence 1 '));
  });
});

describe('features reranker', () => {
  it('scores by cosine to every judge, BM25 share and code share, best first', () => {
    const ranked = rerankByFeatures({
      candidates: [chunk('copy', `\`\`\`\n${PROSE}\n\`\`\``), chunk('prose', PROSE), chunk('far', 'unrelated')],
      judgeSimilarities: [
        new Map([
          ['copy', 1],
          ['prose', 1],
          ['far', 0],
        ]),
      ],
      lexicalScores: [
        new Map([
          ['copy', 8],
          ['prose', 8],
        ]),
      ],
    });
    assert.deepEqual(
      ranked.map((c) => c.id),
      ['prose', 'copy', 'far'],
    );
    assert.ok(Math.abs(ranked[0]!.score - 1.1) < 1e-9, 'cosine 1 + 0.1 × full BM25 share');
    assert.equal(ranked[0]!.similarity, 1);
  });

  it('puts a signpost below the page it points to', () => {
    const ranked = rerankByFeatures({
      candidates: [
        chunk(
          'next',
          "## What's next\n\n- Learn how to manage [user authentication](authenticate.md).\n- Learn how to enable [TLS](tls.md).",
        ),
        chunk('enable', '## Enable user authentication\n\nSet `common.security.authorizationEnabled` to true in milvus.yaml.'),
      ],
      judgeSimilarities: [
        new Map([
          ['next', 0.63],
          ['enable', 0.48],
        ]),
      ],
      lexicalScores: [new Map()],
    });
    assert.deepEqual(
      ranked.map((c) => c.id),
      ['enable', 'next'],
    );
    assert.ok(Math.abs(ranked[1]!.score - 0.43) < 1e-9, 'cosine less the signpost weight');
  });

  it('averages the cosines of several judges', () => {
    const ranked = rerankByFeatures({
      candidates: [chunk('a', 'x'), chunk('b', 'y')],
      judgeSimilarities: [
        new Map([
          ['a', 0.9],
          ['b', 0.5],
        ]),
        new Map([
          ['a', 0.1],
          ['b', 0.7],
        ]),
      ],
      lexicalScores: [new Map(), new Map()],
    });
    assert.deepEqual(
      ranked.map((c) => [c.id, Math.round(c.score * 100) / 100, c.similarity]),
      [
        ['b', 0.6, 0.5],
        ['a', 0.5, 0.9],
      ],
    );
  });

  it('treats BM25 given as negative distances (Milvus Lite 3.x) like positive scores', () => {
    const ranked = rerankByFeatures({
      candidates: [chunk('a', 'x'), chunk('b', 'y')],
      judgeSimilarities: [
        new Map([
          ['a', 1],
          ['b', 1],
        ]),
      ],
      lexicalScores: [
        new Map([
          ['a', -2],
          ['b', -9],
        ]),
      ],
    });
    assert.equal(ranked[0]!.id, 'b');
  });

  it("orders the top page's sections by the thread and the question together, in that page's places, and leaves other pages alone", () => {
    const onPage = (id: string, score: number) => chunk(id, id, { path: 'page.md', score });
    const byThread = [onPage('overview', 0.8), chunk('other', 'o', { score: 0.7 }), onPage('concepts', 0.6), onPage('how-to', 0.5)];
    const reordered = orderTopPageByQuestion(byThread, {
      // Thread relevance + fit to the question: overview 0.8 + 0.1, concepts 0.6 + 0.45, how-to 0.5 + 0.425.
      similarities: new Map([
        ['overview', 0.1],
        ['other', 0.9],
        ['concepts', 0.35],
        ['how-to', 0.4],
      ]),
      // BM25 share breaks the near-tie between concepts (0.35 + 0.1) and how-to (0.4 + 0.025).
      lexicalScores: new Map([
        ['concepts', 4],
        ['how-to', 1],
      ]),
    });
    assert.deepEqual(
      reordered.map((c) => [c.id, c.score]),
      [
        ['concepts', 0.8],
        ['other', 0.7],
        ['how-to', 0.6],
        ['overview', 0.5],
      ],
    );
    assert.deepEqual(
      byThread.map((c) => c.id),
      ['overview', 'other', 'concepts', 'how-to'],
      'the input is left as it was',
    );
    // "what do I set when building that one?": the thread named the section, the question does not.
    const named = orderTopPageByQuestion([onPage('ivf_sq8', 0.9), onPage('hnsw', 0.5)], {
      similarities: new Map([
        ['ivf_sq8', 0.3],
        ['hnsw', 0.4],
      ]),
      lexicalScores: new Map(),
    });
    assert.deepEqual(
      named.map((c) => c.id),
      ['ivf_sq8', 'hnsw'],
    );
  });
});

describe('follow-up query variants', () => {
  const history = [
    { role: 'user' as const, content: 'which index is good if memory is tight?' },
    { role: 'assistant' as const, content: 'IVF_SQ8 is a good fit: it quantizes each FLOAT to UINT8.' },
  ];
  it('searches a follow-up alone, with the last question and with the answer terms, and judges against the thread', () => {
    const v = queryVariants('ok what do i set when building that one?', history);
    assert.equal(v.rewrite, 'heuristic');
    assert.deepEqual(v.searches, [
      'ok what do i set when building that one?',
      'ok what do i set when building that one? which index is good if memory is tight?',
      'ok what do i set when building that one? IVF_SQ8 FLOAT UINT8',
    ]);
    assert.equal(v.judges.length, 4);
    assert.match(v.judges[3]!, /^ok what do i set.*\nwhich index is good if memory is tight\?\nIVF_SQ8 is a good fit/s);
  });
  it('puts the question first in the thread judge, so a long answer is what the 256-token limit cuts', () => {
    const longAnswer = `IVF_SQ8 is a good fit. ${'It trades a little recall for a quarter of the memory. '.repeat(40)}`;
    const v = queryVariants('ok what do i set when building that one?', [history[0]!, { role: 'assistant', content: longAnswer }]);
    assert.ok(v.judges[3]!.startsWith('ok what do i set when building that one?\nwhich index is good if memory is tight?'));
  });
  it('a follow-up of a follow-up is searched with the question the thread started from', () => {
    const thread = [
      { role: 'user' as const, content: 'how do i load a collection' },
      { role: 'assistant' as const, content: 'Call load_collection() with the collection name.' },
      { role: 'user' as const, content: 'and for java?' },
      { role: 'assistant' as const, content: 'Use loadCollection() on the MilvusClientV2.' },
    ];
    const v = queryVariants('how do i release it', thread);
    assert.equal(v.searches[1], 'how do i release it how do i load a collection and for java?');
    assert.match(v.judges.at(-1)!, /^how do i release it\nhow do i load a collection and for java\?\nUse loadCollection/);
    // A previous question that stood on its own is where the chain stops.
    const fresh = queryVariants('how do i release it', [
      ...thread,
      { role: 'user' as const, content: 'how do i create a partition in a collection' },
      { role: 'assistant' as const, content: 'Call create_partition().' },
    ]);
    assert.equal(fresh.searches[1], 'how do i release it how do i create a partition in a collection');
  });
  it('a question that says it leaves the topic stands on its own, and the next follow-up leans on it alone', () => {
    const switched = 'unrelated, but how do i make the server reachable from my phone on the same wifi?';
    assert.equal(queryVariants(switched, history).rewrite, 'none', '"the same" in a question that says it is unrelated');
    assert.equal(queryVariants('ok, different topic: that upload keeps failing', history).rewrite, 'none');
    assert.equal(queryVariants('on another note, is this one faster?', history, { asFollowUp: true }).rewrite, 'none');
    // "another question about that" still leans on the thread.
    assert.equal(queryVariants('another question about that: does it scale?', history).rewrite, 'heuristic');
    const v = queryVariants('is there the same thing for the preview server?', [
      ...history,
      { role: 'user' as const, content: switched },
      { role: 'assistant' as const, content: 'Set host to true.' },
    ]);
    assert.equal(v.searches[1], `is there the same thing for the preview server? ${switched}`, 'the chain stops at the switch');
  });
  it('searches a standalone question as asked, even inside a thread', () => {
    const v = queryVariants('how do I configure TLS between Milvus and etcd in a cluster?', history);
    assert.equal(v.rewrite, 'none');
    assert.deepEqual(v.searches, ['how do I configure TLS between Milvus and etcd in a cluster?']);
    assert.deepEqual(v.judges, v.searches);
  });
});

describe('distinctive terms and reranked abstention', () => {
  const hits = [chunk('payload', 'The maximum payload of a single entity is limited by the gRPC message size.')];
  const corpusFrequency = new Map([
    ['foodb', 1],
    ['payload', 12],
    ['maximum', 40],
    ['entity', 90],
  ]);
  const df = async (terms: string[], atMost: number) =>
    new Map(terms.map((term) => [term, Math.min(corpusFrequency.get(term) ?? 0, atMost)]));

  it('finds terms the corpus mentions once but the top passages never do', async () => {
    assert.deepEqual(await unmatchedDistinctiveTerms('in foodb whats the maximum payload of an entity?', hits, df), ['foodb']);
    assert.deepEqual(
      await unmatchedDistinctiveTerms('whats the maximum payload of an entity in prod?', hits, df),
      [],
      'words the corpus never uses (slang, typos) are not distinctive',
    );
    assert.deepEqual(
      await unmatchedDistinctiveTerms("my key is literally 'foodb$usd': whats the maximum payload of an entity?", hits, df),
      [],
      "the asker's own names, quoted or in code, are not the subject",
    );
    const corpusWithTypo = async (terms: string[], atMost: number) =>
      new Map(terms.map((term) => [term, Math.min(term === 'doesnt' ? 1 : 0, atMost)]));
    assert.deepEqual(
      await unmatchedDistinctiveTerms('which level doesnt cost as much?', hits, corpusWithTypo),
      [],
      'a contraction without its apostrophe, though one chunk writes it so, is no term',
    );
  });

  it('abstains on low relevance, unknown versions, and unmatched terms unless confident', () => {
    const ranked = [chunk('a', 'Milvus 2.4 supports this.', { score: 0.45 })];
    const decide = (question: string, unmatchedTerms: string[] = [], score = 0.45) =>
      shouldAbstainReranked({
        question,
        productNames: new Set(['milvus']),
        ranked: [{ ...ranked[0]!, score }],
        threshold: 0.4,
        unmatchedTerms,
      }).reason;
    assert.equal(decide('how do partitions work?'), undefined);
    assert.equal(decide('how do partitions work?', [], 0.39), 'low_relevance');
    assert.equal(decide('does milvus 2.6 support it?'), 'unknown_version');
    assert.equal(decide('in foodb how do partitions work?', ['foodb']), 'unmatched_term');
    assert.equal(decide('in foodb how do partitions work?', ['foodb'], CONFIDENT_RELEVANCE), undefined);
    assert.equal(shouldAbstainReranked({ question: 'x', ranked: [], threshold: 0.4, unmatchedTerms: [] }).reason, 'no_candidates');
  });

  it('names written in lower case: words that are not English, nor a typo or an abbreviation of a word in the top passages', () => {
    const passages = [chunk('a', 'Create a collection in production with a partition key, then query it.', { title: 'Collections' })];
    assert.deepEqual(unusualWords('weaviate hybrid search: how do i tune it?', passages), ['weaviate']);
    assert.deepEqual(unusualWords('in msgspec, can a model be frozen like with protobuf?', passages).sort(), ['msgspec', 'protobuf']);
    assert.deepEqual(
      unusualWords('i dont get why my colection in prod is slooow after a crashloop, gotcha', passages),
      [],
      'contractions, a typo and an abbreviation of words in the passages, drawn-out and run-together words, slang',
    );
    assert.deepEqual(unusualWords('is there a knob to throttle reads?', passages), [], 'a word with a rude sense is English too');
    assert.deepEqual(
      unusualWords('how long can a collection name be? we migrate from jira 9.4', passages),
      [],
      'what the asker runs, by its version',
    );
    assert.deepEqual(
      unusualWords("my collection 'qdrantish' fails in `weaviateStore.search()`", passages),
      [],
      'quoted and code text left out',
    );
  });

  it('names the docs never use: written as names, looked up in the whole corpus, quoted and code text left out', async () => {
    assert.deepEqual(
      namedTerms("how do i set up winston's DailyRotateFile transport, is it HIPAA ok, and what about log4j2 or v2?").sort(),
      ['dailyrotatefile', 'hipaa', 'winston'],
    );
    assert.deepEqual(namedTerms("my collection 'prod-docs-v2' fails in `MyStore.search()`"), [], "the asker's own names");
    assert.deepEqual(namedTerms('how do partitions work in milvus?'), [], 'plain words are no names');
    assert.deepEqual(namedTerms('can FileResponse serve an mp4 with Range requests?'), ['fileresponse'], 'formats are no names');
    const corpus = new Map([
      ['winston', 0],
      ['dailyrotatefile', 0],
      ['milvusclient', 12],
    ]);
    const counted = async (terms: string[], atMost: number) =>
      new Map(terms.map((term) => [term, Math.min(corpus.get(term) ?? 0, atMost)]));
    assert.deepEqual(await unknownNames("set up winston's DailyRotateFile", counted), ['winston', 'dailyrotatefile']);
    assert.deepEqual(await unknownNames('MilvusClient fails to connect', counted), [], 'a name the docs use');
    const passages = [chunk('a', 'Hybrid search fuses dense and sparse results.')];
    assert.deepEqual(await unknownNames('weaviate hybrid search: how do i tune it?', counted, passages), ['weaviate'], 'not English');
    assert.deepEqual(
      await unknownNames('weaviate hybrid search: how do i tune it?', counted),
      [],
      'not English only counts with the passages',
    );
    const decide = (score: number) =>
      shouldAbstainReranked({
        question: "set up winston's DailyRotateFile",
        ranked: [chunk('a', 'Rotate log files with logrotate.', { score })],
        threshold: 0.4,
        unmatchedTerms: [],
        unknownNames: ['winston', 'dailyrotatefile'],
      }).reason;
    assert.equal(decide(0.55), 'unknown_name');
    assert.equal(decide(NAMED_CONFIDENT_RELEVANCE), undefined, 'unless the reranker is sure');
  });

  it('an identifier only the best candidate holds: found, and answered just below the threshold, not far below', async () => {
    const table = chunk('codes', '| Code | Meaning |\n| --- | --- |\n| E1077 | The flag key failed validation. |', {
      headingPath: ['API', 'Error codes'],
    });
    const frequency = new Map([
      ['e1077', 1],
      ['e2', 7],
    ]);
    const counted = async (terms: string[], atMost: number) =>
      new Map(terms.map((term) => [term, Math.min(frequency.get(term) ?? 0, atMost)]));
    assert.deepEqual(await matchedRareIdentifiers('what does error E1077 mean?', table, counted), ['e1077']);
    assert.deepEqual(await matchedRareIdentifiers('what does error code mean?', table, counted), [], 'no identifier asked');
    assert.deepEqual(
      await matchedRareIdentifiers('what does E2 mean?', { ...table, text: 'E2 is common.' }, counted),
      [],
      'in many chunks',
    );
    assert.deepEqual(await matchedRareIdentifiers('what does E1078 mean?', table, counted), [], 'not in the candidate');
    const decide = (score: number, matchedIdentifiers: string[]) =>
      shouldAbstainReranked({
        question: 'what does error E1077 mean?',
        ranked: [{ ...table, score }],
        threshold: 0.4,
        unmatchedTerms: [],
        matchedIdentifiers,
      }).reason;
    assert.equal(decide(0.4 - IDENTIFIER_MARGIN, ['e1077']), undefined);
    assert.equal(decide(0.39, []), 'low_relevance');
    assert.equal(decide(0.4 - IDENTIFIER_MARGIN - 0.01, ['e1077']), 'low_relevance');
    const onWindows = shouldAbstainReranked({
      question: 'what does E1077 mean on windows?',
      ranked: [{ ...table, score: 0.35 }],
      threshold: 0.4,
      unmatchedTerms: ['windows'],
      matchedIdentifiers: ['e1077'],
    });
    assert.equal(onWindows.reason, 'unmatched_term', 'a rescued question still gets the distinctive-term check');
  });
});
