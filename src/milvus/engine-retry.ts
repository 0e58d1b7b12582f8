/**
 * One more try for a request that lost the embedded engine under it (killed, crashed,
 * or killed by its watchdog as hung), once the engine is back: it restarts by itself in
 * about half a second, and neither a question nor its question-log record should fail
 * for it. Only for requests that are safe to send twice (reads, upserts by id). Not for
 * a Milvus server: a lost connection there is not something askdocs is fixing.
 */
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import type { Logger } from '../logger.ts';
import { connectionLost } from './client.ts';
import { embeddedEngineAt } from './lite-server.ts';

/**
 * How long a request that lost the embedded engine waits for it to be back before it is
 * tried again once. This also covers a second restart attempt, and stays short of making
 * a chat user wait.
 */
const RETRY_WAIT_MS = 5_000;

export interface EngineRetryTarget {
  client: MilvusClient;
  /** Milvus's address, to find the embedded engine serving it (none: a server, no retry). */
  address?: string;
  logger?: Logger;
}

/** Clients waiting to get through to a restarted engine: one probe each, shared by all its waiting requests. */
const reconnecting = new WeakMap<MilvusClient, Promise<boolean>>();

export async function onceMoreOnRestartedEngine<T>(
  target: EngineRetryTarget,
  request: { operation: string; kind: 'read' | 'write' },
  call: () => Promise<T>,
): Promise<T> {
  const engine = target.address ? embeddedEngineAt(target.address) : undefined;
  const since = engine?.generation();
  try {
    return await call();
  } catch (error) {
    if (!engine || since === undefined || !(connectionLost(error) || engine.generation() !== since)) throw error;
    const deadline = Date.now() + RETRY_WAIT_MS;
    if (!(await engine.back(since, RETRY_WAIT_MS)) || !(await reachable(target.client, deadline))) throw error;
    target.logger?.warn(
      { operation: request.operation, err: error },
      `milvus engine was lost during a ${request.kind}; trying it again on the restarted engine`,
    );
    return await call();
  }
}

/**
 * Whether `client` gets through to Milvus again before `deadline`. The engine listens
 * before gRPC has reconnected to it (refused meanwhile, it waits between attempts): a
 * request sent at once would fail the same way. Asked with the cheapest request there is.
 */
function reachable(client: MilvusClient, deadline: number): Promise<boolean> {
  let probe = reconnecting.get(client);
  if (!probe) {
    probe = (async () => {
      try {
        while (Date.now() < deadline) {
          try {
            await client.listCollections({ timeout: Math.max(100, deadline - Date.now()) });
            return true;
          } catch (error) {
            if (!connectionLost(error)) return true;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        return false;
      } finally {
        reconnecting.delete(client);
      }
    })();
    reconnecting.set(client, probe);
  }
  return probe;
}
