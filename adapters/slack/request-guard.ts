/**
 * A gate in front of Bolt's HTTP receiver for `POST /slack/events`. Bolt 5 trusts any validly
 * signed body to have Slack's shape: `null` crashes it in an async path, `[1,2,3]` or
 * `payload=5` hang until its 3 s unhandled-request timeout, and a slash command without
 * `text` throws in a listener. A signed body can still be hostile (a leaked signing secret, a
 * buggy proxy), so the gate verifies the request with Bolt's own functions (413 above its body
 * limit), also refuses timestamps more than 5 minutes in the future (Bolt checks only the
 * past), answers 400 at once to a body of a shape askdocs does not handle, and hands the rest
 * to Bolt, which reuses the buffered body.
 *
 * Each request also counts as an acknowledgement in flight until its response is sent
 * (`acks`, src/chat/ack-first.ts): Bolt acks Events API deliveries itself, out of the
 * listeners' sight, and in a burst of @-mentions the answers already started would
 * otherwise keep the event loop from acking the rest within Slack's 3 s.
 */
import type { RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { type BufferedIncomingMessage, type CustomRoute, defaultBodyLimit, HTTPModuleFunctions, HTTPReceiver } from '@slack/bolt';
import type { AcknowledgementsFirst } from '../../src/chat/ack-first.ts';
import type { Logger } from '../../src/logger.ts';
import { boltLogger } from './bolt-logger.ts';

/** Slack's own rule: a request more than 5 minutes away from our clock is a replay. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
const EVENTS_PATH = '/slack/events';

/** Bolt's HTTP receiver on `/slack/events` (and `customRoutes`), with the gate in front of it. */
export function guardedReceiver(options: {
  signingSecret: string;
  customRoutes: CustomRoute[];
  logger: Logger;
  port: number;
  acks: AcknowledgementsFirst;
}): HTTPReceiver {
  const { signingSecret, customRoutes, logger, port, acks } = options;
  const receiver = new HTTPReceiver({ signingSecret, endpoints: [EVENTS_PATH], customRoutes, port, logger: boltLogger(logger) });
  receiver.requestListener = guardSlackRequests(receiver.requestListener, signingSecret, logger, acks);
  return receiver;
}

function guardSlackRequests(next: RequestListener, signingSecret: string, logger: Logger, acks: AcknowledgementsFirst): RequestListener {
  const reject = (res: ServerResponse, status: number, reason: string) => {
    logger.warn({ status, reason }, 'slack: request rejected');
    res.writeHead(status).end();
  };
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'POST' || path !== EVENTS_PATH) return next(req, res);
    // 'close' also fires when the client hangs up first, so nothing stays counted.
    res.once('close', acks.begin());
    void (async () => {
      const form = req.headers['content-type'] === 'application/x-www-form-urlencoded';
      const timestamp = Number(req.headers['x-slack-request-timestamp']);
      let buffered: BufferedIncomingMessage;
      try {
        buffered = await HTTPModuleFunctions.parseAndVerifyHTTPRequest({ signingSecret, bodyLimit: defaultBodyLimit }, req);
      } catch (error) {
        if (!HTTPModuleFunctions.isRawBodyError(error)) return reject(res, 401, error instanceof Error ? error.message : 'signature');
        const tooLarge = error.type === 'entity.too.large' || error.statusCode === 413;
        return reject(res, tooLarge ? 413 : 400, 'the body could not be read');
      }
      const rawBody = buffered.rawBody.toString();
      // Slack's SSL check carries no signature; Bolt answers it (and keeps nothing else of it).
      if (form && parseQuery(rawBody).ssl_check === '1') return next(buffered, res);
      if (timestamp - Date.now() / 1000 > MAX_CLOCK_SKEW_SECONDS)
        return reject(res, 401, 'timestamp more than 5 minutes ahead of our clock');
      const problem = form ? formProblem(rawBody) : jsonProblem(rawBody);
      if (problem) return reject(res, 400, problem);
      next(buffered, res);
    })().catch((error: unknown) => {
      // Nothing above should throw; if it does, the request still gets an answer.
      logger.error({ err: error }, 'slack: request gate failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
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
  if (body.type === 'event_callback' && !(isObject(body.event) && isString(body.event.type))) return 'event_callback without an event';
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
