/**
 * Fault injection for the fake Discord REST API: 429s with Discord's real rate-limit
 * headers and body, 5xx errors, slowness, and optional per-bucket limits that are
 * enforced the way Discord enforces them (so a client that ignores X-RateLimit-* gets 429s).
 */

/** One REST call as the fake saw it. `route` is the matched template, e.g. `POST /channels/:channel/messages`. */
export interface RecordedCall {
  method: string;
  path: string;
  route: string;
  query: Record<string, string>;
  body: unknown;
  /** The Authorization header's scheme (`Bot`) — never the token itself. */
  auth: string | null;
  at: number;
  status: number;
}

export type CallMatcher = string | RegExp | ((call: Pick<RecordedCall, 'method' | 'path' | 'route' | 'body'>) => boolean);

export interface RateLimitRule {
  match: CallMatcher;
  /** Seconds, as Discord sends them (`retry_after` may be fractional). */
  retryAfter: number;
  global?: boolean;
  scope?: 'user' | 'global' | 'shared';
  /** How many matching calls get the 429; default 1. */
  times?: number;
  /**
   * As a spent Discord bucket answers: from the first matching call on, every matching call gets
   * a 429 (with the time left as its retry_after) until `retryAfter` has passed; `times` is ignored.
   */
  sustained?: boolean;
}

export interface FailureRule {
  match: CallMatcher;
  status: number;
  body?: unknown;
  times?: number;
}

export interface LatencyRule {
  match: CallMatcher;
  ms: number;
}

export interface BucketLimit {
  /** Requests allowed per window, per major parameter (channel / webhook), like Discord's buckets. */
  limit: number;
  windowMs: number;
}

export interface FaultResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export function matches(matcher: CallMatcher, call: Pick<RecordedCall, 'method' | 'path' | 'route' | 'body'>): boolean {
  if (typeof matcher === 'function') return matcher(call);
  if (typeof matcher === 'string') return call.route === matcher;
  return matcher.test(`${call.method} ${call.path}`);
}

interface Counted<T> {
  rule: T;
  left: number;
  /** A sustained rate limit: when it ends (ms since the epoch), once it began. */
  until?: number;
}

export class Faults {
  #rateLimits: Counted<RateLimitRule>[] = [];
  #failures: Counted<FailureRule>[] = [];
  #latencies: LatencyRule[] = [];
  #buckets = new Map<string, BucketLimit>();
  #bucketUse = new Map<string, { count: number; resetAt: number }>();

  rateLimit(rule: RateLimitRule): void {
    this.#rateLimits.push({ rule, left: rule.times ?? 1 });
  }

  fail(rule: FailureRule): void {
    this.#failures.push({ rule, left: rule.times ?? 1 });
  }

  slow(rule: LatencyRule): void {
    this.#latencies.push(rule);
  }

  /** Enforces a real bucket on a route template, e.g. `POST /channels/:channel/messages`. */
  limitBucket(route: string, limit: BucketLimit): void {
    this.#buckets.set(route, limit);
  }

  clear(): void {
    this.#rateLimits = [];
    this.#failures = [];
    this.#latencies = [];
    this.#buckets.clear();
    this.#bucketUse.clear();
  }

  delayFor(call: Pick<RecordedCall, 'method' | 'path' | 'route' | 'body'>): number {
    return this.#latencies.filter((rule) => matches(rule.match, call)).reduce((sum, rule) => sum + rule.ms, 0);
  }

