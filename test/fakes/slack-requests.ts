/**
 * Builds and sends requests to a Bolt HTTP receiver exactly as Slack does: signed
 * (`v0:{timestamp}:{raw body}` HMAC-SHA256 with the signing secret), slash commands and
 * interactivity form-encoded, events as JSON, retries with X-Slack-Retry-Num.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { FAKE_BOT } from '../fakes/slack-api.ts';

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';

export interface SentRequest {
  status: number;
  body: string;
  /** performance.now() when the request was sent and when its response arrived. */
  sentAt: number;
  answeredAt: number;
}

export interface SendOptions {
  secret?: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  retryNum?: number;
  /** Corrupts the signature after signing. */
  tamper?: boolean;
  /** Ends a request the bot never answers (hostile-body tests), so a hang fails instead of stalling. */
  signal?: AbortSignal;
  /** Sends the headers and half the body, the rest this many ms later: a request still on the wire. */
  trickleMs?: number;
}

export async function sendSigned(url: string, rawBody: string, contentType: string, options: SendOptions = {}): Promise<SentRequest> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  let signature = `v0=${createHmac('sha256', options.secret ?? SIGNING_SECRET)
    .update(`v0:${timestamp}:${rawBody}`)
    .digest('hex')}`;
  if (options.tamper) signature = `${signature.slice(0, -4)}0000`;
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signature,
  };
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const sentAt = performance.now();
  if (options.trickleMs !== undefined) {
    const { status, body } = await trickle(url, headers, rawBody, options.trickleMs, options.signal);
    return { status, body, sentAt, answeredAt: performance.now() };
  }
  const response = await fetch(url, { method: 'POST', headers, body: rawBody, signal: options.signal });
  const body = await response.text();
  return { status: response.status, body, sentAt, answeredAt: performance.now() };
}

/** A POST whose body arrives in two parts, `pauseMs` apart (fetch sends a string body at once). */
function trickle(
  url: string,
  headers: Record<string, string>,
  rawBody: string,
  pauseMs: number,
  signal: AbortSignal | undefined,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const bytes = Buffer.from(rawBody);
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(bytes.length) }, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const half = Math.floor(bytes.length / 2);
    req.write(bytes.subarray(0, half));
    setTimeout(() => req.end(bytes.subarray(half)), pauseMs);
  });
}

export function slashCommandBody(input: { text: string; channel: string; user: string; responseUrl: string; command?: string }): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: FAKE_BOT.teamId,
    team_domain: 'test',
    channel_id: input.channel,
    channel_name: 'docs-help',
    user_id: input.user,
    user_name: input.user.toLowerCase(),
    command: input.command ?? '/askdocs',
    text: input.text,
    api_app_id: 'A0TEST',
    is_enterprise_install: 'false',
    response_url: input.responseUrl,
    trigger_id: `${Date.now()}.${randomUUID().slice(0, 8)}`,
  }).toString();
}

export function sendSlashCommand(url: string, input: Parameters<typeof slashCommandBody>[0], options?: SendOptions) {
  return sendSigned(url, slashCommandBody(input), 'application/x-www-form-urlencoded', options);
}

export interface EventInput {
  type: 'app_mention' | 'message';
  channel: string;
  user: string;
  text: string;
  ts: string;
  thread_ts?: string;
  channel_type?: 'channel' | 'group' | 'im';
  bot_id?: string;
  subtype?: string;
  eventId?: string;
}

export function eventBody(input: EventInput): { body: string; eventId: string } {
  const eventId = input.eventId ?? `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
  const event: Record<string, unknown> = {
    type: input.type,
    user: input.user,
    text: input.text,
    ts: input.ts,
    channel: input.channel,
    event_ts: input.ts,
    team: FAKE_BOT.teamId,
    client_msg_id: randomUUID(),
  };
  if (input.thread_ts) event.thread_ts = input.thread_ts;
  if (input.type === 'message') event.channel_type = input.channel_type ?? 'channel';
  if (input.bot_id) event.bot_id = input.bot_id;
  if (input.subtype) event.subtype = input.subtype;
  return { body: JSON.stringify(envelope(event, eventId)), eventId };
}

/** The Events API envelope around one event, as Slack sends it to an app installed in FAKE_BOT's team. */
function envelope(event: Record<string, unknown>, eventId: string): Record<string, unknown> {
  return {
    token: 'deprecated-verification-token',
    team_id: FAKE_BOT.teamId,
    context_team_id: FAKE_BOT.teamId,
    api_app_id: 'A0TEST',
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: FAKE_BOT.teamId, user_id: FAKE_BOT.userId, is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${randomUUID()}`,
  };
}

