/**
 * Retrieval for one question: make it standalone (follow-ups), search Milvus with
 * dense vectors and BM25, fuse the rankings (RRF), and decide whether the docs
 * cover the question at all (abstain.ts).
 *
 * A standalone question is one Milvus hybrid search (dense + BM25, fused by Milvus).
 * A follow-up rewritten by the heuristic fuses three rankings instead: the
 * rewritten query (dense and BM25), which knows what "it" refers to, and the
 * question as asked (dense), which knows what is asked now. The rewrite drags the
 * previous topic along; the question alone keeps its own intent from drowning.
 */
import type { Config } from '../config.ts';
import type { Embedder } from '../embeddings/index.ts';
import type { Question, RetrievalResult, RetrievedChunk } from '../engine/types.ts';
import type { Logger } from '../logger.ts';
import type { ChunkStore } from '../milvus/store.ts';
import { shouldAbstain } from './abstain.ts';
import { fuseRankings } from './fusion.ts';
import { heuristicStandaloneQuery, type QueryRewriter } from './rewrite.ts';

export type { QueryRewriter } from './rewrite.ts';

export interface RetrieverDeps {
  /**
   * `denseSearch` and `bm25Search` serve heuristic follow-ups (three rankings);
   * a store without them gets one hybrid search of the rewritten query instead.
   */
  store: Pick<ChunkStore, 'hybridSearch'> & Partial<Pick<ChunkStore, 'denseSearch' | 'bm25Search'>>;
  embedder: Pick<Embedder, 'embedQuery'>;
  config: Pick<Config, 'retrieval'>;
  logger?: Logger;
  /** Optional LLM condenser for follow-ups; the heuristic is used without it or when it fails. */
  rewriter?: QueryRewriter;
}

export interface Retriever {
  retrieve(question: Question): Promise<RetrievalResult>;
}

/**
 * Candidates per ranking. RRF over deeper lists ranks better than over top-k
 * alone (a chunk 7th by BM25 and 3rd by vector should beat one 1st by BM25 only),
 * and abstention looks at the whole pool.
 */
export const CANDIDATES = 50;

export function createRetriever(deps: RetrieverDeps): Retriever {
  const { store, embedder, config, logger } = deps;

  async function standalone(question: Question): Promise<Pick<RetrievalResult, 'query' | 'rewrite'>> {
    const history = question.history ?? [];
    if (history.length > 0 && deps.rewriter) {
      try {
        const rewritten = (await deps.rewriter(question.text, history)).trim();
        if (rewritten !== '') return { query: rewritten, rewrite: 'llm' };
      } catch (error) {
        logger?.warn({ err: error, requestId: question.requestId }, 'query rewriter failed; using the heuristic');
      }
    }
    const heuristic = heuristicStandaloneQuery(question.text, history);
    return heuristic ? { query: heuristic, rewrite: 'heuristic' } : { query: question.text, rewrite: 'none' };
  }

  async function search(question: Question, query: string, rewrite: RetrievalResult['rewrite']) {
    const pathPrefix = question.scope?.pathPrefix;
    const vector = await embedder.embedQuery(query);
    if (rewrite !== 'heuristic' || !store.denseSearch || !store.bm25Search) {
      return store.hybridSearch({ vector, text: query, limit: CANDIDATES, pathPrefix });
    }
    const ownVector = await embedder.embedQuery(question.text);
    const [asked, rewritten, lexical] = await Promise.all([
      store.denseSearch({ vector: ownVector, limit: CANDIDATES, pathPrefix }),
      store.denseSearch({ vector, limit: CANDIDATES, pathPrefix }),
      store.bm25Search({ text: query, limit: CANDIDATES, pathPrefix }),
    ]);
    return fuseRankings([asked, rewritten, lexical]);
  }

  return {
    async retrieve(question) {
      const { query, rewrite } = await standalone(question);
      const candidates: RetrievedChunk[] = await search(question, query, rewrite);
      const hits = candidates.slice(0, config.retrieval.topK);
      const decision = shouldAbstain({
        question: question.text,
        candidates,
        threshold: config.retrieval.abstainThreshold,
      });
      logger?.debug(
        {
          requestId: question.requestId,
          rewrite,
          hits: hits.length,
          bestSimilarity: decision.bestSimilarity,
          abstain: decision.abstain,
          reason: decision.reason,
        },
        'retrieved',
      );
      return { query, rewrite, hits, abstain: decision.abstain };
    },
  };
}
