/**
 * Bench child: the askdocs runtime as a bot holds it (model loaded, Milvus connected,
 * one question answered as a warm-up), then idle until the parent says stop, so
 * the parent can read the idle RSS of the bot process beside its Milvus engine's.
 */

import { testConfig } from 'askdocs/test';
import { createLogger } from '../../src/logger.ts';
import { openRuntime } from '../../src/runtime.ts';
import { childPayload, onParentMessage, reportToParent, runAsChild } from '../lib/child.ts';

export interface IdleBotPayload {
  /** Milvus address, host:port. */
  address: string;
  collection: string;
  question: string;
}

runAsChild(async () => {
  const payload = childPayload<IdleBotPayload>();
  const config = testConfig({ MILVUS_URI: `http://${payload.address}`, MILVUS_COLLECTION: payload.collection });
  const runtime = await openRuntime(config, { logger: createLogger({ level: 'silent' }) });
  const stopped = new Promise<void>((resolve) => onParentMessage((message) => message.type === 'stop' && resolve()));
  try {
    await runtime.engine.retrieve({ text: payload.question, history: [], scope: { platform: 'bench' } });
    // Let the warm-up's garbage go before the parent reads the idle figure.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await reportToParent({ type: 'ready' });
    await stopped;
  } finally {
    await runtime.close();
  }
});
