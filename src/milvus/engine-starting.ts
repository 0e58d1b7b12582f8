/**
 * Quirk: the embedded engine (Milvus Lite 2.5) listens on its port before its storage layer
 * has finished starting. A collection created in that moment fails with "Mmap manager has not
 * been init" (seen as the first request of a fresh engine on a loaded 2-core machine, in CI).
 * The request is tried again for a few seconds, after `beforeRetry` has cleaned up what the
 * failed attempt may have left.
 */
const ENGINE_STARTING = /Mmap manager has not been init/i;
const RETRY_FOR_MS = 10_000;
const PAUSE_MS = 250;

export function engineStillStarting(error: unknown): boolean {
  return error instanceof Error && ENGINE_STARTING.test(error.message);
}

export async function onceEngineStarted<T>(
  attempt: () => Promise<T>,
  options: { beforeRetry?: () => Promise<void>; retryForMs?: number; pauseMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.retryForMs ?? RETRY_FOR_MS);
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!engineStillStarting(error) || Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? PAUSE_MS));
    await options.beforeRetry?.();
  }
}
