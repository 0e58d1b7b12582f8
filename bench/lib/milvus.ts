/**
 * The one embedded Milvus engine every pipeline in a bench run uses (askdocs' own
 * manager starting the native Milvus Lite binary), with restart (as between
 * `askdocs ingest` and starting the bot), memory readings, and an export of a
 * collection's rows with their vectors (to build the scaled corpora from). The
 * latency section's baseline, Milvus Lite 3.2.2, runs behind the same interface.
 */
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { startMilvusLite } from '../../src/milvus/lite-server.ts';
import type { StoredChunkRow } from '../../src/milvus/store.ts';
import { ensureBaselineVenv, startBaselineLite } from './baseline-lite.ts';
import { readMemory } from './proc.ts';

export interface BenchMilvus {
  /** host:port of the running server (changes on restart). */
  readonly address: string;
  readonly dataDir: string;
  /** Stops and starts the server on the same data directory; returns the seconds it took. */
  restart(): Promise<number>;
  rssBytes(): number | null;
  stop(): Promise<void>;
}

/** The running server behind a BenchMilvus, whichever engine it is. */
interface EngineProcess {
  readonly address: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** A BenchMilvus over any engine that `start` launches on `dataDir`. */
async function restartable(dataDir: string, start: () => Promise<EngineProcess>): Promise<BenchMilvus> {
  let server = await start();
  return {
    get address() {
      return server.address;
    },
    dataDir,
    async restart() {
      const started = performance.now();
      await server.stop();
      server = await start();
      return (performance.now() - started) / 1000;
    },
    rssBytes() {
      return server.pid === undefined ? null : readMemory(server.pid).rssBytes;
    },
    stop: () => server.stop(),
  };
}

export function startBenchMilvus(options: { dataDir: string }): Promise<BenchMilvus> {
  return restartable(options.dataDir, () => startMilvusLite({ ...options, timeoutMs: 300_000 }));
}

/** The Python Milvus Lite 3.2.2 server (bench/.venv-baseline), behind the same interface. */
export function startBaselineMilvus(options: { dataDir: string; log: (message: string) => void }): Promise<BenchMilvus> {
  const venvDir = ensureBaselineVenv(options.log);
  return restartable(options.dataDir, () => startBaselineLite({ dataDir: options.dataDir, venvDir, timeoutMs: 300_000 }));
}

const EXPORT_FIELDS = ['id', 'path', 'doc_hash', 'chunk_index', 'title', 'heading_path', 'url', 'text', 'search_text', 'dense'];
/** Milvus' cap on one query's offset + limit. */
const QUERY_WINDOW = 16_384;
const HEX = '0123456789abcdef';

/**
 * Every row of an askdocs collection, vectors included. Query results come in no
 * particular order, so rows are read in disjoint id ranges (ids are hex digests:
 * one range per first hex digit), each well under Milvus' query window.
 */
export async function exportRows(address: string, collection: string): Promise<StoredChunkRow[]> {
  const client = new MilvusClient({
    address,
    logLevel: 'error',
    // As askdocs' store: Milvus Lite drops idle clients that ping often.
    channelOptions: { 'grpc.keepalive_time_ms': 60_000, 'grpc.keepalive_permit_without_calls': 0 },
  });
  const rows: StoredChunkRow[] = [];
  try {
    for (const [i, digit] of [...HEX].entries()) {
      const upper = i + 1 < HEX.length ? `id < ${JSON.stringify(HEX[i + 1])}` : '';
      const filter = [`id >= ${JSON.stringify(digit)}`, upper].filter(Boolean).join(' and ');
      const response = await client.query({ collection_name: collection, filter, output_fields: EXPORT_FIELDS, limit: QUERY_WINDOW });
      if (response.status.error_code !== 'Success') throw new Error(`exporting ${collection}: ${response.status.reason}`);
      if (response.data.length >= QUERY_WINDOW)
        throw new Error(`exporting ${collection}: more than ${QUERY_WINDOW} ids start with ${digit}`);
      for (const row of response.data) {
        rows.push({
          id: String(row.id),
          path: String(row.path),
          docHash: String(row.doc_hash),
          chunkIndex: Number(row.chunk_index),
          title: String(row.title),
          headingPath: JSON.parse(String(row.heading_path || '[]')) as string[],
          url: row.url ? String(row.url) : undefined,
          text: String(row.text),
          searchText: row.search_text === undefined ? undefined : String(row.search_text),
          vector: row.dense as number[],
        });
      }
    }
  } finally {
    await client.closeConnection();
  }
  return rows;
}
