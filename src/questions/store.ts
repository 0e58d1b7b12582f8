/**
 * The question log's Milvus collection (`<MILVUS_COLLECTION>_questions`), next to
 * the chunks: one row per answered question, with the question's vector so the
 * gaps report can cluster by meaning.
 *
 * Same rules as the chunk store: only the API that Milvus Lite, Milvus ≥2.5 and
 * Zilliz all speak (explicit index and metric types, every status checked, no SDK
 * iterators: reading everything splits id-prefix ranges, ids being random hex).
 */
import { DataType, type MilvusClient } from '@zilliz/milvus2-sdk-node';
import { collectionExists, connectMilvus } from '../milvus/client.ts';
import { queryAllRows } from '../milvus/query-all.ts';
import { check } from '../milvus/status.ts';

export type LoggedMode = 'generated' | 'extractive' | 'abstained';

export interface LoggedQuestion {
  /** 32 hex digits. */
  id: string;
  askedAt: Date;
  platform: string;
  requestId: string;
  /** Salted SHA-256 of platform and user id; empty when the question had no user (CLI). */
  userHash: string;
  channelId: string;
  question: string;
  standalone: string;
  mode: LoggedMode;
  /** True also for a generated answer that said the docs don't cover it. */
  abstained: boolean;
  /** Best relevance score of the retrieval (the reranker's score, or the cosine with RERANKER=off). */
  relevance: number;
  citedPaths: string[];
  vector: number[];
}

const MAX_TEXT = 4_000;
const FIELDS = [
  'id',
  'asked_at',
  'platform',
  'request_id',
  'user_hash',
  'channel_id',
  'question',
  'standalone',
  'mode',
  'abstained',
  'relevance',
  'cited_paths',
];

export class QuestionStore {
  private ready?: Promise<void>;

  private constructor(
    private readonly client: MilvusClient,
    readonly collection: string,
  ) {}

  /** Connects without touching the collection; the first write creates it. */
  static async connect(options: { address: string; token?: string; collection: string }): Promise<QuestionStore> {
    const client = await connectMilvus({ address: options.address, token: options.token, timeoutMs: 15_000 });
    return new QuestionStore(client, options.collection);
  }

  async exists(): Promise<boolean> {
    return collectionExists(this.client, this.collection);
  }

  /** Creates the collection for vectors of this dimension if needed, and loads it. */
  ensure(dimension: number): Promise<void> {
    this.ready ??= (async () => {
      if (!(await this.exists())) {
        const response = await this.client.createCollection({
          collection_name: this.collection,
          fields: [
            { name: 'id', data_type: DataType.VarChar, is_primary_key: true, max_length: 32 },
            { name: 'asked_at', data_type: DataType.Int64 },
            { name: 'platform', data_type: DataType.VarChar, max_length: 16 },
            { name: 'request_id', data_type: DataType.VarChar, max_length: 128 },
            { name: 'user_hash', data_type: DataType.VarChar, max_length: 64 },
            { name: 'channel_id', data_type: DataType.VarChar, max_length: 128 },
            { name: 'question', data_type: DataType.VarChar, max_length: MAX_TEXT * 4 },
            { name: 'standalone', data_type: DataType.VarChar, max_length: MAX_TEXT * 4 },
            { name: 'mode', data_type: DataType.VarChar, max_length: 16 },
            { name: 'abstained', data_type: DataType.Bool },
            { name: 'relevance', data_type: DataType.Float },
            { name: 'cited_paths', data_type: DataType.VarChar, max_length: 8_192 },
            { name: 'vector', data_type: DataType.FloatVector, dim: dimension },
          ],
          index_params: [{ field_name: 'vector', index_type: 'HNSW', metric_type: 'IP', params: { M: 16, efConstruction: 100 } }],
        });
        check(response, 'createCollection');
      }
      check(await this.client.loadCollectionSync({ collection_name: this.collection }), 'loadCollection');
    })();
    // A failure (Milvus down) is retried by the next write rather than cached.
    this.ready.catch(() => {
      this.ready = undefined;
    });
    return this.ready;
  }

  async insert(rows: LoggedQuestion[]): Promise<void> {
    if (rows.length === 0) return;
    await this.ensure(rows[0]!.vector.length);
    const response = await this.client.insert({
      collection_name: this.collection,
      data: rows.map((row) => ({
        id: row.id,
        asked_at: row.askedAt.getTime(),
        platform: row.platform.slice(0, 16),
        request_id: row.requestId.slice(0, 128),
        user_hash: row.userHash,
        channel_id: row.channelId.slice(0, 128),
        question: row.question.slice(0, MAX_TEXT),
        standalone: row.standalone.slice(0, MAX_TEXT),
        mode: row.mode,
        abstained: row.abstained,
        relevance: Number.isFinite(row.relevance) ? row.relevance : -1,
        cited_paths: JSON.stringify(row.citedPaths).slice(0, 8_000),
        vector: row.vector,
      })),
    });
    check(response.status, 'insert');
  }

  /** Deletes questions asked before `cutoff` (retention). */
  async deleteOlderThan(cutoff: Date): Promise<void> {
    if (!(await this.exists())) return;
    const response = await this.client.delete({
      collection_name: this.collection,
      filter: `asked_at < ${cutoff.getTime()}`,
    });
    check(response.status, 'delete');
  }

  /** Every question asked at or after `since`, with its vector. */
  async list(since: Date): Promise<LoggedQuestion[]> {
    if (!(await this.exists())) return [];
    check(await this.client.loadCollectionSync({ collection_name: this.collection }), 'loadCollection');
    const rows = await queryAllRows(this.client, {
      collection: this.collection,
      filter: `asked_at >= ${since.getTime()}`,
      fields: [...FIELDS, 'vector'],
    });
    return rows.map(toLogged).sort((a, b) => a.askedAt.getTime() - b.askedAt.getTime());
  }

  async drop(): Promise<void> {
    if (await this.exists()) check(await this.client.dropCollection({ collection_name: this.collection }), 'dropCollection');
    this.ready = undefined;
  }

  async close(): Promise<void> {
    await this.client.closeConnection();
  }
}

function toLogged(row: Record<string, unknown>): LoggedQuestion {
  let citedPaths: string[] = [];
  try {
    citedPaths = JSON.parse(String(row.cited_paths ?? '[]'));
  } catch {
    citedPaths = [];
  }
  return {
    id: String(row.id),
    askedAt: new Date(Number(row.asked_at)),
    platform: String(row.platform),
    requestId: String(row.request_id ?? ''),
    userHash: String(row.user_hash ?? ''),
    channelId: String(row.channel_id ?? ''),
    question: String(row.question ?? ''),
    standalone: String(row.standalone ?? ''),
    mode: String(row.mode) as LoggedMode,
    abstained: Boolean(row.abstained),
    relevance: Number(row.relevance),
    citedPaths,
    vector: (row.vector as number[] | undefined) ?? [],
  };
}
