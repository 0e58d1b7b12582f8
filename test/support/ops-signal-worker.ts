/**
 * A child process with the real lifecycle and nothing else, for the signal edge
 * cases (drain timeout, a second signal) that need no Milvus or model: it tracks
 * one piece of work that lasts OPS_WORK_MS, reports on stdout when the work has
 * started, and logs when its close hook runs (and, with OPS_WORK_ABORTABLE, when the aborted
 * work has said goodbye). With OPS_STRAY_REJECTION set, it also
 * leaves one promise rejection unhandled once it is working.
 */
import { createLifecycle } from '../../src/lifecycle.ts';
import { createLogger } from '../../src/logger.ts';

const logger = createLogger({ level: 'info' });
const lifecycle = createLifecycle({
  logger,
  timeoutMs: Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 20_000),
}).install();
lifecycle.onShutdown(() => {
  logger.info('runtime closed');
});

const workMs = Number(process.env.OPS_WORK_MS ?? 60_000);
void lifecycle.track(
  new Promise<void>((resolve) => {
    setTimeout(() => {
      logger.info('work finished');
      resolve();
    }, workMs);
    // OPS_WORK_ABORTABLE: aborted, the work takes a moment to tell its user (as an answer posts "restarting").
    if (process.env.OPS_WORK_ABORTABLE) {
      lifecycle.signal.addEventListener('abort', () =>
        setTimeout(() => {
          logger.info('said goodbye');
          resolve();
        }, 200),
      );
    }
  }),
);
process.stdout.write(`${JSON.stringify({ working: true })}\n`);
if (process.env.OPS_STRAY_REJECTION) {
  setTimeout(() => {
    void Promise.reject(new Error('stray failure in some library'));
  }, 20);
}
