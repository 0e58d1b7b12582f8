/**
 * A gate in front of Bolt's HTTP receiver for `POST /slack/events`. Bolt 5 trusts any
 * validly signed body to have Slack's shape: `null` crashes it in an async path (an
 * unhandled rejection), `[1,2,3]` or `payload=5` hang until its 3 s unhandled-request
 * timeout, and a slash command without `text` throws in a listener. A signed body can
 * still be hostile (a leaked signing secret, a buggy proxy), so the gate
 *
 * - buffers the body (Bolt's limit; 413 above it) and verifies the signature, rejecting
 *   timestamps more than 5 minutes off in EITHER direction (Bolt checks only the past);
 * - answers 400 at once to a body that is not one of the shapes askdocs handles;
 * - hands everything else to Bolt, which reuses the buffered body.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { defaultBodyLimit, HTTPModuleFunctions, verifySlackRequest } from '@slack/bolt';
import type { Logger } from '../../src/logger.ts';

/** Slack's own rule: a request more than 5 minutes away from our clock is a replay. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

export interface RequestGuardOptions {
  signingSecret: string;
  /** Paths Bolt serves events, commands and interactivity on. */
  endpoints: string[];
  logger: Logger;
  bodyLimit?: number;
  /** Seconds since the epoch; tests never need it, it is here for clarity. */
  now?: () => number;
}

export function guardSlackRequests(next: RequestListener, options: RequestGuardOptions): RequestListener {
  const { logger } = options;
  const now = options.now ?? (() => Date.now() / 1000);
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'POST' || !options.endpoints.includes(path)) {
      next(req, res);
      return;
    }
    void (async () => {
      let rawBody: string;
      try {
        rawBody = (await HTTPModuleFunctions.bufferIncomingMessage(req, options.bodyLimit ?? defaultBodyLimit)).rawBody.toString();
      } catch (error) {
        const tooLarge = HTTPModuleFunctions.isRawBodyError(error) && (error.type === 'entity.too.large' || error.statusCode === 413);
        reject(res, tooLarge ? 413 : 400);
        logger.warn({ status: tooLarge ? 413 : 400 }, 'slack: request body could not be read');
        return;
      }
      const contentType = req.headers['content-type'];
      const form = contentType === 'application/x-www-form-urlencoded';
      // Slack's SSL check carries no signature; Bolt answers it and drops anything else in it.
      if (form && parseQuery(rawBody).ssl_check === '1') {
        next(req, res);
        return;
      }
      const unsigned = signatureProblem(req, rawBody, options.signingSecret, now());
      if (unsigned) {
        logger.warn({ reason: unsigned }, 'slack: request rejected (signature)');
        reject(res, 401);
        return;
      }
      const problem = form ? formProblem(rawBody) : jsonProblem(rawBody);
      if (problem) {
        logger.warn({ reason: problem }, 'slack: malformed request rejected');
        reject(res, 400);
        return;
      }
      next(req, res);
    })().catch((error: unknown) => {
      // Nothing above should throw; if it does, the request still gets an answer.
      logger.error({ err: error }, 'slack: request gate failed');
      if (!res.headersSent) reject(res, 500);
    });
  };
}

function reject(res: ServerResponse, status: number): void {
  res.writeHead(status).end();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function signatureProblem(req: IncomingMessage, body: string, signingSecret: string, nowSeconds: number): string | undefined {
  const timestamp = Number(header(req, 'x-slack-request-timestamp'));
  if (!Number.isFinite(timestamp)) return 'missing or invalid x-slack-request-timestamp';
  if (Math.abs(nowSeconds - timestamp) > MAX_CLOCK_SKEW_SECONDS) return 'timestamp more than 5 minutes from our clock';
  try {
    verifySlackRequest({
      signingSecret,
      body,
      headers: { 'x-slack-signature': header(req, 'x-slack-signature') ?? '', 'x-slack-request-timestamp': timestamp },
    });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : 'signature mismatch';
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Events API bodies: url_verification, or an event_callback carrying an event object. */
function jsonProblem(rawBody: string): string | undefined {
  const body = parseJson(rawBody);
  if (!isObject(body)) return 'body is not a JSON object';
  if (!isString(body.type)) return 'body has no type';
  if (body.type === 'url_verification') return isString(body.challenge) ? undefined : 'url_verification without a challenge';
  if (body.type === 'event_callback') {
    const event = body.event;
    if (!isObject(event) || !isString(event.type)) return 'event_callback without an event';
    return undefined;
  }
  // Other envelope types (app_rate_limited, …) are Bolt's to ignore.
  return undefined;
}

/** Form bodies: an interactivity `payload` (JSON object) or a slash command. */
function formProblem(rawBody: string): string | undefined {
  const form = parseQuery(rawBody);
  if ('payload' in form) {
    const payload = isString(form.payload) ? parseJson(form.payload) : undefined;
    if (!isObject(payload) || !isString(payload.type)) return 'payload is not an interactivity object';
    if (payload.type === 'block_actions') {
      if (!isObject(payload.user) || !isString(payload.user.id)) return 'block_actions without a user';
      if (!Array.isArray(payload.actions) || !payload.actions.every((a) => isObject(a) && isString(a.action_id))) {
        return 'block_actions without actions';
      }
    }
    return undefined;
  }
  for (const field of ['command', 'text', 'user_id', 'channel_id']) {
    if (!isString(form[field])) return `slash command without ${field}`;
  }
  return undefined;
}
