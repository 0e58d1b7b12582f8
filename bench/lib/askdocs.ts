/**
 * askdocs' engine wired as `src/runtime.ts` wires it (ChunkStore → createRetriever →
 * createEngine), but sharing one loaded embedder across collections and timing the
 * two costs inside retrieval: embedding the query and the Milvus hybrid search.
 * Milvus runs as a server the bench started, so nothing here starts Milvus Lite.
 */

import { testConfig } from 'askdocs/test';
import type { Config } from '../../src/config.ts';
import type { Embedder } from '../../src/embeddings/index.ts';
import { createEngine } from '../../src/engine/engine.ts';
import type { Engine } from '../../src/engine/types.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { ChunkStore } from '../../src/milvus/store.ts';
import { createRetriever } from '../../src/retrieval/retriever.ts';

export interface StageTimings {
  embedQueryMs: number[];
  hybridSearchMs: number[];
  reset(): void;
}

export interface AskdocsInstance {
  engine: Engine;
  store: ChunkStore;
  config: Config;
  timings: StageTimings;
  close(): Promise<void>;
}

/** Settings for a bench run: askdocs' defaults, never the developer's .env. */
export function benchConfig(address: string, collection: string, overrides: Record<string, string | undefined> = {}): Config {
  return testConfig({ MILVUS_URI: `http://${address}`, MILVUS_COLLECTION: collection, ...overrides });
}

export async function openAskdocs(options: {
  address: string;
  collection: string;
  embedder: Embedder;
  /** Extra settings, e.g. the LLM's base URL and key for answers. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
}): Promise<AskdocsInstance> {
  const config = benchConfig(options.address, options.collection, options.env);
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const store = await ChunkStore.connect({ address: config.milvus.uri, collection: config.milvus.collection, logger });
  await store.assertReady({ model: options.embedder.model, dimension: options.embedder.dimension });

  const timings: StageTimings = {
    embedQueryMs: [],
    hybridSearchMs: [],
    reset() {
      this.embedQueryMs.length = 0;
      this.hybridSearchMs.length = 0;
    },
  };
  const embedder = options.embedder;
  const retriever = createRetriever({
    store: {
      async hybridSearch(search) {
        const started = performance.now();
        const hits = await store.hybridSearch(search);
        timings.hybridSearchMs.push(performance.now() - started);
        return hits;
      },
      // Heuristic follow-ups fuse these two searches too, exactly as in `askdocs eval`.
      denseSearch: (search) => store.denseSearch(search),
      bm25Search: (search) => store.bm25Search(search),
      termFrequency: (term, atMost) => store.termFrequency(term, atMost),
    },
    embedder: {
      async embedQuery(text) {
        const started = performance.now();
        const vector = await embedder.embedQuery(text);
        timings.embedQueryMs.push(performance.now() - started);
        return vector;
      },
    },
    config,
    logger,
  });
  const engine = createEngine({ retriever, config, logger });
  return { engine, store, config, timings, close: () => store.close() };
}
