/**
 * Structured JSON logs (pino) to stderr, so stdout stays free for answers and
 * `eval --json`. Secrets are redacted by key name wherever they appear, and
 * `redactSecrets` scrubs known secret values out of free text (error messages can
 * echo a URL or header).
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
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // Scrub secret values from every string argument (messages, error texts).
        logMethod(args, method) {
          const cleaned = args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : scrub(arg)));
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
  if (value instanceof Error) {
    return { type: value.name, message: redactSecrets(value.message), code: (value as { code?: unknown }).code };
  }
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = scrub(item, depth + 1);
  return out;
}

export function newRequestId(): string {
  return randomUUID().slice(0, 8);
}
