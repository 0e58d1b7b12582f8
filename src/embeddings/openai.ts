/**
 * Embeddings from any OpenAI-compatible `/v1/embeddings` endpoint
 * (OpenAI, Ollama, vLLM, TEI, ...), batched, through the `openai` client so retries
 * and timeouts behave like the chat path.
 */
import OpenAI from 'openai';
import { AskdocsError } from '../errors.ts';
import { counted } from '../plural.ts';
import { credentialsInUrlError, hostOf } from '../url-credentials.ts';
import { type Embedder, normalise } from './types.ts';

export interface OpenAIEmbedderOptions {
  model: string;
  baseURL: string;
  apiKey?: string;
  batchSize: number;
  /** Per attempt, for documents (ingest batches); default 60 s. */
  timeoutMs?: number;
  maxRetries?: number;
  /** Per attempt, for a question; default QUERY_TIMEOUT_MS. */
  queryTimeoutMs?: number;
}

/**
 * A question is one sentence: any embedding server answers it in well under a second, so one
 * that takes this long is stuck. With one retry a chat user waits at most about twice this
 * for the plain failure message, not the three minutes an ingest batch may take.
 */
export const QUERY_TIMEOUT_MS = 10_000;
const QUERY_RETRIES = 1;

export async function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Promise<Embedder> {
  const refused = credentialsInUrlError(options.baseURL, 'EMBEDDING_BASE_URL', 'EMBEDDING_API_KEY');
  if (refused) throw refused;
  // Named by host only: the URL may carry a path or query that is nobody's business in a chat reply.
  const where = hostOf(options.baseURL) ?? 'EMBEDDING_BASE_URL';
  const client = new OpenAI({
    baseURL: options.baseURL,
    // Local servers (Ollama, TEI) need no key, but the client insists on one.
    apiKey: options.apiKey ?? 'unused',
    timeout: options.timeoutMs ?? 60_000,
    maxRetries: options.maxRetries ?? 2,
  });
  const forQuestions = client.withOptions({ timeout: options.queryTimeoutMs ?? QUERY_TIMEOUT_MS, maxRetries: QUERY_RETRIES });

  async function embed(texts: string[], api: OpenAI): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += options.batchSize) {
      const batch = texts.slice(i, i + options.batchSize);
      let response: OpenAI.CreateEmbeddingResponse;
      try {
        response = await api.embeddings.create({ model: options.model, input: batch, encoding_format: 'float' });
      } catch (error) {
        throw new AskdocsError('embedding', `The embedding service at ${where} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      const ordered = [...(response.data ?? [])].sort((a, b) => a.index - b.index);
      const vectors = ordered.map((item) => item.embedding);
      // A server that answers with fewer vectors than texts, or vectors of another length than
      // the first, would store rows that are wrong or fail deep inside Milvus.
      const length = dimension ?? vectors[0]?.length ?? 0;
      const odd = vectors.find((v) => !Array.isArray(v) || v.length !== length);
      const problem =
        vectors.length !== batch.length
          ? `${counted(vectors.length, 'vector')} for ${counted(batch.length, 'text')}`
          : length === 0 || odd
            ? `a vector of length ${odd?.length ?? 0} where ${length || 'a non-empty one'} was expected`
            : undefined;
      if (problem) {
        throw new AskdocsError(
          'embedding',
          `The embedding service at ${where} answered ${problem}: check that EMBEDDING_MODEL (${options.model}) names an embedding model, and the same one the index was built with.`,
        );
      }
      out.push(...vectors.map(normalise));
    }
    return out;
  }

  let dimension: number | undefined;
  const [probe] = await embed(['dimension probe'], forQuestions);
  dimension = probe?.length;
  return {
    model: options.model,
    dimension: dimension ?? 0,
    embedDocuments: (texts) => embed(texts, client),
    async embedQuery(text) {
      const [vector] = await embed([text], forQuestions);
      return vector!;
    },
  };
}
