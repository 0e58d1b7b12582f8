/**
 * askdocs' engine wired as `src/runtime.ts` wires it (ChunkStore → createRetriever →
 * createEngine), but sharing one loaded embedder across collections and keeping the
 * costs inside retrieval: each query embedding, and per retrieve the Milvus calls and
 * the reranking (as the retriever reports them in `timings`).
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
  /** Per retrieve: the Milvus calls (searches run in parallel, plus term lookups). */
  milvusMs: number[];
  rerankMs: number[];
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
    milvusMs: [],
    rerankMs: [],
    reset() {
      this.embedQueryMs.length = 0;
      this.milvusMs.length = 0;
      this.rerankMs.length = 0;
    },
  };
  const embedder = options.embedder;
  const retriever = createRetriever({
    store,
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
  const engine = createEngine({
    retriever: {
      async retrieve(question) {
        const result = await retriever.retrieve(question);
        if (result.timings) {
          timings.milvusMs.push(result.timings.milvusMs);
          timings.rerankMs.push(result.timings.rerankMs);
        }
        return result;
      },
    },
    config,
    logger,
  });
  return { engine, store, config, timings, close: () => store.close() };
}
