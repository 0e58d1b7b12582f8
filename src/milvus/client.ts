/**
 * Connecting to Milvus, and asking whether a collection exists, the same way for
 * every store (chunks, question log) and every Milvus (embedded engine, servers,
 * Zilliz Cloud).
 */
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { AskdocsError, MILVUS_RESTARTING_MESSAGE, MILVUS_TIMEOUT_MESSAGE, MILVUS_UNREACHABLE_MESSAGE } from '../errors.ts';
import { credentialsOf, hostOf, milvusCredentialsProblem, withoutCredentials } from '../url-credentials.ts';
import { embeddedEngineAt, QUICK_RECONNECT } from './lite-server.ts';
import { check, type Status, statusOk } from './status.ts';

/**
 * A connected client; throws `milvus_unavailable` in one line when Milvus cannot be reached.
 * A `user:password@` in the address is sent as the SDK's username and password: left
 * in the address, the SDK would take it for part of the host name.
 */
export async function connectMilvus(options: { address: string; token?: string; timeoutMs: number }): Promise<MilvusClient> {
  // loadConfig lists this with every other problem; a client built in code is checked here.
  const problem = milvusCredentialsProblem(options.address, options.token);
  if (problem) throw new AskdocsError('config', problem);
  const credentials = credentialsOf(options.address);
  const address = withoutCredentials(options.address);
  const client = new MilvusClient({
    address,
    token: options.token,
    username: credentials?.username,
    password: credentials?.password,
    ssl: address.startsWith('https://'),
    timeout: options.timeoutMs,
    // gRPC servers close connections that ping too often while idle
    // ("too_many_pings"); ping rarely, and only with calls in flight.
    channelOptions: {
      'grpc.keepalive_time_ms': 60_000,
      'grpc.keepalive_timeout_ms': 20_000,
      'grpc.keepalive_permit_without_calls': 0,
      // A search retried on a restarted embedded engine would otherwise still fail (QUICK_RECONNECT).
      ...(embeddedEngineAt(address) ? QUICK_RECONNECT : {}),
    },
    logLevel: 'error',
  });
  const named = namingFailedRequests(client, address);
  try {
    // The SDK starts its handshake in the constructor; only some calls wait for it,
    // so wait here, or a refused connection surfaces later as an unhandled rejection.
    await client.connectPromise;
    // Quirk: the embedded engine answers GetVersion (and CheckHealth) with an empty
    // message, no status at all; ListCollections answers with a status everywhere.
    check((await client.listCollections()).status, 'connect');
  } catch (error) {
    await client.closeConnection().catch(() => undefined);
    const where = hostOf(address) ?? address;
    const message =
      (error as { code?: unknown }).code === GRPC_UNAUTHENTICATED
        ? `Milvus at ${where} refused the credentials (user:password in MILVUS_URI, or MILVUS_TOKEN): ${(error as Error).message}`
        : `Cannot reach Milvus at ${where}: ${(error as Error).message}`;
    throw new AskdocsError('milvus_unavailable', message, { cause: error });
  }
  return named;
}

/** gRPC status codes (the `code` of the SDK's rejections) that say what went wrong with a request. */
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;
const GRPC_UNAUTHENTICATED = 16;

/**
 * The client, with every request's gRPC failure turned into a one-line error that
 * names the request. The SDK's own message ("4 DEADLINE_EXCEEDED: Deadline exceeded
 * after 30.001s, …") says neither which of an ingest's or a question's requests
 * failed nor what to do.
 *
 * On the embedded engine, also: a request that fails because the data file is damaged
 * or the disk is full says so, rather than "Unexpected error in RPC handling" or a search
 * "without results"; and a write the engine answered with success but logged as lost to
 * a full disk fails (an ingest would otherwise report success with its chunks missing).
 */
function namingFailedRequests(client: MilvusClient, address: string): MilvusClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        const engine = embeddedEngineAt(address);
        const write = WRITES.test(property);
        // A write lost to a full disk since the last request: stop before the next one.
        const lost = engine && write ? engine.lostWrite() : undefined;
        if (lost) return Promise.reject(lost);
        const result: unknown = value.apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.then(
          async (answer) => {
            if (!engine) return answer;
            if (failedStatusIn(answer)) {
              const problem = await engine.diagnose(write);
              if (problem) throw problem;
            }
            const lostNow = write ? engine.lostWrite() : undefined;
            if (lostNow) throw lostNow;
            return answer;
          },
          async (error: unknown) => {
            const problem = await engine?.diagnose(write).catch(() => undefined);
            if (problem) throw Object.assign(problem, { cause: error });
            throw requestFailure(error, property, engine !== undefined);
          },
        );
      };
    },
  });
}

/** Requests that write to the data folder: only their failures may be down to a full disk. */
const WRITES = /^(upsert|insert|delete|create|drop|flush|load|alter|compact|release)/i;

/** Whether an answer reports failure: a status, or a response with a `status`. */
function failedStatusIn(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const status = ('status' in value ? (value as { status?: unknown }).status : value) as Status | undefined;
  if (typeof status !== 'object' || status === null || !('error_code' in status || 'code' in status)) return false;
  return !statusOk(status);
}

/**
 * The user is told in plain words that the search engine is restarting, cannot be reached
 * or did not answer in time. Which request failed goes to the log only, as the error's
 * `message` (the gRPC details, which carry internal addresses, stay in its `cause`).
 */
function requestFailure(error: unknown, request: string, embedded: boolean): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === GRPC_DEADLINE_EXCEEDED) {
    return withLogText(
      new AskdocsError('milvus', MILVUS_TIMEOUT_MESSAGE, { cause: error }),
      `Milvus did not answer in time (request: ${request}); it may be overloaded.`,
    );
  }
  if (code === GRPC_UNAVAILABLE) {
    // The embedded engine is ours: a lost connection is its crash, and it is being restarted.
    return withLogText(
      new AskdocsError('milvus_unavailable', embedded ? MILVUS_RESTARTING_MESSAGE : MILVUS_UNREACHABLE_MESSAGE, { cause: error }),
      `Lost the connection to Milvus (request: ${request}).`,
    );
  }
  return error;
}

/** The error's `message` (what logs show) says more than its `userMessage`. */
function withLogText(error: AskdocsError, logText: string): AskdocsError {
  error.message = logText;
  return error;
}

/** Whether a request failed because the connection to Milvus was lost (gRPC UNAVAILABLE), as `requestFailure` reports it. */
export function connectionLost(error: unknown): boolean {
  if (error instanceof AskdocsError)
    return error.code === 'milvus_unavailable' && (error.cause as { code?: unknown })?.code === GRPC_UNAVAILABLE;
  return (error as { code?: unknown })?.code === GRPC_UNAVAILABLE;
}

export async function collectionExists(client: MilvusClient, collection: string): Promise<boolean> {
  // Quirk: the embedded engine's HasCollection answers true for any name; the list is
  // right everywhere.
  const response = await client.listCollections();
  check(response.status, 'listCollections');
  return (response.data ?? []).some((c) => c.name === collection);
}
