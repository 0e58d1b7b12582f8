/**
 * Classifies the Slack WebClient's errors: for logs, for the plain message a user sees when Slack
 * (not the engine) failed, and for features a workspace or app may lack (streaming, status line…).
 */
import { rateLimitedText } from '../../src/chat/rate-limit.ts';

export type SlackFailure =
  | { kind: 'platform'; error: string }
  | { kind: 'rate_limited'; retryAfterMs: number }
  | { kind: 'http'; status: number }
  | { kind: 'network' };

/** What askdocs reads of the WebClient's errors (platform, HTTP and rate-limited ones). */
type WebApiError = { code?: unknown; data?: { error?: string }; statusCode?: number; retryAfter?: number };

export function classifySlackError(error: unknown): SlackFailure | undefined {
  if (!error || typeof error !== 'object' || !('code' in error)) return undefined;
  const { code, data, statusCode, retryAfter } = error as WebApiError;
  if (typeof code !== 'string' || !code.startsWith('slack_webapi_')) return undefined;
  const limited = { kind: 'rate_limited', retryAfterMs: (retryAfter ?? 1) * 1000 } as const;
  if (code === 'slack_webapi_platform_error')
    return data?.error === 'ratelimited' ? limited : { kind: 'platform', error: data?.error ?? 'unknown' };
  if (code === 'slack_webapi_rate_limited_error') return limited;
  if (code === 'slack_webapi_http_error') return { kind: 'http', status: statusCode ?? 0 };
  // After its own retries the WebClient reports an exhausted 429 as a request error.
  return /rate limit/i.test(error instanceof Error ? error.message : '') ? limited : { kind: 'network' };
}

/** The plain message shown when posting to Slack failed (the engine was fine). */
export function slackFailureMessage(error: unknown): string {
  const failure = classifySlackError(error);
  if (failure?.kind === 'rate_limited') return rateLimitedText('Slack', failure.retryAfterMs);
  return "I couldn't finish posting this answer to Slack. Please ask again in a moment.";
}

/** How long to hold back after Slack rate-limited a call; undefined for other failures. */
export function retryAfterMs(error: unknown): number | undefined {
  const failure = classifySlackError(error);
  return failure?.kind === 'rate_limited' ? failure.retryAfterMs : undefined;
}

/** Platform errors meaning "this workspace, app, token or channel lacks the feature": the method or its scope is
 *  missing, or it exists but not for this channel, these arguments or these blocks. */
const MISSING = ['unknown_method', 'not_allowed', 'not_allowed_token_type', 'missing_scope', 'method_deprecated', 'not_implemented'];
const NOT_HERE = ['feature_not_enabled', 'method_not_supported_for_channel_type', 'invalid_arguments', 'invalid_blocks'];
const UNSUPPORTED = new Set([...MISSING, ...NOT_HERE]);

export function unsupportedHere(error: unknown): boolean {
  const failure = classifySlackError(error);
  if (failure?.kind === 'http') return [404, 405, 501].includes(failure.status);
  return failure?.kind === 'platform' && UNSUPPORTED.has(failure.error);
}