  /** An injected response for this call, if any rule fires; bucket headers otherwise. */
  check(
    call: Pick<RecordedCall, 'method' | 'path' | 'route' | 'body'>,
    majorId: string,
  ): { fault?: FaultResponse; headers: Record<string, string> } {
    const rateLimit = this.#takeRateLimit(call);
    if (rateLimit)
      return { fault: tooManyRequests(rateLimit.retryAfter, rateLimit.global ?? false, call.route, rateLimit.scope), headers: {} };

    const failure = this.#take(this.#failures, call);
    if (failure) {
      return {
        fault: {
          status: failure.status,
          headers: {},
          body: failure.body ?? { message: failure.status >= 500 ? 'Internal Server Error' : 'Bad Request', code: 0 },
        },
        headers: {},
      };
    }

    const bucket = this.#buckets.get(call.route);
    if (!bucket) return { headers: {} };
    const key = `${call.route}:${majorId}`;
    const now = Date.now();
    let use = this.#bucketUse.get(key);
    if (!use || use.resetAt <= now) {
      use = { count: 0, resetAt: now + bucket.windowMs };
      this.#bucketUse.set(key, use);
    }
    const resetAfter = Math.max(0, use.resetAt - now) / 1000;
    if (use.count >= bucket.limit) {
      const fault = tooManyRequests(resetAfter, false, call.route, 'user');
      Object.assign(fault.headers, bucketHeaders(bucket.limit, 0, use.resetAt, resetAfter, call.route));
      return { fault, headers: {} };
    }
    use.count += 1;
    return { headers: bucketHeaders(bucket.limit, bucket.limit - use.count, use.resetAt, resetAfter, call.route) };
  }

  /** The 429 for this call, if a rate limit applies; a sustained one answers with the time it has left. */
  #takeRateLimit(call: Pick<RecordedCall, 'method' | 'path' | 'route' | 'body'>): RateLimitRule | undefined {
    const now = Date.now();
    const sustained = this.#rateLimits.find(
      (entry) => entry.rule.sustained && (entry.until === undefined || entry.until > now) && matches(entry.rule.match, call),
    );
    if (!sustained)
      return this.#take(
        this.#rateLimits.filter((entry) => !entry.rule.sustained),
        call,
      );
    sustained.until ??= now + sustained.rule.retryAfter * 1000;
    return { ...sustained.rule, retryAfter: (sustained.until - now) / 1000 };
  }

  #take<T extends { match: CallMatcher }>(rules: Counted<T>[], call: Pick<RecordedCall, 'method' | 'path' | 'route' | 'body'>) {
    const found = rules.find((entry) => entry.left > 0 && matches(entry.rule.match, call));
    if (!found) return undefined;
    found.left -= 1;
    return found.rule;
  }
}

function bucketHeaders(limit: number, remaining: number, resetAt: number, resetAfter: number, route: string) {
  return {
    'X-RateLimit-Limit': String(limit),
    'X-RateLimit-Remaining': String(remaining),
    'X-RateLimit-Reset': (resetAt / 1000).toFixed(3),
    'X-RateLimit-Reset-After': resetAfter.toFixed(3),
    'X-RateLimit-Bucket': bucketHash(route),
  };
}

/** A 429 exactly as Discord sends it: Retry-After header (seconds), JSON body with retry_after and global. */
function tooManyRequests(retryAfter: number, global: boolean, route: string, scope?: string): FaultResponse {
  const headers: Record<string, string> = {
    'Retry-After': String(retryAfter),
    'X-RateLimit-Scope': scope ?? (global ? 'global' : 'user'),
  };
  if (global) headers['X-RateLimit-Global'] = 'true';
  else {
    headers['X-RateLimit-Limit'] = '5';
    headers['X-RateLimit-Remaining'] = '0';
    headers['X-RateLimit-Reset'] = ((Date.now() + retryAfter * 1000) / 1000).toFixed(3);
    headers['X-RateLimit-Reset-After'] = retryAfter.toFixed(3);
    headers['X-RateLimit-Bucket'] = bucketHash(route);
  }
  return {
    status: 429,
    headers,
    body: { message: 'You are being rate limited.', retry_after: retryAfter, global, code: global ? 0 : undefined },
  };
}

function bucketHash(route: string): string {
  return Buffer.from(route).toString('hex').slice(-32);
}
