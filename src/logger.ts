/**
 * Structured JSON logs (pino) to stderr, so stdout stays free for answers and
 * `eval --json`. Secrets are redacted by key name wherever they appear, and
 * `redactSecrets` scrubs known secret values out of free text (error messages can
 * echo a URL or header).
 *
 * Errors are logged as `{type, message, code, stack, cause}`, with every text redacted and
 * the cause chain followed a few levels down: "Lost the connection to Milvus" is only
 * useful with the gRPC error under it. They become plain objects before pino sees them (its
 * own serializer would copy every field, unredacted), so the `err` serializer passes them on.
 */
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = [
  'token',
  'apiKey',
  'api_key',
  'authorization',
  'Authorization',
  'password',
  'secret',
  'signingSecret',
  'botToken',
  'appToken',
  'DEEPSEEK_API_KEY',
  'EMBEDDING_API_KEY',
  'MILVUS_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'DISCORD_TOKEN',
];

/** Values redacted wherever they appear, even inside a longer string: they look like secrets. */
const secretValues = new Set<string>();
/**
 * Values that look like plain words ("ollama", "changeme"), redacted only where they stand
 * alone: inside a longer token ("ollama-llama3", "changemeplease") they are that token's.
 */
const wordSecrets = new Set<string>();

/** Characters of a name (a model, a host, a word): a plain-word secret among them is part of a longer name. */
const TOKEN_CHAR = 'A-Za-z0-9_.-';

/**
 * Registers values (tokens, keys, passwords) that must never appear in a log line. One that
 * looks like a secret (12 characters or more, or mixing letters, digits and signs, as keys
 * and real passwords do) is redacted wherever it appears; a plain word or number shorter
 * than that only where it stands alone, so `DEEPSEEK_API_KEY=ollama` does not turn model
 * "ollama-llama3" into "[REDACTED]-llama3". Shorter than 6: not at all (a URL's password
 * is cut out of the URL by its place).
 */
export function registerSecrets(...values: (string | undefined)[]): void {
  for (const value of values) {
    if (!value || value.length < 6) continue;
    if (looksLikeSecret(value)) secretValues.add(value);
    else wordSecrets.add(value);
  }
}

function looksLikeSecret(value: string): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((kind) => kind.test(value)).length;
  return value.length >= 12 || classes >= 2;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of secretValues) out = out.split(secret).join('[REDACTED]');
  for (const word of wordSecrets) {
    out = out.replace(new RegExp(`(?<![${TOKEN_CHAR}])${escapeRegExp(word)}(?![${TOKEN_CHAR}])`, 'g'), '[REDACTED]');
  }
  // Bearer tokens and Slack/Discord-looking tokens that were never registered, and the
  // user:password of any URL (a password too short to register still sits in its URL).
  return out
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]+@/gi, '$1[REDACTED]@')
    .replace(/Bearer\s+[A-Za-z0-9._~+/=-]{8,}/g, 'Bearer [REDACTED]')
    .replace(/\bx(?:ox[abposr]|app)-[A-Za-z0-9-]{8,}/g, '[REDACTED]');
}

/**
 * The values in the query of every URL in `text` (`?token=abc` → `?token=[REDACTED]`), for
 * lines that quote a URL someone typed: a query often carries a token.
 */
export function redactUrlQueries(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`<>]*/gi, (url) => url.replace(/([?&][^=&#\s]*=)[^&#\s]+/g, '$1[REDACTED]'));
}

export interface CreateLoggerOptions {
  level?: string;
  /** Where JSON lines go; defaults to stderr. Tests pass a stream to inspect output. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const paths = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'askdocs' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths, censor: '[REDACTED]' },
      // pino's serializer would call an already scrubbed error type "Object" with no stack.
      serializers: { err: (value: unknown) => (value instanceof Error ? scrubError(value) : value) },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // Scrub secret values from every string argument (messages, error texts).
        logMethod(args, method) {
          const cleaned = args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : scrub(arg)));
          // `log.error(err)` and `log.error(err, 'msg')`: pino files an Error under `err`, with its message as
          // the line's; a scrubbed copy is no Error any more, so that is done here.
          const [first] = args;
          if (first instanceof Error) {
            cleaned[0] = { err: cleaned[0] };
            if (typeof args[1] !== 'string') cleaned.splice(1, 0, redactSecrets(first.message));
          }
          return method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    },
    (options.destination ?? pino.destination({ dest: 2, sync: false })) as pino.DestinationStream,
  );
}

function scrub(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') {
    return typeof value === 'string' ? redactSecrets(value) : value;
  }
  if (value instanceof Error) return scrubError(value);
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = scrub(item, depth + 1);
  return out;
}

/** How many causes deep an error is logged: enough for a wrapped gRPC or socket error, bounded for odd chains. */
const MAX_CAUSE_DEPTH = 5;
/**
 * Fields of an error worth keeping when they are plain values: Node's and gRPC's codes,
 * gRPC's details, an HTTP status. Others (gRPC metadata, request options) can carry headers.
 */
const ERROR_FIELDS = ['code', 'errno', 'syscall', 'details', 'status'] as const;

function scrubError(error: Error, level = 0, seen = new Set<unknown>()): Record<string, unknown> {
  seen.add(error);
  // The class, as pino names it ("AskdocsError", "TypeError"), else the error's own name.
  const type = typeof error.constructor === 'function' && error.constructor.name ? error.constructor.name : error.name;
  const out: Record<string, unknown> = { type, message: redactSecrets(String(error.message)) };
  if (error.name && error.name !== type) out.name = error.name;
  for (const field of ERROR_FIELDS) {
    const item = (error as unknown as Record<string, unknown>)[field];
    if (typeof item === 'string') out[field] = redactSecrets(item);
    else if (typeof item === 'number' || typeof item === 'boolean') out[field] = item;
  }
  if (typeof error.stack === 'string') out.stack = redactSecrets(error.stack);
  const cause = error.cause;
  if (cause === undefined || cause === null) return out;
  if (seen.has(cause)) out.cause = '[circular cause]';
  else if (level >= MAX_CAUSE_DEPTH) out.cause = '[further causes not logged]';
  else if (cause instanceof Error) out.cause = scrubError(cause, level + 1, seen);
  else out.cause = scrub(cause);
  return out;
}

export function newRequestId(): string {
  return randomUUID().slice(0, 8);
}
