/**
 * A child-process "bot" for the shutdown tests: the real runtime (Milvus Lite
 * started by this process, the local embedding model, the real engine talking to
 * the LLM at LLM_BASE_URL), the real lifecycle and health server, and the smallest
 * possible front end: `POST /ask` with the question as the body streams the
 * answer's text back. It is wired the way the chat delivery layer wires every bot
 * (src/chat/delivery.ts): no new question once draining, `track()` around each answer,
 * the lifecycle's abort signal passed to the engine, runtime closed on shutdown.
 *
 * Env: the usual askdocs settings, plus OPS_BOT_DOCS (a folder to ingest at start) and
 * OPS_BOT_MILVUS_DIR (the embedded engine's data folder, used as MILVUS_URI).
 * Prints one JSON line on stdout when ready: { askPort, healthPort }.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.ts';
import { userMessageOf } from '../../src/errors.ts';
import { ingestFolder } from '../../src/ingest/ingest.ts';
import { createLifecycle, endWithEngine, SHUTTING_DOWN_MESSAGE } from '../../src/lifecycle.ts';
import { createLogger, newRequestId } from '../../src/logger.ts';
import { serveOperations } from '../../src/observability/serve.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';

const config = loadConfig({ ...process.env, MILVUS_URI: process.env.OPS_BOT_MILVUS_DIR ?? process.env.MILVUS_URI }, { envFile: false });
const logger = createLogger({ level: config.logLevel });
const lifecycle = createLifecycle({ logger, timeoutMs: config.shutdownTimeoutMs }).install();

const runtime = await openRuntime(config, { logger });
endWithEngine(runtime, lifecycle);
// Registered first, so it runs last: after the front end and the health server closed.
lifecycle.onShutdown(async () => {
  await runtime.close();
  logger.info('runtime closed');
});

if (process.env.OPS_BOT_DOCS) {
  await ingestFolder({
    dir: process.env.OPS_BOT_DOCS,
    store: runtime.store,
    embedder: runtime.embedder,
    maxChars: config.ingest.chunkMaxChars,
    overlapChars: config.ingest.chunkOverlapChars,
    batchSize: config.embedding.batchSize,
    logger,
  });
}

const health = await serveOperations(runtime, lifecycle);

const front = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/ask') {
    res.writeHead(404).end();
    return;
  }
  if (lifecycle.isDraining()) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end(SHUTTING_DOWN_MESSAGE);
    return;
  }
  void lifecycle.track(answer(runtime, req, res));
});
lifecycle.onShutdown(
  () =>
    new Promise<void>((resolve) => {
      front.close(() => resolve());
      // In-flight answers are done or abandoned by now: drop what is left.
      front.closeAllConnections();
    }),
);
await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));

process.stdout.write(`${JSON.stringify({ askPort: (front.address() as AddressInfo).port, healthPort: health.port })}\n`);

async function answer(rt: Runtime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let text = '';
  for await (const chunk of req) text += chunk;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  try {
    for await (const event of rt.engine.answer({ text, requestId: newRequestId(), scope: { platform: 'cli' }, signal: lifecycle.signal })) {
      if (event.type === 'delta') res.write(event.text);
      if (event.type === 'final') res.write(`\n[final mode=${event.mode}]`);
    }
  } catch (error) {
    res.write(`\n[error] ${userMessageOf(error)}`);
  } finally {
    res.end();
  }
}
