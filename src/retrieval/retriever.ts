/**
 * Retrieval for one question: search, rerank, list each section once (sections.ts),
 * keep one chunk per near-duplicate group, and decide whether the docs cover the
 * question at all.
 *
 * RERANKER=features (the default):
 *  1. Each search text (variants.ts: the question, and for a follow-up also the
 *     question with the thread's context) is searched with BM25, and all of them
 *     together densely (one search with their mean direction); the union of the
 *     results is the candidate pool.
 *  2. The reranker (rerank.ts) scores every candidate against every judge text; for
 *     a follow-up, the question alone then has its say in the order of the top page's sections.
 *  3. Chunks of one section merge into its best-ranked one (sections.ts), near-
 *     duplicates are dropped (canonical.ts), and the top k are the hits.
 *  4. Abstention uses the reranker's relevance (abstain.ts, distinctive.ts).
 *  5. A question asked in a thread that abstains on its own is retrieved once more as a
 *     follow-up (retrieveReadingThread).
 *
 * RERANKER=off: one Milvus hybrid search (dense + BM25 fused by RRF); a follow-up
 * fuses three rankings of the heuristic rewrite; abstention by cosine similarity.
 *
 * With an LLM, the engine condenses a follow-up itself and hands the retriever a
 * standalone question with no history; a question its follow-up test let through comes
 * with its thread, for step 5.
 */
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.ts';
import type { Embedder } from '../embeddings/index.ts';
import { meanDirection } from '../embeddings/types.ts';
import type { Question, RetrievalResult, RetrievedChunk } from '../engine/types.ts';
import type { Logger } from '../logger.ts';
import type { ChunkStore } from '../milvus/store.ts';
import {
  CONFIDENT_RELEVANCE,
  IDENTIFIER_MARGIN,
  NAMED_CONFIDENT_RELEVANCE,
  shouldAbstain,
  shouldAbstainReranked,
  UNUSUAL_NAME_CONFIDENT_RELEVANCE,
} from './abstain.ts';
import { dropNearDuplicates } from './canonical.ts';
import { MIN_CHUNKS_FOR_RARE_TERMS, matchedRareIdentifiers, unknownNames, unmatchedDistinctiveTerms } from './distinctive.ts';
import { fuseRankings } from './fusion.ts';
import { orderTopPageByQuestion, rerankByFeatures } from './rerank.ts';
import { mayLeanOnThread } from './rewrite.ts';
import { mergeSameSection } from './sections.ts';
import { queryVariants } from './variants.ts';
import { productNamesOf, releaseNumbersIn, releaseSectionsFirst, wordsBeforeVersions } from './versions.ts';

export interface RetrieverDeps {
  store: Pick<ChunkStore, 'hybridSearch' | 'denseSearch' | 'bm25Search' | 'bm25Searches' | 'similarities' | 'termFrequencies' | 'count'>;
  embedder: Pick<Embedder, 'embedQuery'>;
  config: Pick<Config, 'retrieval'>;
  logger?: Logger;
}

export interface Retriever {
  retrieve(question: Question): Promise<RetrievalResult>;
}

/** How many of the reranked, de-duplicated candidates abstention looks at (versions). */
const JUDGED_POOL = 10;
/** How long a chunk count, and whether a word names the docs' product, are reused: only an ingest changes them. */
const CHUNK_COUNT_TTL_MS = 5 * 60_000;