export interface AssistantThreadInput {
  /** The DM channel of the assistant pane (D…). */
  channel: string;
  user: string;
  threadTs: string;
  /** The channel the user was viewing when the pane opened. */
  contextChannel?: string;
  type?: 'assistant_thread_started' | 'assistant_thread_context_changed';
}

/** `assistant_thread_started` (or `_context_changed`): a user opened a new thread in the AI-app pane. */
export function assistantThreadBody(input: AssistantThreadInput): { body: string; eventId: string } {
  const eventId = `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
  const event = {
    type: input.type ?? 'assistant_thread_started',
    assistant_thread: {
      user_id: input.user,
      context: input.contextChannel ? { channel_id: input.contextChannel, team_id: FAKE_BOT.teamId, enterprise_id: null } : {},
      channel_id: input.channel,
      thread_ts: input.threadTs,
    },
    event_ts: `${Date.now() / 1000}`,
  };
  return { body: JSON.stringify(envelope(event, eventId)), eventId };
}

export function sendAssistantThread(url: string, input: AssistantThreadInput, options?: SendOptions) {
  return sendSigned(url, assistantThreadBody(input).body, 'application/json', options);
}

export async function sendEvent(
  url: string,
  input: EventInput,
  options?: SendOptions,
): Promise<SentRequest & { eventId: string; rawBody: string }> {
  const { body, eventId } = eventBody(input);
  const sent = await sendSigned(url, body, 'application/json', options);
  return { ...sent, eventId, rawBody: body };
}

export interface BlockActionInput {
  user: string;
  channel: string;
  messageTs: string;
  threadTs?: string;
  actionId: string;
  value: string;
  blockId?: string;
  responseUrl: string;
  /** `feedback_buttons`: a click on Slack's own 👍/👎 under a streamed answer. */
  elementType?: 'button' | 'feedback_buttons';
}

export function blockActionsBody(input: BlockActionInput): string {
  const payload = {
    type: 'block_actions',
    user: { id: input.user, username: input.user.toLowerCase(), name: input.user.toLowerCase(), team_id: FAKE_BOT.teamId },
    api_app_id: 'A0TEST',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: input.messageTs, channel_id: input.channel, is_ephemeral: false, thread_ts: input.threadTs },
    trigger_id: `${Date.now()}.${randomUUID().slice(0, 8)}`,
    team: { id: FAKE_BOT.teamId, domain: 'test' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channel, name: 'docs-help' },
    message: {
      type: 'message',
      ts: input.messageTs,
      thread_ts: input.threadTs,
      user: FAKE_BOT.userId,
      bot_id: FAKE_BOT.botId,
      text: 'Sources',
    },
    state: { values: {} },
    response_url: input.responseUrl,
    actions: [
      {
        action_id: input.actionId,
        block_id: input.blockId ?? 'askdocs_feedback',
        text: { type: 'plain_text', text: input.value === 'down' ? '👎' : '👍', emoji: true },
        value: input.value,
        type: input.elementType ?? 'button',
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function sendBlockAction(url: string, input: BlockActionInput, options?: SendOptions) {
  return sendSigned(url, blockActionsBody(input), 'application/x-www-form-urlencoded', options);
}

export interface ShortcutInput {
  /** `shortcut`: a global shortcut (trigger_id only); `message_action`: a message shortcut (with a response_url). */
  type: 'shortcut' | 'message_action';
  callbackId: string;
  user: string;
  /** For `message_action`: the message's channel. */
  channel?: string;
  messageTs?: string;
  responseUrl?: string;
}

/** A global or message shortcut payload, as Slack sends it to the interactivity URL. */
export function shortcutBody(input: ShortcutInput): string {
  const payload: Record<string, unknown> = {
    type: input.type,
    token: 'deprecated-verification-token',
    action_ts: `${Date.now() / 1000}`,
    team: { id: FAKE_BOT.teamId, domain: 'test' },
    user: { id: input.user, username: input.user.toLowerCase(), team_id: FAKE_BOT.teamId },
    is_enterprise_install: false,
    enterprise: null,
    callback_id: input.callbackId,
    trigger_id: `${Date.now()}.${randomUUID().slice(0, 8)}`,
  };
  if (input.type === 'message_action') {
    const ts = input.messageTs ?? '1700000000.000100';
    Object.assign(payload, {
      channel: { id: input.channel ?? 'C0SHORTCUT', name: 'docs-help' },
      message: { type: 'message', ts, user: 'U0AUTHOR', text: 'a message someone wrote' },
      message_ts: ts,
      response_url: input.responseUrl,
    });
  }
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function sendShortcut(url: string, input: ShortcutInput, options?: SendOptions) {
  return sendSigned(url, shortcutBody(input), 'application/x-www-form-urlencoded', options);
}
