/**
 * The retriever against a real Milvus Lite holding a few real corpus pages embedded
 * with the real model: hybrid search, follow-up rewriting (heuristic and hook),
 * abstention and path scoping. Plus the pure parts (rewrite heuristics, fusion,
 * abstention rules) on their own.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { dot, meanDirection, normalise } from '../src/embeddings/types.ts';
import type { RetrievedChunk, Turn } from '../src/engine/types.ts';
import type { ChunkStore } from '../src/milvus/store.ts';
import { shouldAbstain } from '../src/retrieval/abstain.ts';
import { fuseRankings } from '../src/retrieval/fusion.ts';
import { createRetriever, type Retriever } from '../src/retrieval/retriever.ts';
import { heuristicStandaloneQuery, isFollowUp, keyTerms } from '../src/retrieval/rewrite.ts';
import { productNamesOf, versionsAskedAbout, wordsBeforeVersions } from '../src/retrieval/versions.ts';
import { NEEDS_SHARED, testConfig } from './fakes/config.ts';
import { startTestMilvus, type TestMilvus } from './support/milvus.ts';
import { connectStore, copyCorpusPages, ingestWithDefaults, testEmbedder } from './support/retrieval-fixture.ts';

const PAGES = [
  'faq/product_faq.md',
  // Prints the FAQ's answers as sample output: the copies that must not outrank it.
  'tutorials/build-rag-with-milvus.md',
  'integrations/build_RAG_with_milvus_and_siliconflow.md',
  'reference/index.md',
  'reference/mmap.md',
  'reference/consistency.md',
  'adminGuide/authenticate.md',
  // A page whose overview matches a thread about it better than the step a follow-up asks for.
  'userGuide/clustering-compaction.md',
];

function chunk(id: string, similarity: number, path = 'a.md'): RetrievedChunk {
  return { id, path, title: 'T', headingPath: ['T', id], text: `text ${id}`, score: 0, similarity };
}

describe('follow-up heuristics', () => {
  const thread: Turn[] = [
    { role: 'user', content: 'which index is good if i need fast queries but memory is tight?' },
    { role: 'assistant', content: 'IVF_SQ8 is a good fit: it turns each 4-byte FLOAT into a 1-byte UINT8 with Scalar Quantization.' },
  ];

  it('searches a follow-up densely once, in the direction closest to all its search texts', () => {
    const a = normalise([1, 0, 0, 0]);
    const b = normalise([0.6, 0.8, 0, 0]);
    const mean = meanDirection([a, b]);
    assert.ok(Math.abs(Math.hypot(...mean) - 1) < 1e-9, 'unit length');
    assert.ok(Math.abs(dot(mean, a) - dot(mean, b)) < 1e-9, 'as close to one text as to the other');
    assert.ok(dot(mean, a) > dot(a, b), 'closer to each than they are to each other');
    assert.deepEqual(meanDirection([b]), b);
  });

  it('tells follow-ups from standalone questions', () => {
    assert.equal(isFollowUp('ok what do i have to set when building that one?', thread), true);
    assert.equal(isFollowUp('and for HNSW?', thread), true);
    assert.equal(isFollowUp('how do I configure TLS between Milvus and etcd in a cluster?', thread), false);
    assert.equal(isFollowUp('what do i set when building that one?', []), false, 'no history, no follow-up');
  });

  it('pulls identifiers and names out of an answer, not sentence-initial words', () => {
    assert.deepEqual(keyTerms(thread[1]!.content), ['IVF_SQ8', '4-byte', 'FLOAT', '1-byte', 'UINT8', 'Scalar', 'Quantization']);
    assert.deepEqual(keyTerms('Set `common.security.authorizationEnabled` to true. Then restart.'), [
      'common.security.authorizationEnabled',
    ]);
    // A call written out in prose names its function; the argument cut off at the space is no name.
    assert.deepEqual(keyTerms("Use fastify.decorateReply('name', value) to add a property to every reply."), ['fastify.decorateReply']);
    // What the answer names in parentheses, lowercase or not; a parenthesised aside of several words is no name.
    assert.deepEqual(keyTerms('You can enable memory mapping (mmap) so data is read from disk (when it is needed).'), ['mmap']);
  });

  it('never takes the prose between two code spans for code when one span is long', () => {
    const answer =
      'Add the repo with `helm repo add milvus https://zilliztech.github.io/milvus-helm/`, run `helm repo update`, then `helm install my-release milvus/milvus`.';
    assert.deepEqual(keyTerms(answer), ['helm repo update', 'helm install my-release milvus/milvus']);
  });

  it('builds a standalone query from the question, the last user turn and the answer terms', () => {
    const query = heuristicStandaloneQuery('ok what do i have to set when building that one?', thread);
    assert.ok(query?.startsWith('ok what do i have to set when building that one?'));
    assert.match(query ?? '', /memory is tight/);
    assert.match(query ?? '', /IVF_SQ8/);
    assert.equal(heuristicStandaloneQuery('how do I configure TLS between Milvus and etcd in a cluster?', thread), undefined);
  });
});

describe('fusion and abstention rules', () => {
  it('fuses rankings with RRF, keeping the best similarity seen', () => {
    const fused = fuseRankings([
      [chunk('a', 0.5), chunk('b', 0.4)],
      [chunk('b', 0.6), chunk('c', 0.3)],
      [chunk('b', Number.NaN), chunk('d', Number.NaN)],
    ]);
    assert.deepEqual(
      fused.map((c) => c.id),
      ['b', 'a', 'c', 'd'],
    );
    assert.equal(fused[0]?.similarity, 0.6);
    assert.ok(Math.abs((fused[0]?.score ?? 0) - (1 / 62 + 1 / 61 + 1 / 61)) < 1e-12);
    assert.ok(Number.isNaN(fused[3]?.similarity));
  });

  it('abstains below the threshold, on nothing found, and on versions no candidate mentions', () => {
    const pool = [chunk('a', 0.61), chunk('b', 0.5)];
    assert.deepEqual(shouldAbstain({ question: 'q', candidates: pool, threshold: 0.42 }), {
      abstain: false,
      bestSimilarity: 0.61,
    });
    assert.equal(shouldAbstain({ question: 'q', candidates: pool, threshold: 0.7 }).reason, 'low_similarity');
    assert.equal(shouldAbstain({ question: 'q', candidates: [], threshold: 0.42 }).reason, 'no_candidates');

    const asked = 'when is Milvus 2.6 GA? and v3.0? (we run version 2.4.5, spark 3.1)';
    assert.deepEqual(versionsAskedAbout(asked, new Set(['milvus'])).sort(), ['2.4.5', '2.6', '3.0']);
    assert.deepEqual(versionsAskedAbout(asked).sort(), ['2.4.5', '3.0'], 'a word is a product name only when the docs say so');
    const milvus = new Set(['milvus']);
    const documented = [{ ...chunk('a', 0.6), text: 'New in Milvus v2.4.1: sparse vectors.' }];
    assert.equal(
      shouldAbstain({ question: 'when is milvus 2.6 GA?', productNames: milvus, candidates: documented, threshold: 0.42 }).reason,
      'unknown_version',
    );
    assert.equal(
      shouldAbstain({ question: 'what changed in milvus 2.4.1?', productNames: milvus, candidates: documented, threshold: 0.42 }).abstain,
      false,
    );
    assert.equal(shouldAbstain({ question: 'is 2.4.7 out?', candidates: documented, threshold: 0.42 }).abstain, false, 'no product named');
    assert.equal(
      shouldAbstain({ question: 'bug in milvus 2.4.7?', productNames: milvus, candidates: documented, threshold: 0.42 }).abstain,
      false,
      'patch of a documented release',
    );
  });
});

describe('a major release named on its own', () => {
  const acme = new Set(['acme']);
  const withText = (text: string) => [{ ...chunk('a', 0.6), text }];
  const decline = (question: string, text: string) =>
    shouldAbstain({ question, productNames: acme, candidates: withText(text), threshold: 0.42 }).reason === 'unknown_version';

  it('is asked about when written "acme 7", "v7" or "7.x"; other numbers are not releases', () => {
    assert.deepEqual(versionsAskedAbout('what changed in acme 7, and in v8 or 9.x?', acme).sort(), ['7', '8', '9']);
    assert.deepEqual(versionsAskedAbout('show the top 5 results from node 18', acme), [], 'not the product, not marked');
  });

  it('counts as documented only where the passages write it as a release, not as any number', () => {
    assert.equal(decline('when is acme 7 out?', 'Retries stop after 7 days. See 3.2 for details.'), true);
    for (const documented of [
      'Acme v7.1.2 drops Node 16.',
      'Install acme@7.',
      'Acme 7 is the current line.',
      'Since 7.0, routes are sorted.',
    ]) {
      assert.equal(decline('when is acme 7 out?', documented), false, documented);
    }
  });
});

describe("the docs' product name before a version", () => {
  it('is a word a quarter of the chunks use; function words and other products are not', async () => {
    assert.deepEqual(wordsBeforeVersions('is it in 2.4 and 2.5, in acme 3.0, with spark 3.1 and version 2.2?'), ['acme', 'spark']);
    const counts = new Map([
      ['acme', 25],
      ['spark', 1],
    ]);
    const asked: number[] = [];
    const df = async (terms: string[], atMost: number) => {
      asked.push(atMost);
      return new Map(terms.map((term) => [term, Math.min(counts.get(term) ?? 0, atMost)]));
    };
    assert.deepEqual([...(await productNamesOf(['acme', 'spark'], 58, df))], ['acme']);
    assert.deepEqual(asked, [15], 'counted up to a quarter of the chunks');
    assert.deepEqual([...(await productNamesOf([], 58, df))], [], 'no lookup without a word');
    assert.equal(asked.length, 1);
  });
});

describe('retriever (real Milvus Lite, real embeddings)', { skip: NEEDS_SHARED }, () => {
  let milvus: TestMilvus;
  let store: ChunkStore;
  let docs: string;
  let retriever: Retriever;
  const config = testConfig({ RETRIEVAL_TOP_K: '5' });

  before(async () => {
    [milvus, docs] = await Promise.all([startTestMilvus(), copyCorpusPages(PAGES), testEmbedder()]);
    store = await connectStore(milvus.address, 'retrieval_test');
    await ingestWithDefaults(docs, store, { baseUrl: 'https://milvus.io/docs' });
    retriever = createRetriever({ store, embedder: await testEmbedder(), config });
  });

  after(async () => {
    await store?.close();
    await Promise.all([milvus?.stop(), docs && rm(docs, { recursive: true, force: true })]);
  });

  it('finds the section that answers a standalone question, with its metadata', async () => {
    const result = await retriever.retrieve({
      text: 'dropped a collection yesterday but the files are still sitting in our minio bucket?? bug or expected',
    });
    assert.equal(result.rewrite, 'none');
    assert.equal(result.abstain, false);
    assert.equal(result.hits.length, 5);
    const [top] = result.hits;
    assert.equal(top?.path, 'faq/product_faq.md');
    assert.equal(top?.headingPath.at(-1), 'Why does the data in MinIO remain after the corresponding collection is dropped?');
    assert.equal(top?.title, 'Product FAQ');
    assert.equal(top?.url, 'https://milvus.io/docs/faq/product_faq');
    assert.ok((top?.similarity ?? 0) > 0.42 && (top?.similarity ?? 0) <= 1);
    assert.ok(
      result.hits.every((hit, i) => i === 0 || hit.score <= result.hits[i - 1]!.score),
      'ranked by relevance',
    );
    assert.ok(
      result.hits.every((hit) => !('vector' in hit)),
      'vectors stay inside the retriever',
    );
  });

  it('rewrites a follow-up with the heuristic and finds what "that one" refers to', async () => {
    const result = await retriever.retrieve({
      text: 'ok what do i have to set when building that one?',
      history: [
        { role: 'user', content: 'which index is good if i need fast queries but memory is tight?' },
        { role: 'assistant', content: 'IVF_SQ8 is a good fit: it turns each 4-byte FLOAT into a 1-byte UINT8, cutting memory by 70-75%.' },
      ],
    });
    assert.equal(result.rewrite, 'heuristic');
    assert.match(result.query, /IVF_SQ8/);
    assert.ok(
      result.hits.some((hit) => hit.path === 'reference/index.md' && hit.headingPath.at(-1) === 'IVF_SQ8'),
      `IVF_SQ8 section in ${result.hits.map((h) => h.headingPath.at(-1)).join(' | ')}`,
    );
  });

  it("answers a follow-up from the section of the thread's page that the question asks about", async () => {
    const result = await retriever.retrieve({
      text: 'how do i start one manually?',
      history: [
        { role: 'user', content: 'what is clustering compaction good for?' },
        { role: 'assistant', content: 'It groups entities by a clustering key so searches can skip segments that cannot match.' },
      ],
    });
    const sections = result.hits.map((hit) => `${hit.path} › ${hit.headingPath.at(-1)}`);
    const trigger = sections.indexOf('userGuide/clustering-compaction.md › Trigger Clustering Compaction');
    assert.ok(trigger >= 0 && trigger < 3, sections.join(' | '));
    assert.ok(
      result.hits.every((hit, i) => i === 0 || hit.score <= result.hits[i - 1]!.score),
      'still listed by relevance',
    );
  });

  it('reads a question the docs do not answer on their own with its thread, though it does not look like a follow-up', async () => {
    const question = 'whats the catch, could i lose anything?';
    const history: Turn[] = [
      { role: 'user', content: 'can milvus load a collection without keeping all of it in memory?' },
      { role: 'assistant', content: 'Yes: with mmap (memory-mapped files) Milvus keeps the data on local disk and loads it on demand.' },
    ];
    assert.equal(isFollowUp(question, history), false, 'four topic words, no word leaning on the thread');
    const alone = await retriever.retrieve({ text: question });
    assert.equal(alone.abstain, true, `declined alone: ${alone.hits.map((h) => h.headingPath.at(-1)).join(' | ')}`);
    const threaded = await retriever.retrieve({ text: question, history });
    assert.equal(threaded.abstain, false);
    assert.equal(threaded.rewrite, 'heuristic');
    const sources = threaded.hits.map((h) => `${h.path} › ${h.headingPath.at(-1)}`);
    assert.ok(
      sources.slice(0, 3).some((source) => source.startsWith('reference/mmap.md')),
      `the page the thread is about among the first three: ${sources.join(' | ')}`,
    );
  });

  it('declines a question about a product the docs never name, though its words match real pages', async () => {
    const question = "how do i turn on mmap for Qdrant's HNSW index?";
    const result = await retriever.retrieve({ text: question });
    const plain = await retriever.retrieve({ text: 'how do i turn on mmap for an HNSW index?' });
    assert.equal(plain.abstain, false, "the same question about the docs' own product is answered");
    assert.equal(result.abstain, true, result.hits.map((h) => `${h.headingPath.at(-1)} ${h.score.toFixed(3)}`).join(' | '));
  });

  it('ranks the prose section above tutorials that print it as sample output, and keeps one copy', async () => {
    const result = await retriever.retrieve({ text: 'How is data stored in milvus?' });
    assert.equal(result.hits[0]?.path, 'faq/product_faq.md', result.hits.map((h) => h.path).join(' | '));
    assert.equal(result.hits[0]?.headingPath.at(-1), 'Where does Milvus store data?');
    const quoting = result.hits.filter((hit) => hit.text.includes('Milvus deals with two types of data'));
    assert.equal(quoting.length, 1, `one chunk per copy group, got ${quoting.map((h) => h.path).join(', ')}`);
    // The bench splits retrieve time by these; the parts never exceed the whole.
    const timings = result.timings!;
    assert.ok(timings.embedMs > 0 && timings.milvusMs > 0, JSON.stringify(timings));
    assert.ok(timings.embedMs + timings.milvusMs + timings.rerankMs <= timings.totalMs + 0.001, JSON.stringify(timings));
  });

  it('lists each section once: chunks of one long section merge into its best-ranked hit', async () => {
    // "Indexes for sparse embeddings" is stored as three chunks, and this question matches all three.
    const result = await retriever.retrieve({ text: 'what do drop_ratio_build and drop_ratio_search do for sparse vector indexes?' });
    const sections = result.hits.map((hit) => [hit.path, ...hit.headingPath].join(' > '));
    assert.equal(new Set(sections).size, sections.length, sections.join(' | '));
    const sparse = result.hits.find((hit) => hit.headingPath.at(-1) === 'Indexes for sparse embeddings');
    assert.ok(sparse, sections.join(' | '));
    // What the other chunks held is still there for the answer: this section's tables of sparse and of float indexes.
    for (const name of ['SPARSE_WAND', 'IVF_SQ8']) assert.match(sparse.text, new RegExp(name));
  });

  it('searches several texts in one request with the same results as one request each, empty results included', async () => {
    const texts = ['where does milvus store data', 'zxqvqq', 'IVF_SQ8 memory'];
    const embedder = await testEmbedder();
    const vectors = await Promise.all(texts.map((text) => embedder.embedQuery(text)));
    const ids = (hits: RetrievedChunk[]) => hits.map((hit) => hit.id);
    const lexical = await store.bm25Searches({ texts, limit: 8 });
    assert.deepEqual(lexical.map(ids), await Promise.all(texts.map(async (text) => ids(await store.bm25Search({ text, limit: 8 })))));
    assert.equal(lexical[1]!.length, 0, 'a word the docs never use finds nothing, and the other lists keep their places');
    const dense = await store.denseSearches({ vectors, limit: 8 });
    assert.deepEqual(dense.map(ids), await Promise.all(vectors.map(async (vector) => ids(await store.denseSearch({ vector, limit: 8 })))));
    const frequencies = await store.termFrequencies(['minio', 'zxqv', 'collection'], 3);
    assert.deepEqual(Object.fromEntries(frequencies), { minio: frequencies.get('minio'), zxqv: 0, collection: 3 });
    assert.ok((frequencies.get('minio') ?? 0) >= 1);
    assert.deepEqual(Object.fromEntries(await store.termFrequencies(['minio'], 3)), { minio: frequencies.get('minio') });
  });

  it('with RERANKER=off, answers from one Milvus hybrid search (RRF) as before', async () => {
    const off = createRetriever({
      store,
      embedder: await testEmbedder(),
      config: testConfig({ RETRIEVAL_TOP_K: '5', RERANKER: 'off' }),
    });
    const result = await off.retrieve({ text: 'what is the default consistency level when creating a collection?' });
    assert.equal(result.abstain, false);
    assert.equal(result.timings?.rerankMs, 0);
    assert.ok(result.hits.some((hit) => hit.path === 'reference/consistency.md'));
  });

  it('abstains on questions the docs do not cover', async () => {
    const offTopic = await retriever.retrieve({ text: 'anyone know good ramen spots near the office? team lunch friday' });
    assert.equal(offTopic.abstain, true);
    assert.ok(offTopic.hits.length > 0, 'the closest pages are still returned');
    const otherVersion = await retriever.retrieve({ text: 'when exactly is milvus 2.6 going GA? need a date for our roadmap' });
    assert.equal(otherVersion.abstain, true);
    const covered = await retriever.retrieve({ text: 'what is the default consistency level when creating a collection?' });
    assert.equal(covered.abstain, false);
  });

  it('restricts hits to a path prefix, for single questions and follow-ups', async () => {
    const single = await retriever.retrieve({
      text: 'how much memory does IVF_SQ8 save compared to IVF_FLAT?',
      scope: { platform: 'cli', pathPrefix: 'faq/' },
    });
    assert.ok(single.hits.length > 0);
    assert.ok(single.hits.every((hit) => hit.path.startsWith('faq/')));
    const followUp = await retriever.retrieve({
      text: 'and what about that one?',
      history: [{ role: 'user', content: 'what index types does milvus have?' }],
      scope: { platform: 'cli', pathPrefix: 'reference/' },
    });
    assert.equal(followUp.rewrite, 'heuristic');
    assert.ok(followUp.hits.length > 0);
    assert.ok(followUp.hits.every((hit) => hit.path.startsWith('reference/')));
  });
});