export function createRetriever(deps: RetrieverDeps): Retriever {
  const { store, embedder, config, logger } = deps;
  const { topK, candidates: limit, reranker } = config.retrieval;
  const frequencies = (terms: string[], atMost: number) => store.termFrequencies(terms, atMost);

  let counted: { at: number; count: Promise<number> } | undefined;
  function chunkCount(): Promise<number> {
    if (!counted || performance.now() - counted.at > CHUNK_COUNT_TTL_MS) {
      const count = store.count();
      counted = { at: performance.now(), count };
      count.catch(() => {
        counted = undefined;
      });
    }
    return counted.count;
  }

  // Whether a word names the docs' product, remembered: the lookup counts up to a quarter of
  // the chunks (8,000 ids at 10× the Milvus docs), and people name the product again and again.
  const productWords = new LRUCache<string, boolean>({ max: 1_000, ttl: CHUNK_COUNT_TTL_MS });

  /** The words of the question naming the docs' product before a version ("milvus 2.6"); no request without a new one. */
  async function productNames(question: string): Promise<Set<string>> {
    const words = wordsBeforeVersions(question);
    const unknown = words.filter((word) => productWords.get(word) === undefined);
    if (unknown.length > 0) {
      const names = await productNamesOf(unknown, await chunkCount(), frequencies);
      for (const word of unknown) productWords.set(word, names.has(word));
    }
    return new Set(words.filter((word) => productWords.get(word)));
  }

  /**
   * A question asked in a thread that the docs do not answer on their own is read once
   * more with the thread: the follow-up test looks for words that lean on it ("that one",
   * "and…", a question of two topic words) and misses others ("whats the catch, could i
   * lose anything?"). Its answer stands only when the thread makes the question answerable;
   * a question that is answered on its own is never dragged to the thread's topic.
   */
  async function retrieveReadingThread(question: Question): Promise<RetrievalResult> {
    const alone = await retrieveReranked(question);
    if (!alone.abstain || alone.rewrite !== 'none' || !mayLeanOnThread(question.text, question.history)) return alone;
    const withThread = await retrieveReranked(question, { asFollowUp: true });
    const chosen = withThread.abstain ? alone : withThread;
    return { ...chosen, timings: sumTimings(alone.timings, withThread.timings) };
  }

  async function retrieveReranked(question: Question, options: { asFollowUp?: boolean } = {}): Promise<RetrievalResult> {
    const started = performance.now();
    const pathPrefix = question.scope?.pathPrefix;
    const variants = queryVariants(question.text, question.history, options);
    // BM25 needs only the texts, so Milvus runs it while the question is embedded.
    // Judge texts that are not searched lend their BM25 scores too.
    const lexicalSearch = store.bm25Searches({ texts: variants.judges, limit, pathPrefix });
    // Awaited below; this keeps a failure while the embedding is still running from
    // counting as unhandled (the embedding's own failure is the one reported then).
    lexicalSearch.catch(() => {});
    // The judge texts that are only judged (the whole thread, much longer) are embedded
    // while Milvus searches, so the dense search does not wait for them.
    const searchVectors = await Promise.all(variants.searches.map((text) => embedder.embedQuery(text)));
    const embedded = performance.now();
    const judgedOnly = variants.judges.slice(variants.searches.length);
    const [denseHits, lexicalLists, judgedOnlyVectors] = await Promise.all([
      // One dense search for all the search texts: on the embedded engine each dense
      // search scans every vector, and searching a follow-up's texts one by one cost a
      // scan each for the same recall and MRR on both dev sets (two follow-ups' top 5
      // differed, their expected section at the same rank; BENCHMARKS.md, "One dense
      // search per follow-up").
      store.denseSearch({ vector: meanDirection(searchVectors), limit, pathPrefix }),
      lexicalSearch,
      Promise.all(judgedOnly.map((text) => embedder.embedQuery(text))),
    ]);
    const pool = new Map<string, RetrievedChunk>();
    for (const hit of [...denseHits, ...lexicalLists.slice(0, variants.searches.length).flat()]) {
      if (!pool.has(hit.id)) pool.set(hit.id, hit);
    }
    const judgeSimilarities = await store.similarities([...searchVectors, ...judgedOnlyVectors], [...pool.keys()]);
    const searched = performance.now();
    const lexicalScores = lexicalLists.map((list) => new Map(list.map((hit) => [hit.id, hit.score])));
    const byThread = rerankByFeatures({ candidates: [...pool.values()], judgeSimilarities, lexicalScores });
    // The first judge text is the question as asked (variants.ts).
    const reranked =
      variants.rewrite === 'heuristic'
        ? orderTopPageByQuestion(byThread, { similarities: judgeSimilarities[0]!, lexicalScores: lexicalScores[0]! })
        : byThread;
    const ranked = dropNearDuplicates(
      mergeSameSection(releaseSectionsFirst(reranked, releaseNumbersIn(question.text))),
      Math.max(topK, JUDGED_POOL),
    );
    const reranking = performance.now() - searched;
    const hits = ranked.slice(0, topK);
    // The distinctive-term rule can only change the outcome between the threshold and
    // CONFIDENT_RELEVANCE, the unknown-name rule below NAMED_CONFIDENT_RELEVANCE, the
    // identifier rule just below the threshold; elsewhere their lookups are skipped. The
    // engine runs requests about one at a time, so a request saved is time saved, even one
    // sent in parallel.
    const relevance = ranked[0]?.score ?? Number.NEGATIVE_INFINITY;
    const undecided = relevance >= config.retrieval.abstainThreshold && relevance < CONFIDENT_RELEVANCE;
    const rescuable = relevance < config.retrieval.abstainThreshold && relevance >= config.retrieval.abstainThreshold - IDENTIFIER_MARGIN;
    const termsStarted = performance.now();
    const matchedIdentifiers = rescuable && ranked[0] ? await matchedRareIdentifiers(question.text, ranked[0], frequencies) : [];
    // A question answered from just under the threshold gets the checks one just above it gets.
    const unmatchedTerms =
      (undecided || matchedIdentifiers.length > 0) && (await chunkCount()) >= MIN_CHUNKS_FOR_RARE_TERMS
        ? await unmatchedDistinctiveTerms(question.text, hits, frequencies)
        : [];
    const names = await productNames(question.text);
    const namesUnknown =
      (relevance >= config.retrieval.abstainThreshold || matchedIdentifiers.length > 0) && relevance < NAMED_CONFIDENT_RELEVANCE
        ? await unknownNames(question.text, frequencies, relevance < UNUSUAL_NAME_CONFIDENT_RELEVANCE ? hits : undefined)
        : [];
    const milvusMs = searched - embedded + (performance.now() - termsStarted);
    const decision = shouldAbstainReranked({
      question: question.text,
      productNames: names,
      ranked,
      threshold: config.retrieval.abstainThreshold,
      unmatchedTerms,
      matchedIdentifiers,
      unknownNames: namesUnknown,
    });
    logger?.debug(
      {
        requestId: question.requestId,
        rewrite: variants.rewrite,
        candidates: pool.size,
        relevance: decision.relevance,
        abstain: decision.abstain,
        reason: decision.reason,
        unmatchedTerms,
        matchedIdentifiers,
        unknownNames: namesUnknown,
        searchMs: Math.round(searched - started),
        rerankMs: Math.round(reranking),
      },
      'retrieved',
    );
    return {
      query: variants.query,
      rewrite: variants.rewrite,
      hits,
      abstain: decision.abstain,
      timings: {
        embedMs: embedded - started,
        milvusMs,
        searchMs: searched - started,
        rerankMs: reranking,
        totalMs: performance.now() - started,
      },
    };
  }

  async function retrieveFused(question: Question): Promise<RetrievalResult> {
    const started = performance.now();
    const pathPrefix = question.scope?.pathPrefix;
    const variants = queryVariants(question.text, question.history);
    const vector = await embedder.embedQuery(variants.query);
    // The rewrite drags the previous topic along; the question alone (dense) keeps
    // its own intent from drowning.
    const ownVector = variants.rewrite === 'heuristic' ? await embedder.embedQuery(question.text) : undefined;
    const embedded = performance.now();
    let candidates: RetrievedChunk[];
    if (ownVector) {
      const rankings = await Promise.all([
        store.denseSearch({ vector: ownVector, limit, pathPrefix }),
        store.denseSearch({ vector, limit, pathPrefix }),
        store.bm25Search({ text: variants.query, limit, pathPrefix }),
      ]);
      candidates = fuseRankings(rankings);
    } else {
      candidates = await store.hybridSearch({ vector, text: variants.query, limit, pathPrefix });
    }
    const decision = shouldAbstain({
      question: question.text,
      productNames: await productNames(question.text),
      candidates,
      threshold: config.retrieval.abstainThreshold,
    });
    const searchMs = performance.now() - started;
    const milvusMs = performance.now() - embedded;
    logger?.debug(
      { requestId: question.requestId, rewrite: variants.rewrite, abstain: decision.abstain, reason: decision.reason },
      'retrieved',
    );
    return {
      query: variants.query,
      rewrite: variants.rewrite,
      hits: mergeSameSection(candidates).slice(0, topK),
      abstain: decision.abstain,
      timings: { embedMs: embedded - started, milvusMs, searchMs, rerankMs: 0, totalMs: searchMs },
    };
  }

  return { retrieve: reranker === 'off' ? retrieveFused : retrieveReadingThread };
}

/** Both tries' times: the bench and the logs see what the question cost. */
function sumTimings(a: RetrievalResult['timings'], b: RetrievalResult['timings']): RetrievalResult['timings'] {
  if (!a || !b) return a ?? b;
  return {
    embedMs: a.embedMs + b.embedMs,
    milvusMs: a.milvusMs + b.milvusMs,
    searchMs: a.searchMs + b.searchMs,
    rerankMs: a.rerankMs + b.rerankMs,
    totalMs: a.totalMs + b.totalMs,
  };
}
