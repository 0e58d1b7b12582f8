import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { createLocalEmbedder } from './local.ts';
import { createOpenAIEmbedder } from './openai.ts';
import type { Embedder } from './types.ts';

export type { Embedder } from './types.ts';

export function createEmbedder(config: Config['embedding'], logger?: Logger): Promise<Embedder> {
  if (config.provider === 'openai') {
    return createOpenAIEmbedder({
      model: config.model,
      baseURL: config.baseURL!,
      apiKey: config.apiKey,
      batchSize: config.batchSize,
    });
  }
  return createLocalEmbedder({
    model: config.model,
    modelsDir: config.modelsDir,
    threads: config.threads,
    logger,
  });
}
