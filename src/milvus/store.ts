/**
 * The chunk collection in Milvus: schema, writes, and hybrid search.
 *
 * Written only against the API that the embedded engine (native Milvus Lite 2.5),
 * Milvus standalone/distributed (>= 2.5) and Zilliz Cloud all speak, with no special
 * case for any of them: explicit index and metric types everywhere, every response's
 * status checked (the SDK turns UNIMPLEMENTED into an empty `{}`), no SDK iterators
 * (ranges are split by primary key instead). Where one engine's answer really
 * differs, a "Quirk:" note says so next to the code that copes with it.
 */
import { DataType, FunctionType, type MilvusClient, RRFRanker } from '@zilliz/milvus2-sdk-node';
import { dot } from '../embeddings/types.ts';
import type { Chunk, RetrievedChunk } from '../engine/types.ts';
import { AskdocsError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { collectionExists, connectMilvus } from './client.ts';
import { onceMoreOnRestartedEngine } from './engine-retry.ts';
import { onceEngineStarted } from './engine-starting.ts';
import { fitHeadingPath, fitUtf8 } from './fit.ts';
import { stringListField } from './json-field.ts';
import { embeddedEngineAt } from './lite-server.ts';
import { prefixFilter } from './prefix-filter.ts';
import { queryAllRows } from './query-all.ts';
import { check, type Status } from './status.ts';

export interface StoredChunkRow extends Chunk {
  docHash: string;
  chunkIndex: number;
  vector: number[];
  /**
   * What BM25 indexes; defaults to `text`. Ingest passes the title and heading path
   * with the text, so words that only appear in headings still match.
   */
  searchText?: string;
}

export interface EmbeddingSignature {
  model: string;
  dimension: number;
}

export interface HybridSearchOptions {
  vector: number[];
  /** Raw query text for Milvus's built-in BM25 function. */
  text: string;
  limit: number;
  pathPrefix?: string;
}

const MAX_TEXT = 16_000;
/** The longest document path the index stores, in UTF-8 bytes; ingest skips files with longer paths. */
export const MAX_PATH_BYTES = 1_024;
const RRF_K = 60;
/**
 * What a search returns with each hit. Not the vector: shipping 384 floats per hit made
 * a 50-hit search about 4× slower on the embedded engine; similarities to other query
 * texts come from `similarities` instead, computed inside Milvus.
 */
const CHUNK_FIELDS = ['id', 'path', 'title', 'heading_path', 'text', 'url', 'chunk_index'];
/** RRF scores say nothing about similarity, so the hybrid search also brings the vector. */
const CHUNK_FIELDS_WITH_VECTOR = [...CHUNK_FIELDS, 'dense'];
const PROPERTY_MODEL = 'askdocs.embedding_model';
const PROPERTY_DIMENSION = 'askdocs.embedding_dim';
const PROPERTY_SCHEMA = 'askdocs.schema';
/** Bump when the collection's fields change; older collections must be re-ingested. */
const SCHEMA_VERSION = '2';
/** The collection description: a readable prefix, then the same keys as the properties, as JSON. */
const DESCRIPTION_PREFIX = 'askdocs chunks ';

/**
 * The embedded engine loads a collection inside the LoadCollection call itself, reading
 * and indexing every segment: about 27 s for 100,000 chunks on a busy 2-core machine.
 * The ordinary 30 s deadline would fail a bot's first question on a large corpus.
 */
const LOAD_TIMEOUT_MS = 15 * 60_000;

/** One search request (ChunkStore.searchEach): everything but the collection. */
interface SearchEachRequest {
  anns_field: string;
  data: number[][] | string[];
  limit: number;
  metric_type: string;
  output_fields: string[];
  filter?: string;
  params?: Record<string, number>;
}

export class ChunkStore {
  /** Loading is needed once per server start before any search (Lite releases on restart). */
  private loaded?: Promise<void>;
  /** The embedded engine's generation `loaded` was for: a restarted engine has nothing loaded. */
  private loadedGeneration?: number;

  private constructor(
    private readonly client: MilvusClient,
    readonly collection: string,
    private readonly logger?: Logger,
    /** Added to "nothing is ingested yet" (e.g. why an upgraded data folder looks empty). */
    private readonly missingHint?: string,
    private readonly embedding?: EmbeddingSignature,
    /** Milvus's address, to find the embedded engine serving it (if any) when a read loses it. */
    private readonly address?: string,
  ) {}

  /**
   * `embedding`, when given, is the query embedder: every read path then refuses a
   * collection filled by another model instead of searching it with foreign vectors.
   */
  static async connect(options: {
    address: string;
    token?: string;
    collection: string;
    logger?: Logger;
    missingHint?: string;
    embedding?: EmbeddingSignature;
  }): Promise<ChunkStore> {
    const client = await connectMilvus({ address: options.address, token: options.token, timeoutMs: 30_000 });
    return new ChunkStore(client, options.collection, options.logger, options.missingHint, options.embedding, options.address);
  }

  /** Runs a request that only reads, and once more if the embedded engine was lost under it and is back within seconds. */
  private reading<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return onceMoreOnRestartedEngine(
      { client: this.client, address: this.address, logger: this.logger },
      { operation, kind: 'read' },
      call,
    );
  }

  async exists(): Promise<boolean> {
    return this.reading('listCollections', () => this.existsNow());
  }

  private existsNow(): Promise<boolean> {
    return collectionExists(this.client, this.collection);
  }

  /** The embedding model and dimension recorded with the collection, if it exists. */
  async signature(): Promise<EmbeddingSignature | undefined> {
    return this.reading('describeCollection', () => this.signatureNow());
  }

  private async signatureNow(): Promise<EmbeddingSignature | undefined> {
    if (!(await this.existsNow())) return undefined;
    const described = await this.client.describeCollection({ collection_name: this.collection });
    check(described.status, 'describeCollection');
    // Quirk: Milvus Lite keeps no collection properties (it answers an empty list), but
    // it keeps the description; askdocs writes its signature to both and reads either.
    const props = new Map((described.properties ?? []).map((p) => [p.key, String(p.value)]));
    for (const [key, value] of Object.entries(parseDescription(described.schema?.description))) {
      if (!props.has(key)) props.set(key, value);
    }
    const model = props.get(PROPERTY_MODEL);
    const dimension = Number(props.get(PROPERTY_DIMENSION));
    if (model && props.get(PROPERTY_SCHEMA) !== SCHEMA_VERSION) {
      throw new AskdocsError(
        'embedding_mismatch',
        `Collection "${this.collection}" was built by an older askdocs. Re-ingest into a new collection: ` +
          'MILVUS_COLLECTION=<new name> askdocs ingest <docs folder>.',
      );
    }
    return model ? { model, dimension } : undefined;
  }

  /**
   * Creates the collection for this embedding model, or verifies that an existing
   * one was built with the same model and dimension.
   */
  async ensureCollection(embedding: EmbeddingSignature): Promise<void> {
    const existing = await this.signatureNow();
    if (existing) {
      this.assertCompatible(existing, embedding);
    } else {
      if (await this.existsNow()) {
        throw new AskdocsError(
          'embedding_mismatch',
          `Collection "${this.collection}" exists but was not created by askdocs. Choose another MILVUS_COLLECTION.`,
        );
      }
      await this.create(embedding);
    }
    await this.ensureLoaded(true);
  }

  private ensureLoaded(force = false): Promise<void> {
    const generation = this.address ? embeddedEngineAt(this.address)?.generation() : undefined;
    if (force || !this.loaded || generation !== this.loadedGeneration) {
      this.loadedGeneration = generation;
      this.loaded = (async () => {
        // The SDK fails with a TypeError on a missing collection; say what to do instead.
        if (!(await this.existsNow())) {
          throw new AskdocsError('input', this.missingMessage());
        }
        if (this.embedding) {
          const existing = await this.signatureNow();
          if (existing) this.assertCompatible(existing, this.embedding);
        }
        const started = performance.now();
        check(await this.client.loadCollectionSync({ collection_name: this.collection, timeout: LOAD_TIMEOUT_MS }), 'loadCollection');
        const seconds = Math.round((performance.now() - started) / 100) / 10;
        if (seconds >= 5) this.logger?.info({ collection: this.collection, seconds }, 'collection loaded');
      })();
      // A failed load is retried by the next search rather than cached.
      this.loaded.catch(() => {
        this.loaded = undefined;
      });
    }
    return this.loaded;
  }

  /** "Nothing is ingested yet", naming where (the data folder, with the embedded engine). */
  missingMessage(): string {
    return (
      this.missingHint ??
      `Nothing is ingested yet (collection "${this.collection}" is missing). Run \`askdocs ingest <docs folder>\` first.`
    );
  }

  /** The engine restarted (e.g. after a crash): load the collection again before the next search. */
  forgetLoaded(): void {
    this.loaded = undefined;
  }

  /** For read paths: the collection must exist and match the query embedder. */
  async assertReady(embedding: EmbeddingSignature): Promise<void> {
    const existing = await this.signature();
    if (!existing) {
      throw new AskdocsError('input', this.missingMessage());
    }
    this.assertCompatible(existing, embedding);
    await this.reading('loadCollection', () => this.ensureLoaded());
  }

  private assertCompatible(existing: EmbeddingSignature, wanted: EmbeddingSignature): void {
    if (existing.model !== wanted.model || existing.dimension !== wanted.dimension) {
      throw new AskdocsError(
        'embedding_mismatch',
        `Collection "${this.collection}" was built with embedding model ${existing.model} (${existing.dimension}-d), ` +
          `but askdocs is configured for ${wanted.model} (${wanted.dimension}-d). Set EMBEDDING_MODEL back, ` +
          `or re-ingest into a new collection: MILVUS_COLLECTION=<new name> askdocs ingest <docs folder>.`,
      );
    }
  }

  private async create(embedding: EmbeddingSignature): Promise<void> {
    // The collection is new: whatever a failed attempt left of it is dropped before the next.
    await onceEngineStarted(() => this.createNow(embedding), {
      beforeRetry: async () => {
        if (await this.existsNow()) await this.drop();
      },
    });
  }

  private async createNow(embedding: EmbeddingSignature): Promise<void> {
    const properties = {
      [PROPERTY_MODEL]: embedding.model,
      [PROPERTY_DIMENSION]: String(embedding.dimension),
      [PROPERTY_SCHEMA]: SCHEMA_VERSION,
    };
    const response = await this.client.createCollection({
      collection_name: this.collection,
      description: `${DESCRIPTION_PREFIX}${JSON.stringify(properties)}`,
      fields: [
        { name: 'id', data_type: DataType.VarChar, is_primary_key: true, max_length: 64 },
        { name: 'path', data_type: DataType.VarChar, max_length: MAX_PATH_BYTES },
        { name: 'doc_hash', data_type: DataType.VarChar, max_length: 64 },
        { name: 'chunk_index', data_type: DataType.Int64 },
        { name: 'title', data_type: DataType.VarChar, max_length: 1_024 },
        { name: 'heading_path', data_type: DataType.VarChar, max_length: 4_096 },
        { name: 'url', data_type: DataType.VarChar, max_length: 2_048 },
        { name: 'text', data_type: DataType.VarChar, max_length: MAX_TEXT * 4 },
        { name: 'search_text', data_type: DataType.VarChar, max_length: MAX_TEXT * 4, enable_analyzer: true },
        { name: 'dense', data_type: DataType.FloatVector, dim: embedding.dimension },
        { name: 'sparse', data_type: DataType.SparseFloatVector },
      ],
      functions: [
        {
          name: 'text_bm25',
          type: FunctionType.BM25,
          input_field_names: ['search_text'],
          output_field_names: ['sparse'],
          params: {},
        },
      ],
      index_params: [
        // Quirk: Milvus Lite builds only FLAT, IVF_FLAT and AUTOINDEX, and its
        // createCollection silently skips any other index (searches then fail with
        // "index not found"). AUTOINDEX is HNSW on Milvus servers and exact search on Lite.
        { field_name: 'dense', index_type: 'AUTOINDEX', metric_type: 'IP', params: {} },
        { field_name: 'sparse', index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'BM25', params: {} },
      ],
      properties,
    });
    check(response, 'createCollection');
    this.logger?.info({ collection: this.collection, ...embedding }, 'created collection');
  }

  async upsert(rows: StoredChunkRow[]): Promise<void> {
    if (rows.length === 0) return;
    const response = await this.client.upsert({
      collection_name: this.collection,
      data: rows.map((row) => ({
        id: row.id,
        // Never cut: a cut path would no longer match its file, and the next ingest
        // would delete the row as a removed file's (ingest skips such files instead).
        path: row.path,
        doc_hash: row.docHash,
        chunk_index: row.chunkIndex,
        title: fitUtf8(row.title, 1_024),
        heading_path: fitHeadingPath(row.headingPath, 4_096),
        url: fitUtf8(row.url ?? '', 2_048),
        text: row.text.slice(0, MAX_TEXT),
        search_text: (row.searchText ?? row.text).slice(0, MAX_TEXT),
        dense: row.vector,
      })),
    });
    check(response.status, 'upsert');
  }

  /** Chunk ids currently stored for each of these paths (paths with none are absent). */
  async idsByPath(paths: string[]): Promise<Map<string, string[]>> {
    return this.reading('query', async () => {
      const out = new Map<string, string[]>();
      for (let i = 0; i < paths.length; i += 100) {
        const filter = `path in ${JSON.stringify(paths.slice(i, i + 100))}`;
        for (const row of await this.queryAll(filter, ['id', 'path'])) {
          const path = String(row.path);
          const ids = out.get(path) ?? [];
          ids.push(String(row.id));
          out.set(path, ids);
        }
      }
      return out;
    });
  }

  /**
   * The vectors of these chunks, by the text each was embedded from (`search_text`, which
   * ingest stores as the embedding text). A text cut to fit the field no longer matches
   * any chunk's, so such a chunk is embedded again rather than given a wrong vector.
   */
  async vectorsByEmbeddedText(ids: string[]): Promise<Map<string, number[]>> {
    return this.reading('query', async () => {
      const out = new Map<string, number[]>();
      for (let i = 0; i < ids.length; i += 500) {
        for (const row of await this.queryAll(idFilter(ids.slice(i, i + 500)), ['search_text', 'dense'])) {
          out.set(String(row.search_text), row.dense as number[]);
        }
      }
      return out;
    });
  }

  async allPaths(): Promise<string[]> {
    return this.reading('query', async () => {
      const rows = await this.queryAll('', ['path']);
      return [...new Set(rows.map((row) => String(row.path)))];
    });
  }

  /** Whether any stored chunk's path starts with `prefix` (one query, at most one row). */
  async hasPathUnder(prefix: string): Promise<boolean> {
    return this.reading('query', async () => {
      await this.ensureLoaded();
      const response = await this.client.query({
        collection_name: this.collection,
        filter: prefixFilter('path', prefix),
        output_fields: ['id'],
        limit: 1,
      });
      check(response.status, 'query');
      return response.data.length > 0;
    });
  }

  /**
   * One stored chunk's link, if any chunk has one: whether the index links its sources
   * (ingest with a base URL links every chunk). One query, at most one row.
   */
  async exampleLink(): Promise<string | undefined> {
    return this.reading('query', async () => {
      await this.ensureLoaded();
      const response = await this.client.query({
        collection_name: this.collection,
        filter: 'url != ""',
        output_fields: ['url'],
        limit: 1,
      });
      check(response.status, 'query');
      const url = response.data[0]?.url;
      return url ? String(url) : undefined;
    });
  }

  /** Every stored document's path and title, once per path (e.g. for suggested questions). */
  async documentTitles(): Promise<{ path: string; title: string }[]> {
    return this.reading('query', async () => {
      const titles = new Map((await this.queryAll('', ['path', 'title'])).map((row) => [String(row.path), String(row.title)]));
      return [...titles].map(([path, title]) => ({ path, title }));
    });
  }

  async deleteIds(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const response = await this.client.delete({
        collection_name: this.collection,
        filter: `id in ${JSON.stringify(ids.slice(i, i + 500))}`,
      });
      check(response.status, 'delete');
    }
  }

  async deletePaths(paths: string[]): Promise<void> {
    for (let i = 0; i < paths.length; i += 100) {
      const response = await this.client.delete({
        collection_name: this.collection,
        filter: `path in ${JSON.stringify(paths.slice(i, i + 100))}`,
      });
      check(response.status, 'delete');
    }
  }

  async count(): Promise<number> {
    return this.reading('count', async () => {
      const response = await this.client.query({
        collection_name: this.collection,
        filter: '',
        output_fields: ['count(*)'],
      });
      check(response.status, 'count');
      return Number(response.data[0]?.['count(*)'] ?? 0);
    });
  }

  /** Dense + BM25 search in one Milvus call, fused with reciprocal-rank fusion. */
  async hybridSearch(options: HybridSearchOptions): Promise<RetrievedChunk[]> {
    return this.reading('hybridSearch', async () => {
      const filter = pathFilter(options.pathPrefix);
      await this.ensureLoaded();
      const response = await searching('hybridSearch', () =>
        this.client.hybridSearch({
          collection_name: this.collection,
          data: [
            { anns_field: 'dense', data: options.vector, params: { metric_type: 'IP', ef: 128 }, expr: filter },
            { anns_field: 'sparse', data: options.text, params: { metric_type: 'BM25' }, expr: filter },
          ],
          rerank: RRFRanker(RRF_K),
          limit: options.limit,
          output_fields: CHUNK_FIELDS_WITH_VECTOR,
          metric_type: 'IP',
        }),
      );
      check(response.status, 'hybridSearch');
      return response.results.map((hit) => toRetrieved(hit, options.vector));
    });
  }

  async denseSearch(options: { vector: number[]; limit: number; pathPrefix?: string }): Promise<RetrievedChunk[]> {
    const [hits] = await this.denseSearches({ ...options, vectors: [options.vector] });
    return hits ?? [];
  }

  /** One dense search per vector, sent as one request (Milvus searches them together). */
  async denseSearches(options: { vectors: number[][]; limit: number; pathPrefix?: string }): Promise<RetrievedChunk[][]> {
    return this.reading('search', async () => {
      if (options.vectors.length === 0) return [];
      const lists = await this.searchEach({
        anns_field: 'dense',
        data: options.vectors,
        limit: options.limit,
        filter: pathFilter(options.pathPrefix),
        params: { ef: 128 },
        metric_type: 'IP',
        output_fields: CHUNK_FIELDS,
      });
      // With the IP metric on normalised vectors, the distance is the cosine similarity.
      return lists.map((hits) => hits.map((hit) => ({ ...toRetrieved(hit), similarity: Number(hit.score) })));
    });
  }

  async bm25Search(options: { text: string; limit: number; pathPrefix?: string }): Promise<RetrievedChunk[]> {
    const [hits] = await this.bm25Searches({ ...options, texts: [options.text] });
    return hits ?? [];
  }

  /** One BM25 search per text, sent as one request. */
  async bm25Searches(options: { texts: string[]; limit: number; pathPrefix?: string }): Promise<RetrievedChunk[][]> {
    return this.reading('search', async () => {
      if (options.texts.length === 0) return [];
      const lists = await this.searchEach({
        anns_field: 'sparse',
        data: options.texts,
        limit: options.limit,
        filter: pathFilter(options.pathPrefix),
        metric_type: 'BM25',
        output_fields: CHUNK_FIELDS,
      });
      return lists.map((hits) => hits.map((hit) => toRetrieved(hit)));
    });
  }

  /**
   * The cosine similarity of each of `vectors` to each chunk in `ids`, computed by
   * Milvus: one search per vector, restricted to those chunks, that returns scores and
   * no vectors. A chunk the search leaves out (an approximate index may) is scored from
   * its stored vector instead.
   */
  async similarities(vectors: number[][], ids: string[]): Promise<Map<string, number>[]> {
    return this.reading('search', async () => {
      if (vectors.length === 0 || ids.length === 0) return vectors.map(() => new Map());
      const lists = await this.searchEach({
        anns_field: 'dense',
        data: vectors,
        limit: ids.length,
        filter: idFilter(ids),
        params: { ef: Math.max(128, ids.length) },
        metric_type: 'IP',
        output_fields: ['id'],
      });
      const scores = lists.map((hits) => new Map(hits.map((hit) => [String(hit.id), Number(hit.score)])));
      const missing = ids.filter((id) => scores.some((map) => !map.has(id)));
      if (missing.length > 0) {
        const rows = await this.client.query({
          collection_name: this.collection,
          filter: idFilter(missing),
          output_fields: ['id', 'dense'],
          limit: missing.length,
        });
        check(rows.status, 'query');
        for (const row of rows.data) {
          const dense = row.dense as number[];
          for (const [i, map] of scores.entries()) map.set(String(row.id), dot(vectors[i]!, dense));
        }
      }
      return scores;
    });
  }

  /**
   * In how many chunks each term occurs, counted up to `atMost`: a one-term BM25
   * search returns only chunks that contain the term. One request, ids only, to stay cheap.
   */
  async termFrequencies(terms: string[], atMost: number): Promise<Map<string, number>> {
    return this.reading('search', async () => {
      if (terms.length === 0) return new Map();
      const lists = await this.searchEach({ anns_field: 'sparse', data: terms, limit: atMost, metric_type: 'BM25', output_fields: ['id'] });
      return new Map(lists.map((hits, i) => [terms[i]!, hits.length]));
    });
  }

  /**
   * One search request of several queries (vectors or texts) on the loaded collection, its
   * status checked: the hits of each query, in order.
   */
  private async searchEach(request: SearchEachRequest): Promise<Record<string, unknown>[][]> {
    await this.ensureLoaded();
    const response = await searching('search', () => this.client.search({ collection_name: this.collection, ...request }));
    check(response.status, 'search');
    return perQuery(response.results, request.data.length);
  }

  /** Readiness: Milvus answers and the collection exists. */
  async health(): Promise<{ ok: boolean; reason?: string }> {
    try {
      const health = await this.client.checkHealth();
      // Quirk: Milvus Lite answers CheckHealth with an empty message; then the
      // collection list below (which checks its status) is the health check.
      const status = (health as { status?: Status }).status;
      if (status) {
        check(status, 'checkHealth');
        if (health.isHealthy === false) {
          return { ok: false, reason: `Milvus reports unhealthy: ${(health.reasons ?? []).join('; ')}` };
        }
      }
      if (!(await this.exists())) return { ok: false, reason: `collection "${this.collection}" does not exist` };
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `Milvus unreachable: ${(error as Error).message}` };
    }
  }

  async drop(): Promise<void> {
    check(await this.client.dropCollection({ collection_name: this.collection }), 'dropCollection');
  }

  async close(): Promise<void> {
    await this.client.closeConnection();
  }

  /** All rows matching a filter (query-all.ts). */
  private async queryAll(filter: string, fields: string[]): Promise<Record<string, unknown>[]> {
    await this.ensureLoaded();
    return queryAllRows(this.client, { collection: this.collection, filter, fields });
  }
}

