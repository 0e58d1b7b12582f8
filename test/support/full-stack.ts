/**
 * The whole answering path for adapter tests: a real Milvus Lite with the FAQ pages
 * of the corpus ingested, the local OpenAI-compatible server, and a runtime (real
 * engine, real embedding model) wired to both.
 */
import { createLogger } from '../../src/logger.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { testConfig } from '../fakes/config.ts';
import { type FakeLlm, startFakeLlm } from '../fakes/llm-server.ts';
import { FAQ_COLLECTION, startFaqMilvus, type TestMilvus } from './milvus.ts';

export interface FullStack {
  milvus: TestMilvus;
  llm: FakeLlm;
  runtime: Runtime;
  /** The env-style settings the runtime was built from (adapters take them too). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startFullStack(): Promise<FullStack> {
  const [milvus, llm] = await Promise.all([startFaqMilvus(), startFakeLlm()]);
  const env = {
    MILVUS_URI: `http://${milvus.address}`,
    MILVUS_COLLECTION: FAQ_COLLECTION,
    LLM_BASE_URL: llm.url,
    DEEPSEEK_API_KEY: 'sk-full-stack-test',
    LLM_MAX_RETRIES: '0',
    LLM_TIMEOUT_MS: '5000',
  };
  const runtime = await openRuntime(testConfig(env), { logger: createLogger({ level: 'silent' }) });
  return {
    milvus,
    llm,
    runtime,
    env,
    async close() {
      await runtime.close();
      await Promise.all([llm.close(), milvus.stop()]);
    },
  };
}
