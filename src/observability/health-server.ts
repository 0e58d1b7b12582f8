/**
 * The operations endpoints every askdocs front end serves:
 *
 * - `GET /healthz`: liveness. 200 while the process can answer HTTP at all; it runs no
 *   checks, so a slow Milvus never gets a healthy pod restarted. The one exception is
 *   `isAlive`: a failure the process cannot recover from by itself (the embedded
 *   Milvus engine died and could not be restarted) answers 503, so the orchestrator
 *   restarts the process.
 * - `GET /readyz`: readiness. Runs every check (bounded by a timeout each) and answers
 *   200 when all pass, 503 naming the failing ones otherwise, and 503 while draining
 *   for shutdown so load balancers stop sending work. The body is JSON.
 * - `GET /metrics`: Prometheus text format from the given registry.
 *
 * Two ways to serve them: `startHealthServer` (own port, HEALTH_PORT; used by Socket
 * Mode Slack and Discord, which have no HTTP server) and `healthRoutes` (Bolt
 * `customRoutes`, so HTTP-mode Slack also answers them on its own port).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { AskdocsError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { redactSecrets } from '../logger.ts';

export interface CheckResult {
  ok: boolean;
  /** One line for operators: what was checked, or why it failed, in our words. Served by /readyz. */
  detail?: string;
  /**
   * Passing, but with reduced guarantees (e.g. Redis unreachable: answers go on with
   * per-replica state). The replica stays in service; /readyz shows it.
   */
  degraded?: boolean;
  /**
   * The underlying error text (addresses, library messages): logged when readiness
   * changes, never served, since /readyz is often reachable from outside the pod.
   */
  internal?: string;
}

export interface ReadinessCheck {
  name: string;
  run(): Promise<CheckResult> | CheckResult;
}

export interface HealthEndpointsOptions {
  checks: ReadinessCheck[];
  registry: Registry;
  /** True once shutdown began: readiness then fails so no new work is routed here. */
  isDraining?: () => boolean;
  /** Liveness beyond "answers HTTP": false only for failures a process restart fixes. */
  isAlive?: () => CheckResult;
  /** Per-check time limit; a probe must answer even when Milvus hangs. Default 3000 ms. */
  checkTimeoutMs?: number;
  logger?: Logger;
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready' | 'draining';
  checks: Record<string, CheckResult>;
}

/** Bolt's `CustomRoute` shape, declared here so this module does not depend on Bolt. */
export interface HealthRoute {
  path: string;
  method: string | string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

export const HEALTH_PATHS = { liveness: '/healthz', readiness: '/readyz', metrics: '/metrics' } as const;

const DEFAULT_CHECK_TIMEOUT_MS = 3_000;

export async function runReadinessChecks(options: HealthEndpointsOptions): Promise<ReadinessReport> {
  const timeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const entries = await Promise.all(options.checks.map(async (check) => [check.name, await runOneCheck(check, timeoutMs)] as const));
  const checks = Object.fromEntries(entries);
  if (options.isDraining?.()) return { status: 'draining', checks };
  return { status: entries.every(([, result]) => result.ok) ? 'ready' : 'not_ready', checks };
}

async function runOneCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => check.run()), timeout]);
  } catch (error) {
    return {
      ok: false,
      detail: 'check failed (details in the logs)',
      internal: redactSecrets(error instanceof Error ? error.message : String(error)),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The three endpoints as Bolt-compatible custom routes (`new App({ customRoutes })`). */
export function healthRoutes(options: HealthEndpointsOptions): HealthRoute[] {
  const send = (res: ServerResponse, status: number, contentType: string, body: string) => {
    res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, body: unknown) =>
    send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
  let lastStatus: ReadinessReport['status'] | undefined;
  // A failing handler must still answer: a probe that hangs is worse than a 500.
  const guarded = (name: string, handle: (res: ServerResponse) => Promise<void>) => (_req: IncomingMessage, res: ServerResponse) => {
    handle(res).catch((error: unknown) => {
      options.logger?.error({ err: error, endpoint: name }, 'health endpoint failed');
      if (!res.headersSent) json(res, 500, { status: 'error' });
      else res.end();
    });
  };

  return [
    {
      path: HEALTH_PATHS.liveness,
      method: ['GET', 'HEAD'],
      handler: guarded('healthz', async (res) => {
        const alive = options.isAlive?.() ?? { ok: true };
        // The detail stays in the logs (the runtime logged it when it happened).
        json(res, alive.ok ? 200 : 503, { status: alive.ok ? 'ok' : 'failed' });
      }),
    },
    {
      path: HEALTH_PATHS.readiness,
      method: ['GET', 'HEAD'],
      handler: guarded('readyz', async (res) => {
        const report = await runReadinessChecks(options);
        // Probes poll every few seconds: log changes, not every answer.
        if (report.status !== lastStatus) {
          const failing = Object.entries(report.checks).filter(([, c]) => !c.ok);
          options.logger?.[report.status === 'not_ready' ? 'warn' : 'info'](
            { readiness: report.status, failing: Object.fromEntries(failing) },
            'readiness changed',
          );
          lastStatus = report.status;
        }
        json(res, report.status === 'ready' ? 200 : 503, publicReport(report));
      }),
    },
    {
      path: HEALTH_PATHS.metrics,
      method: 'GET',
      handler: guarded('metrics', async (res) => {
        send(res, 200, options.registry.contentType, await options.registry.metrics());
      }),
    },
  ];
}

/** The report without `internal` error texts: those stay in the logs. */
function publicReport(report: ReadinessReport): ReadinessReport {
  const checks = Object.fromEntries(Object.entries(report.checks).map(([name, { internal: _internal, ...shown }]) => [name, shown]));
  return { ...report, checks };
}

export interface StartHealthServerOptions extends HealthEndpointsOptions {
  /** HEALTH_PORT; 0 picks a free port (tests). */
  port: number;
  /** Defaults to all interfaces: probes and Prometheus come from outside the container. */
  host?: string;
}

export interface HealthServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Serves /healthz, /readyz and /metrics on their own port. */
export async function startHealthServer(options: StartHealthServerOptions): Promise<HealthServer> {
  const routes = healthRoutes(options);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes.find((r) => r.path === path);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes(req.method ?? 'GET')) {
      res.writeHead(405, { allow: methods.join(', ') }).end();
      return;
    }
    route.handler(req, res);
  });
  // Probes open a connection per request; don't let idle keep-alive sockets delay shutdown.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new AskdocsError('config', `HEALTH_PORT ${options.port} is already in use: set HEALTH_PORT to a free port.`, {
              cause: error,
            })
          : error,
      );
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  options.logger?.info({ port }, 'health and metrics endpoints listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