/**
 * Quirk: Milvus Lite answers a failed search with `error_code` "Success", the failure
 * in `code` alone, and no results message; the SDK then fails reading `results.scores`
 * before the status can be checked. Name the operation instead of a TypeError.
 */
async function searching<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof TypeError) {
      throw new AskdocsError('milvus', `Milvus ${operation} failed: the engine answered without results`, { cause: error });
    }
    throw error;
  }
}

function parseDescription(description: string | undefined): Record<string, string> {
  if (!description?.startsWith(DESCRIPTION_PREFIX)) return {};
  try {
    const parsed = JSON.parse(description.slice(DESCRIPTION_PREFIX.length)) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
  } catch {
    return {};
  }
}

/** Chunks whose path starts with `prefix`, taken literally (`_` and `%` included). */
function pathFilter(prefix?: string): string {
  return prefixFilter('path', prefix);
}

/** Quirk of the SDK: a search with one query returns its hits, with several a list of hits per query. */
function perQuery(results: unknown, queries: number): Record<string, unknown>[][] {
  const lists = (queries === 1 ? [results] : results) as Record<string, unknown>[][];
  return Array.from({ length: queries }, (_, i) => lists[i] ?? []);
}

function idFilter(ids: string[]): string {
  return `id in ${JSON.stringify(ids)}`;
}

function toRetrieved(hit: Record<string, unknown>, queryVector?: number[]): RetrievedChunk {
  const dense = hit.dense as number[] | undefined;
  const headingPath = stringListField(hit.heading_path);
  return {
    id: String(hit.id),
    path: String(hit.path),
    title: String(hit.title ?? ''),
    headingPath,
    text: String(hit.text ?? ''),
    url: hit.url ? String(hit.url) : undefined,
    ...(hit.chunk_index !== undefined ? { chunkIndex: Number(hit.chunk_index) } : {}),
    score: Number(hit.score ?? 0),
    similarity: queryVector && dense ? dot(queryVector, dense) : Number.NaN,
  };
}
