/**
 * A Milvus server with authentication switched on that rejects every caller, for
 * tests of what askdocs sends as credentials: the embedded engine ignores them, and
 * a real Milvus with `common.security.authorizationEnabled` is out of reach offline.
 *
 * It speaks gRPC's real wire format over plaintext HTTP/2: every call is recorded
 * (path and `authorization` metadata) and answered the way Milvus answers wrong
 * credentials, a trailers-only response with status UNAUTHENTICATED.
 */
import { createServer, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface RecordedGrpcCall {
  /** `/milvus.proto.milvus.MilvusService/<Method>`. */
  path: string;
  /** The `authorization` metadata (base64 of `user:password` or of the token), if sent. */
  authorization?: string;
}

export interface FakeMilvusAuth {
  /** `127.0.0.1:<port>`. */
  address: string;
  calls: RecordedGrpcCall[];
  close(): Promise<void>;
}

/** gRPC status UNAUTHENTICATED, with Milvus' own message for it. */
const UNAUTHENTICATED = { code: '16', message: 'auth check failure, please check username, password or token are correct' };

export async function startFakeMilvusAuth(): Promise<FakeMilvusAuth> {
  const calls: RecordedGrpcCall[] = [];
  const server = createServer();
  // Closed with the server: a client that keeps its connection open must not hold up close().
  const sessions = new Set<Http2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    const authorization = headers.authorization;
    calls.push({ path: String(headers[':path']), authorization: typeof authorization === 'string' ? authorization : undefined });
    // Read the request message before answering, as a server does.
    stream.resume();
    stream.respond(
      {
        ':status': 200,
        'content-type': 'application/grpc+proto',
        'grpc-status': UNAUTHENTICATED.code,
        'grpc-message': encodeURIComponent(UNAUTHENTICATED.message),
      },
      { endStream: true },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}
