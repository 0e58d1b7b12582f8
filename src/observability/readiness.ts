/**
 * What "ready to answer" means for an askdocs bot, as readiness checks over an open
 * Runtime:
 *
 * - `milvus`: Milvus answers its health check and the collection exists;
 * - `collection`: the collection was built with the configured embedding model
 *   (a mismatch would make every search fail) — the detail says how many chunks it holds;
 * - `embedder`: the embedding model is loaded (the runtime only exists once it is);
 * - `llm`: always passes. Without DEEPSEEK_API_KEY askdocs answers in extractive mode
 *   (quoting the best passages with citations), which is a valid deployment, so a
 *   missing key is reported in the detail instead of taking the bot out of service.
 */
import type { Runtime } from '../runtime.ts';
import type { ReadinessCheck } from './health-server.ts';

export type ReadinessSubject = Pick<Runtime, 'config' | 'store' | 'embedder'>;

export function runtimeReadinessChecks(runtime: ReadinessSubject): ReadinessCheck[] {
  const { config, store, embedder } = runtime;
  return [
    {
      name: 'milvus',
      async run() {
        const health = await store.health();
        return health.ok
          ? { ok: true, detail: `${config.milvus.mode === 'lite' ? 'Milvus Lite' : 'Milvus server'} is healthy` }
          : { ok: false, detail: 'Milvus is unreachable or unhealthy (details in the logs)', internal: health.reason };
      },
    },
    {
      name: 'collection',
      async run() {
        const signature = await store.signature();
        if (!signature) {
          return {
            ok: false,
            detail: `collection "${config.milvus.collection}" is missing: run \`askdocs ingest <docs folder>\``,
          };
        }
        if (signature.model !== embedder.model || signature.dimension !== embedder.dimension) {
          return {
            ok: false,
            detail: `collection built with ${signature.model} (${signature.dimension}-d), configured ${embedder.model} (${embedder.dimension}-d)`,
          };
        }
        return { ok: true, detail: `"${config.milvus.collection}" holds ${await store.count()} chunks` };
      },
    },
    {
      name: 'embedder',
      run: () => ({ ok: true, detail: `${embedder.model} (${embedder.dimension}-d) loaded` }),
    },
    {
      name: 'llm',
      run: () =>
        config.llm.apiKey
          ? { ok: true, detail: `generating with ${config.llm.model}` }
          : { ok: true, detail: 'extractive mode: DEEPSEEK_API_KEY is not set, answers quote the sources' },
    },
  ];
}
