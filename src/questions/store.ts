/**
 * The question log's Milvus collection (`<MILVUS_COLLECTION>_questions`), next to
 * the chunks: one row per answered question, with the question's vector so the
 * gaps report can cluster by meaning.
 *
 * Same rules as the chunk store: only the API that Milvus Lite, Milvus ≥2.5 and
 * Zilliz all speak (explicit index and metric types, every status checked, no SDK
 * iterators: reading everything splits id-prefix ranges, ids being random hex).
 *
 * Schema upgrades: the embedded engine cannot add a field to a collection, so a
 * collection from before `thread_ref` is copied into a new one on first use (see
 * `upgrade`), never losing a row even when the process dies half-way.
 */
import { DataType, type FieldType, type MilvusClient } from '@zilliz/milvus2-sdk-node';
import type { ThreadRef } from '../engine/types.ts';
import { AskdocsError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { collectionExists, connectMilvus } from '../milvus/client.ts';
import { onceMoreOnRestartedEngine } from '../milvus/engine-retry.ts';
import { stringListField } from '../milvus/json-field.ts';
import { embeddedEngineAt } from '../milvus/lite-server.ts';
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
  /** Where the question can be opened again (Slack thread, Discord message); `{}` when unknown. */
  thread: ThreadRef;
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
/** Upgrades in progress in this process, by server address and collection. */
const upgrades = new Map<string, Promise<void>>();
/** Added after the first release: collections without it are upgraded by copy. */
const THREAD_FIELD = 'thread_ref';
const INSERT_BATCH = 1_000;

function schema(dimension: number): FieldType[] {
  return [
    { name: 'id', data_type: DataType.VarChar, is_primary_key: true, max_length: 32 },
    { name: 'asked_at', data_type: DataType.Int64 },
    { name: 'platform', data_type: DataType.VarChar, max_length: 16 },
    { name: 'request_id', data_type: DataType.VarChar, max_length: 128 },
    { name: 'user_hash', data_type: DataType.VarChar, max_length: 64 },
    { name: 'channel_id', data_type: DataType.VarChar, max_length: 128 },
    { name: THREAD_FIELD, data_type: DataType.VarChar, max_length: 512 },
    { name: 'question', data_type: DataType.VarChar, max_length: MAX_TEXT * 4 },
    { name: 'standalone', data_type: DataType.VarChar, max_length: MAX_TEXT * 4 },
    { name: 'mode', data_type: DataType.VarChar, max_length: 16 },
    { name: 'abstained', data_type: DataType.Bool },
    { name: 'relevance', data_type: DataType.Float },
    { name: 'cited_paths', data_type: DataType.VarChar, max_length: 8_192 },
    { name: 'vector', data_type: DataType.FloatVector, dim: dimension },
  ];
}

export class QuestionStore {
  private ready?: Promise<void>;
  /** The embedded engine's generation `ready` was for: a restarted engine has nothing loaded. */
  private readyGeneration?: number;

  private constructor(
    private readonly client: MilvusClient,
    readonly collection: string,
    /** Milvus's address, to find the embedded engine serving it (if any) when a write loses it. */
    private readonly address: string,
    private readonly logger?: Logger,
  ) {}

  /** Connects without touching the collection; the first write creates it. */
  static async connect(options: { address: string; token?: string; collection: string; logger?: Logger }): Promise<QuestionStore> {
    const client = await connectMilvus({ address: options.address, token: options.token, timeoutMs: 15_000 });
    return new QuestionStore(client, options.collection, options.address, options.logger);
  }

  async exists(): Promise<boolean> {
    return collectionExists(this.client, this.collection);
  }

  /** Creates (or upgrades) the collection for vectors of this dimension if needed, and loads it. */
  ensure(dimension: number): Promise<void> {
    const generation = embeddedEngineAt(this.address)?.generation();
    if (generation !== this.readyGeneration) this.ready = undefined;
    this.readyGeneration = generation;
    this.ready ??= (async () => {
      await this.upgrade();
      if (!(await this.exists())) await this.create(this.collection, dimension);
      check(await this.client.loadCollectionSync({ collection_name: this.collection }), 'loadCollection');
    })();
    // A failure (Milvus down) is retried by the next write rather than cached.
    this.ready.catch(() => {
      this.ready = undefined;
    });
    return this.ready;
  }

  /**
   * Brings a collection from before `thread_ref` to the current schema, by copy: every
   * row goes into `<collection>_upgrade` first (checked by count), only then is the
   * original dropped, re-created and refilled, and the copy dropped last. Whatever
   * step a crash interrupts, the next call sees which copy is whole and resumes:
   *   - original in the old schema: the copy may be partial; it is made again;
   *   - copy present, original missing or in the new schema: the copy is whole (the
   *     original is dropped only after the copy was checked); the original is refilled from it.
   * Old rows get an empty thread reference: the digest shows them without a link.
   */
  private upgrade(): Promise<void> {
    // One upgrade per collection at a time in this process: the log's first write and a
    // digest's read may both find the old schema at once.
    const key = `${this.client.config.address}/${this.collection}`;
    let running = upgrades.get(key);
    if (!running) {
      running = this.upgradeOnce().finally(() => upgrades.delete(key));
      upgrades.set(key, running);
    }
    return running;
  }

  private async upgradeOnce(): Promise<void> {
    const staging = `${this.collection}_upgrade`;
    const original = (await this.exists()) ? await this.fieldNames(this.collection) : undefined;
    const stagingExists = await collectionExists(this.client, staging);
    if (original?.includes(THREAD_FIELD) && !stagingExists) return;
    if (!original && !stagingExists) return;

    if (original && !original.includes(THREAD_FIELD)) {
      if (stagingExists) await this.dropCollection(staging);
      const rows = await this.readAll(this.collection);
      await this.copyInto(staging, rows, this.collection);
    }
    const rows = await this.readAll(staging);
    if (await this.exists()) await this.dropCollection(this.collection);
    await this.copyInto(this.collection, rows, staging);
    await this.dropCollection(staging);
  }

  /** Creates `target` in the current schema and fills it with `rows`, checking the count. */
  private async copyInto(target: string, rows: LoggedQuestion[], from: string): Promise<void> {
    const dimension = rows[0]?.vector.length ?? (await this.dimensionOf(from));
    await this.create(target, dimension);
    check(await this.client.loadCollectionSync({ collection_name: target }), 'loadCollection');
    for (let i = 0; i < rows.length; i += INSERT_BATCH) await this.insertInto(target, rows.slice(i, i + INSERT_BATCH));
    const copied = await queryAllRows(this.client, { collection: target, filter: '', fields: ['id'] });
    if (copied.length !== rows.length) {
      throw new AskdocsError('milvus', `question log upgrade: copied ${copied.length} of ${rows.length} rows into ${target}; will retry`);
    }
  }

  private async create(name: string, dimension: number): Promise<void> {
    const response = await this.client.createCollection({
      collection_name: name,
      fields: schema(dimension),
      index_params: [{ field_name: 'vector', index_type: 'HNSW', metric_type: 'IP', params: { M: 16, efConstruction: 100 } }],
    });
    check(response, 'createCollection');
  }

  private async fieldNames(name: string): Promise<string[]> {
    const described = await this.client.describeCollection({ collection_name: name });
    check(described.status, 'describeCollection');
    return described.schema.fields.map((field) => field.name);
  }

  private async dimensionOf(name: string): Promise<number> {
    const described = await this.client.describeCollection({ collection_name: name });
    check(described.status, 'describeCollection');
    const vector = described.schema.fields.find((field) => field.name === 'vector');
    return Number(vector?.type_params?.find((p) => p.key === 'dim')?.value ?? vector?.dim ?? 0);
  }

  private async readAll(name: string): Promise<LoggedQuestion[]> {
    check(await this.client.loadCollectionSync({ collection_name: name }), 'loadCollection');
    const fields = await this.fieldNames(name);
    const rows = await queryAllRows(this.client, { collection: name, filter: '', fields: fields.filter((f) => f !== 'id') });
    return rows.map(toLogged);
  }

  private async dropCollection(name: string): Promise<void> {
    check(await this.client.dropCollection({ collection_name: name }), 'dropCollection');
  }

  /**
   * Writes questions by id: a row written again replaces itself, so a write that lost
   * the embedded engine is sent once more when it is back (the engine restarts by
   * itself), with no duplicate should the first have gone through.
   */
  async save(rows: LoggedQuestion[]): Promise<void> {
    if (rows.length === 0) return;
    await onceMoreOnRestartedEngine(
      { client: this.client, address: this.address, logger: this.logger },
      { operation: 'upsert', kind: 'write' },
      async () => {
        await this.ensure(rows[0]!.vector.length);
        await this.insertInto(this.collection, rows);
      },
    );
  }

  private async insertInto(name: string, rows: LoggedQuestion[]): Promise<void> {
    if (rows.length === 0) return;
    const response = await this.client.upsert({
      collection_name: name,
      data: rows.map((row) => ({
        id: row.id,
        asked_at: row.askedAt.getTime(),
        platform: row.platform.slice(0, 16),
        request_id: row.requestId.slice(0, 128),
        user_hash: row.userHash,
        channel_id: row.channelId.slice(0, 128),
        [THREAD_FIELD]: threadRefText(row.thread),
        question: row.question.slice(0, MAX_TEXT),
        standalone: row.standalone.slice(0, MAX_TEXT),
        mode: row.mode,
        abstained: row.abstained,
        relevance: Number.isFinite(row.relevance) ? row.relevance : -1,
        cited_paths: JSON.stringify(row.citedPaths).slice(0, 8_000),
        vector: row.vector,
      })),
    });
    check(response.status, 'upsert');
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
    // Also finishes an upgrade that a crash interrupted, so no row is hidden in the copy.
    await this.upgrade();
    if (!(await this.exists())) return [];
    check(await this.client.loadCollectionSync({ collection_name: this.collection }), 'loadCollection');
    const fields = await this.fieldNames(this.collection);
    const rows = await queryAllRows(this.client, {
      collection: this.collection,
      filter: `asked_at >= ${since.getTime()}`,
      fields: [...FIELDS, ...(fields.includes(THREAD_FIELD) ? [THREAD_FIELD] : []), 'vector'],
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
  const citedPaths = stringListField(row.cited_paths);
  return {
    id: String(row.id),
    askedAt: new Date(Number(row.asked_at)),
    platform: String(row.platform),
    requestId: String(row.request_id ?? ''),
    userHash: String(row.user_hash ?? ''),
    channelId: String(row.channel_id ?? ''),
    thread: parseThreadRef(row[THREAD_FIELD]),
    question: String(row.question ?? ''),
    standalone: String(row.standalone ?? ''),
    mode: String(row.mode) as LoggedMode,
    abstained: Boolean(row.abstained),
    relevance: Number(row.relevance),
    citedPaths,
    vector: (row.vector as number[] | undefined) ?? [],
  };
}

/** Stored as JSON of the ids that are set, e.g. `{"workspaceId":"T1","messageId":"1712345678.000100"}`. */
function threadRefText(thread: ThreadRef | undefined): string {
  const ref: ThreadRef = {};
  if (thread?.workspaceId) ref.workspaceId = thread.workspaceId.slice(0, 128);
  if (thread?.messageId) ref.messageId = thread.messageId.slice(0, 128);
  return Object.keys(ref).length > 0 ? JSON.stringify(ref) : '';
}

function parseThreadRef(value: unknown): ThreadRef {
  if (typeof value !== 'string' || value === '') return {};
  try {
    const parsed = JSON.parse(value) as Record<string, unknown>;
    const ref: ThreadRef = {};
    if (typeof parsed.workspaceId === 'string') ref.workspaceId = parsed.workspaceId;
    if (typeof parsed.messageId === 'string') ref.messageId = parsed.messageId;
    return ref;
  } catch {
    return {};
  }
}
