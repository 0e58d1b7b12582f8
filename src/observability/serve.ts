/**
 * One call for a bot front end to expose its operations endpoints:
 *
 * ```ts
 * const lifecycle = createLifecycle({ logger, timeoutMs: config.shutdownTimeoutMs }).install();
 * lifecycle.onShutdown(() => runtime.close());
 * await serveOperations(runtime, lifecycle, [gatewayCheck]); // /healthz /readyz /metrics on HEALTH_PORT
 * // HTTP-mode Slack may also serve them on its own port:
 * new App({ ..., customRoutes: healthRoutes(operationsEndpoints(runtime, lifecycle)) });
 * ```
 */
import type { Lifecycle } from '../lifecycle.ts';
import type { Runtime } from '../runtime.ts';
import { type HealthEndpointsOptions, type HealthServer, type ReadinessCheck, startHealthServer } from './health-server.ts';
import { registry } from './metrics.ts';
import { type ReadinessSubject, runtimeReadinessChecks } from './readiness.ts';

export type OperationsSubject = ReadinessSubject & Pick<Runtime, 'logger'> & Partial<Pick<Runtime, 'alive'>>;

/**
 * The endpoints' options for a runtime: its readiness checks plus the front end's own
 * (`extraChecks`, e.g. "connected to the Discord gateway"), draining from the lifecycle.
 */
export function operationsEndpoints(
  runtime: OperationsSubject,
  lifecycle?: Lifecycle,
  extraChecks: ReadinessCheck[] = [],
): HealthEndpointsOptions {
  return {
    checks: [...runtimeReadinessChecks(runtime), ...extraChecks],
    registry,
    isDraining: lifecycle ? () => lifecycle.isDraining() : undefined,
    isAlive: runtime.alive,
    logger: runtime.logger,
  };
}

/**
 * Starts the health server on `config.healthPort` and closes it at the very end of a
 * shutdown (registered now, so it runs after hooks registered later: probes keep
 * getting a 503 "draining" answer while the bot finishes in-flight questions).
 */
export async function serveOperations(
  runtime: OperationsSubject,
  lifecycle?: Lifecycle,
  extraChecks: ReadinessCheck[] = [],
): Promise<HealthServer> {
  const server = await startHealthServer({
    port: runtime.config.healthPort,
    host: runtime.config.bindAddress,
    ...operationsEndpoints(runtime, lifecycle, extraChecks),
  });
  lifecycle?.onShutdown(() => server.close());
  return server;
}
