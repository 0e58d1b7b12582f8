/**
 * Classifies errors thrown by the Slack WebClient, for logs and for the plain message
 * a user sees when Slack itself (not the engine) is the problem.
 */

export type SlackFailure =
  | { kind: 'platform'; error: string }
  | { kind: 'rate_limited' }
  | { kind: 'http'; status: number }
  | { kind: 'network' };

export function classifySlackError(error: unknown): SlackFailure | undefined {
  if (!error || typeof error !== 'object' || !('code' in error)) return undefined;
  const { code } = error as { code?: unknown };
  if (typeof code !== 'string' || !code.startsWith('slack_webapi_')) return undefined;
  if (code === 'slack_webapi_platform_error') {
    const data = (error as { data?: { error?: string } }).data;
    return data?.error === 'ratelimited' ? { kind: 'rate_limited' } : { kind: 'platform', error: data?.error ?? 'unknown' };
  }
  if (code === 'slack_webapi_rate_limited_error') return { kind: 'rate_limited' };
  if (code === 'slack_webapi_http_error') return { kind: 'http', status: (error as { statusCode?: number }).statusCode ?? 0 };
  // After its own retries the WebClient reports an exhausted 429 as a request error.
  const message = error instanceof Error ? error.message : '';
  return /rate limit/i.test(message) ? { kind: 'rate_limited' } : { kind: 'network' };
}

export function isSlackError(error: unknown): boolean {
  return classifySlackError(error) !== undefined;
}

/** The plain message shown when posting to Slack failed (the engine was fine). */
export function slackFailureMessage(error: unknown): string {
  const failure = classifySlackError(error);
  if (failure?.kind === 'rate_limited') {
    return "Slack is limiting how fast I can post right now, so I couldn't finish this answer. Please ask again in a minute.";
  }
  return "I couldn't finish posting this answer to Slack. Please ask again in a moment.";
}

/** Platform errors meaning "this workspace/app/channel can't use chat streaming". */
const STREAMING_UNSUPPORTED = new Set([
  'unknown_method',
  'not_allowed',
  'not_allowed_token_type',
  'missing_scope',
  'method_deprecated',
  'feature_not_enabled',
  'invalid_arguments',
  'not_implemented',
  'method_not_supported_for_channel_type',
]);

export function streamingUnsupported(error: unknown): boolean {
  const failure = classifySlackError(error);
  if (failure?.kind === 'http') return [404, 405, 501].includes(failure.status);
  return failure?.kind === 'platform' && STREAMING_UNSUPPORTED.has(failure.error);
}
