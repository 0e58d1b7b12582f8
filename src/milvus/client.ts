/**
 * Connecting to Milvus, and asking whether a collection exists, the same way for
 * every store (chunks, question log) and every Milvus (embedded engine, servers,
 * Zilliz Cloud).
 */
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { AskdocsError } from '../errors.ts';
import { check } from './status.ts';

/** A connected client; throws `milvus_unavailable` in one line when Milvus cannot be reached. */
export async function connectMilvus(options: { address: string; token?: string; timeoutMs: number }): Promise<MilvusClient> {
  const client = new MilvusClient({
    address: options.address,
    token: options.token,
    ssl: options.address.startsWith('https://'),
    timeout: options.timeoutMs,
    // gRPC servers close connections that ping too often while idle
    // ("too_many_pings"); ping rarely, and only with calls in flight.
    channelOptions: {
      'grpc.keepalive_time_ms': 60_000,
      'grpc.keepalive_timeout_ms': 20_000,
      'grpc.keepalive_permit_without_calls': 0,
    },
    logLevel: 'error',
  });
  try {
    // The SDK starts its handshake in the constructor; only some calls wait for it,
    // so wait here, or a refused connection surfaces later as an unhandled rejection.
    await client.connectPromise;
    // Quirk: the embedded engine answers GetVersion (and CheckHealth) with an empty
    // message, no status at all; ListCollections answers with a status everywhere.
    check((await client.listCollections()).status, 'connect');
  } catch (error) {
    await client.closeConnection().catch(() => undefined);
    throw new AskdocsError('milvus_unavailable', `Cannot reach Milvus at ${options.address}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return client;
}

export async function collectionExists(client: MilvusClient, collection: string): Promise<boolean> {
  // Quirk: the embedded engine's HasCollection answers true for any name; the list is
  // right everywhere.
  const response = await client.listCollections();
  check(response.status, 'listCollections');
  return (response.data ?? []).some((c) => c.name === collection);
}
