/**
 * The one typed configuration module. Settings come from the process environment,
 * with `.env` (through dotenv) filling in what the environment does not set.
 * Every problem is collected and reported at once, by setting name; so is what dotenv
 * would read from `.env` other than as written (see `envFileFindings`).
 *
 * Front-end specific settings (Slack, Discord) are optional here and demanded by
 * `requireSettings` when that front end starts, so `askdocs ask` never asks for a
 * Slack token.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import dotenv from 'dotenv';
import { z } from 'zod';
import { type EnvFileFindings, envFileFindings } from './env-file.ts';
import { AskdocsError } from './errors.ts';
import { cronPatternProblem, DEFAULT_DIGEST_CRON, isTimeZone } from './gaps/digest-cron.ts';
import { PACKAGE_ROOT } from './paths.ts';
import { credentialsInUrlError, milvusCredentialsProblem } from './url-credentials.ts';

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const optionalUrl = z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional());
const docsBaseUrl = optionalUrl.superRefine((url, ctx) => {
  const problem = url === undefined ? undefined : docsBaseUrlProblem(url);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

function parsedUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * Why an http(s) URL cannot be DOCS_BASE_URL (or `ingest --base-url`), if it cannot. A
 * link is this URL followed by the page's path: after a query or a fragment the path
 * is no longer a path (`/?lang=en/guide/install`), and a user name and password would
 * be stored in every link and shown in chat. Never echoes the URL, which may hold a password.
 */
export function docsBaseUrlProblem(value: string): string | undefined {
  const url = parsedUrl(value);
  if (!url) return undefined;
  // `href`, not `search` and `hash`: a bare `?` or `#` leaves those empty but is still in the link.
  const [beforeHash = '', ...fragment] = url.href.split('#');
  if (url.username || url.password) return 'must not contain a user name or password: every link would show them in chat';
  if (beforeHash.includes('?')) return 'must not have a query ("?…"): each link is this URL followed by the page\'s path';
  if (fragment.length > 0) return 'must not have a fragment ("#…"): each link is this URL followed by the page\'s path';
  const unknown = [...value.matchAll(/\{([^{}]*)\}/g)].map((m) => m[0]).filter((p) => p !== '{path}' && p !== '{id}');
  if (unknown.length > 0) return `has a placeholder askdocs does not fill: ${unknown.join(', ')} (a link template takes {path} and {id})`;
  return undefined;
}
/** The largest database index a Redis server can have (its `databases` setting is a C int). */
const MAX_REDIS_DB = 2_147_483_646;

/**
 * Why a value cannot be REDIS_URL, if it cannot: not a redis(s):// URL, or one the Redis client would
 * choke on only after Milvus and the model have loaded (a `%` that starts no
 * percent-escape in the user name or password), or would quietly read as database 0 (a
 * path that is not a number). Whether the server has that database is its own
 * configuration (16 by default): it says so when askdocs connects. Never echoes the password.
 */
export function redisUrlProblem(value: string): string | undefined {
  // Before parsing: a "#" in a password cuts the URL short, which then fails to parse.
  if (value.includes('#')) return 'has a "#", which ends a URL: in a password, write it as %23';
  const url = parsedUrl(value);
  if (!url || !/^rediss?:$/.test(url.protocol) || !url.hostname) return 'must be a redis:// or rediss:// URL (e.g. redis://redis:6379)';
  for (const part of [url.username, url.password]) {
    try {
      decodeURIComponent(part);
    } catch {
      return 'has a "%" in its user name or password that starts no percent-escape: write it as %25 (and @ : / ? # as %40 %3A %2F %3F %23)';
    }
  }
  const { db, inPath } = redisDatabaseOf(url);
  if (db !== null && db !== '' && !(/^\d{1,10}$/.test(db) && Number(db) <= MAX_REDIS_DB)) {
    const got = JSON.stringify(inPath ? `/${db}` : `db=${db}`);
    return `must end in a database number after the host, such as redis://redis:6379/0 (0 to 15 on a default Redis), or in none (database 0); got ${got}`;
  }
  return undefined;
}

/**
 * The database a Redis URL selects, as written: the Redis client takes it from the path,
 * or else from ?db= (null: neither, database 0).
 */
export function redisDatabaseOf(url: URL): { db: string | null; inPath: boolean } {
  const inPath = url.pathname !== '/' && url.pathname !== '';
  return { db: inPath ? url.pathname.slice(1) : url.searchParams.get('db'), inPath };
}

/**
 * A number from a string, within [min, max]. One plain message names the range and
 * what was given ("PORT: must be a whole number from 0 to 65535, got "abc""), where
 * zod's own would say "expected number, received NaN".
 */
const numberIn = (min: number, max: number, whole: boolean) =>
  z.unknown().transform((raw, ctx) => {
    const text = String(raw).trim();
    const value = Number(text);
    const fits = text !== '' && Number.isFinite(value) && (!whole || Number.isInteger(value)) && value >= min && value <= max;
    if (fits) return value;
    ctx.addIssue({
      code: 'custom',
      message: `must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  });
const int = (fallback: number, min: number, max: number) => z.preprocess(emptyToUndefined, numberIn(min, max, true).default(fallback));
const num = (fallback: number, min: number, max: number) => z.preprocess(emptyToUndefined, numberIn(min, max, false).default(fallback));
const csvList = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((value) =>
      value
        ? value
            .split(',')
            .map((item) => item.trim())
            .filter(Boolean)
        : [],
    ),
);

/** Slack channel ids: C… (public), G… (older private), D… (DM); uppercase letters and digits. */
const isSlackChannelId = (id: string) => /^[CGD][A-Z0-9]{2,}$/.test(id);
/** Discord ids (servers, channels, applications) are snowflakes: 64-bit numbers, written in decimal. */
const isDiscordId = (id: string) => /^\d{15,21}$/.test(id);

/**
 * An id setting, which must look like the platform's ids: a channel's #name or a
 * server's name would never match what the platform sends, so the bot would answer
 * nowhere. `what` says what an id looks like and where to find it.
 */
const idSetting = (accepts: (id: string) => boolean, what: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .superRefine((id, ctx) => {
        if (!accepts(id)) ctx.addIssue({ code: 'custom', message: `must be ${what}, got ${JSON.stringify(id)}` });
      })
      .optional(),
  );
/** A comma-separated list of ids, checked as `idSetting` checks one; the message names each that is not one. */
const idList = (accepts: (id: string) => boolean, what: string) =>
  csvList.superRefine((ids, ctx) => {
    const bad = ids.filter((id) => !accepts(id));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be ${what}, comma-separated, got ${bad.map((id) => JSON.stringify(id)).join(', ')}` });
    }
  });

/** The environment variables askdocs reads. `.env.example` documents each of them. */
export const envSchema = z.object({
  // Milvus
  MILVUS_URI: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .superRefine((uri, ctx) => {
        const target = milvusTarget(uri);
        if (target.mode === 'invalid') ctx.addIssue({ code: 'custom', message: target.problem });
      })
      .default('./data/milvus'),
  ),
  MILVUS_TOKEN: optionalString,
  MILVUS_COLLECTION: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}$/, 'must start with a letter or _ and hold only letters, digits and _')
      .default('askdocs'),
  ),
  MILVUS_LITE_START_TIMEOUT_MS: int(60_000, 1_000, 600_000),

  // LLM
  DEEPSEEK_API_KEY: optionalString,
  LLM_BASE_URL: z.preprocess(
    emptyToUndefined,
    z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).default('https://api.deepseek.com'),
  ),
  LLM_MODEL: z.preprocess(emptyToUndefined, z.string().default('deepseek-chat')),
  LLM_TIMEOUT_MS: int(60_000, 1_000, 600_000),
  LLM_TOTAL_TIMEOUT_MS: int(90_000, 1_000, 1_800_000),
  LLM_MAX_RETRIES: int(2, 0, 10),
  LLM_TEMPERATURE: num(0.2, 0, 2),
  LLM_MAX_TOKENS: int(1024, 16, 32_768),

  // Embeddings
  EMBEDDING_PROVIDER: z.preprocess(emptyToUndefined, z.enum(['local', 'openai']).default('local')),
  EMBEDDING_MODEL: optionalString,
  EMBEDDING_BASE_URL: optionalUrl,
  EMBEDDING_API_KEY: optionalString,
  EMBEDDING_BATCH_SIZE: int(32, 1, 2048),
  EMBEDDING_MODELS_DIR: optionalString,
  EMBEDDING_THREADS: z.preprocess(emptyToUndefined, numberIn(1, 256, true).optional()),

  // Ingest and retrieval
  DOCS_BASE_URL: docsBaseUrl,
  CHUNK_MAX_CHARS: int(1600, 200, 16_000),
  CHUNK_OVERLAP_CHARS: int(200, 0, 4_000),
  INGEST_MAX_FILE_MB: num(5, 0.001, 1_024),
  RETRIEVAL_TOP_K: int(5, 1, 50),
  RERANKER: z.preprocess(emptyToUndefined, z.enum(['features', 'off']).default('features')),
  RERANK_CANDIDATES: int(50, 5, 500),
  ABSTAIN_THRESHOLD: z.preprocess(emptyToUndefined, numberIn(-1, 1, false).optional()),

  // Chat front ends
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: optionalUrl,
  SLACK_ALLOWED_CHANNELS: idList(
    isSlackChannelId,
    "Slack channel ids, not #names (C0123ABCD: open the channel's details, the id is at the bottom)",
  ),
  // The Slack assistant pane's suggested questions: up to 4, separated by |; `off` for none; unset: from the docs' titles.
  SLACK_SUGGESTED_PROMPTS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .transform((value) => (/^\s*off\s*$/i.test(value) ? [] : value.split('|').map((prompt) => prompt.trim())))
      .refine((prompts) => prompts.length <= 4, 'at most 4 prompts (Slack shows 4), separated by |')
      .refine((prompts) => prompts.every((prompt) => prompt.length >= 1 && prompt.length <= 500), 'each prompt 1 to 500 characters')
      .optional(),
  ),
  PORT: int(3000, 0, 65_535),
  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: idSetting(
    isDiscordId,
    'the application id (a number of 15 to 21 digits: Developer Portal → your application → General Information → Application ID)',
  ),
  DISCORD_GUILD_ID: idSetting(
    isDiscordId,
    'a server id, not its name (a number of 15 to 21 digits: right-click the server → Copy Server ID, with Developer Mode on)',
  ),
  DISCORD_API_URL: optionalUrl,
  DISCORD_ALLOWED_CHANNELS: idList(
    isDiscordId,
    'Discord channel ids, not #names (numbers of 15 to 21 digits: right-click the channel → Copy Channel ID, with Developer Mode on)',
  ),
  // Forum channels whose new posts are answered without a mention.
  DISCORD_FORUM_CHANNELS: idList(isDiscordId, 'forum channel ids (numbers of 15 to 21 digits: right-click the forum → Copy Channel ID)'),
  // Discord gateway sharding: how many shards the bot has in all, and which this process runs.
  SHARD_COUNT: z.preprocess(
    (value) => (typeof value === 'string' ? emptyToUndefined(value.trim().toLowerCase()) : value),
    z
      .string()
      .regex(/^(auto|[1-9]\d{0,4})$/, 'must be a whole number of at least 1, or auto')
      .optional(),
  ),
  SHARD_IDS: csvList,
  USER_MAX_CONCURRENT: int(1, 1, 100),
  USER_QUESTIONS_PER_MINUTE: int(6, 1, 10_000),
  CHANNEL_MAX_CONCURRENT: int(4, 1, 1_000),

  // Operations
  // A file path (SQLite), or `redis` for the shared Redis (the default when REDIS_URL is set).
  FEEDBACK_DB: z.preprocess(
    emptyToUndefined,
    z
      .string()
      // A URL would become a SQLite file named after it (password included), one per replica.
      .refine((value) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim()), 'set it to redis (with REDIS_URL) or to a file path, not a URL')
      .optional(),
  ),
  REDIS_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .superRefine((url, ctx) => {
        const problem = redisUrlProblem(url);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
  ),
  HEALTH_PORT: int(8080, 0, 65_535),
  BIND_ADDRESS: z.preprocess(
    emptyToUndefined,
    z.union([z.ipv4(), z.ipv6(), z.literal('localhost')], { message: 'must be an IP address (e.g. 127.0.0.1) or localhost' }).optional(),
  ),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  SHUTDOWN_TIMEOUT_MS: int(20_000, 0, 600_000),

  // Question log and coverage gaps
  QUESTION_LOG: z.preprocess(
    (value) => (typeof value === 'string' ? emptyToUndefined(value.trim().toLowerCase()) : value),
    z.enum(['on', 'off']).default('on'),
  ),
  QUESTION_LOG_RETENTION_DAYS: int(90, 1, 3_650),
  QUESTION_LOG_SALT: optionalString,
  GAPS_LOW_RELEVANCE: z.preprocess(emptyToUndefined, numberIn(-1, 1, false).optional()),
  GAPS_CLUSTER_DISTANCE: num(0.6, 0.05, 1.5),
  GAPS_DIGEST_CHANNEL: idSetting(
    (id) => isSlackChannelId(id) || isDiscordId(id),
    'a channel id: a Slack one (C0123ABCD, from the channel\'s details) or a Discord one (a number, from "Copy Channel ID"), not its #name',
  ),
  GAPS_DIGEST_CRON: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .superRefine((pattern, ctx) => {
        const problem = cronPatternProblem(pattern);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
  ),
  GAPS_DIGEST_TIMEZONE: z.preprocess(
    emptyToUndefined,
    z.string().trim().refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin, America/New_York or UTC').optional(),
  ),
  GAPS_DIGEST_DAYS: int(7, 1, 90),
});

export type Env = z.infer<typeof envSchema>;
export type SettingName = keyof Env;

const DEFAULT_LOCAL_EMBEDDING_MODEL = 'all-MiniLM-L6-v2-int8';
const DEFAULT_FEEDBACK_DB = './data/feedback.sqlite';

export interface Config {
  env: Env;
  milvus: {
    /** `lite` when MILVUS_URI is a local path: askdocs runs the embedded Milvus Lite engine itself. */
    mode: 'lite' | 'server';
    uri: string;
    /** Absolute data folder of the embedded engine (mode `lite` only). */
    dataDir?: string;
    token?: string;
    collection: string;
    startTimeoutMs: number;
  };
  llm: {
    apiKey?: string;
    baseURL: string;
    model: string;
    timeoutMs: number;
    /** Budget for the answer to start, across all attempts and retry waits (LLM_TOTAL_TIMEOUT_MS). */
    totalTimeoutMs: number;
    maxRetries: number;
    temperature: number;
    maxTokens: number;
  };
  embedding: {
    provider: 'local' | 'openai';
    model: string;
    baseURL?: string;
    apiKey?: string;
    batchSize: number;
    modelsDir: string;
    /** CPU threads for a local model (EMBEDDING_THREADS); unset: ONNX Runtime's default. */
    threads?: number;
  };
  /** maxFileBytes: INGEST_MAX_FILE_MB in bytes; larger files are skipped with a warning. */
  ingest: { docsBaseUrl?: string; chunkMaxChars: number; chunkOverlapChars: number; maxFileBytes: number };
  retrieval: {
    topK: number;
    /** Candidates per search handed to the reranker (and to RRF when it is off). */
    candidates: number;
    reranker: 'features' | 'off';
    abstainThreshold: number;
  };
  slack: {
    botToken?: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl?: string;
    allowedChannels: string[];
    port: number;
    /** SLACK_SUGGESTED_PROMPTS: [] for none; undefined: drawn from the docs' titles. */
    suggestedPrompts?: string[];
  };
  discord: {
    token?: string;
    applicationId?: string;
    guildId?: string;
    apiUrl?: string;
    allowedChannels: string[];
    /** DISCORD_FORUM_CHANNELS: every new post in these forums is answered in its own thread. */
    forumChannels: string[];
    /**
     * Gateway sharding (SHARD_COUNT, SHARD_IDS); undefined: one shard, as before.
     * `ids` are the shards this process runs (default: all of them).
     */
    sharding?: { count: number | 'auto'; ids?: number[] };
  };
  limits: { userMaxConcurrent: number; userQuestionsPerMinute: number; channelMaxConcurrent: number };
  /** REDIS_URL: set when replicas share state (dedupe, limits, thread memory, feedback) in Redis. */
  redis?: { url: string };
  /** Where feedback lives: a SQLite file (one replica) or the shared Redis (FEEDBACK_DB=redis). */
  feedbackStore: 'sqlite' | 'redis';
  /** The SQLite file when feedbackStore is 'sqlite' (absolute). */
  feedbackDb: string;
  healthPort: number;
  /** BIND_ADDRESS: the interface PORT and HEALTH_PORT listen on; undefined means all interfaces. */
  bindAddress?: string;
  logLevel: Env['LOG_LEVEL'];
  shutdownTimeoutMs: number;
  questionLog: {
    enabled: boolean;
    /** `<MILVUS_COLLECTION>_questions`, next to the chunks. */
    collection: string;
    retentionDays: number;
    /** Mixed into the hash of user ids, so hashes cannot be matched to ids without it. */
    salt: string;
  };
  gaps: {
    /** A logged answer whose best relevance is below this counts as a gap even when it did not abstain. */
    lowRelevance: number;
    /** Average-linkage cut height, in cosine distance (1 - cosine), for clustering gap questions. */
    clusterDistance: number;
    /** The weekly digest in chat; undefined when GAPS_DIGEST_CHANNEL is not set (off). */
    digest?: GapsDigestConfig;
  };
}

export interface GapsDigestConfig {
  channel: string;
  /** Told by the id's shape: only that platform's bot posts the digest. */
  platform: 'slack' | 'discord';
  cron: string;
  timezone?: string;
  /** The digest covers questions asked in this many days before it is posted. */
  windowDays: number;
}

export class ConfigError extends AskdocsError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('config', `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Settings a command cannot run without (e.g. the Slack tokens for `askdocs slack`). */
export interface Requirement {
  names: SettingName[];
  /** Ends "required for …": what needs them, e.g. "the Slack bot (askdocs slack)". */
  purpose: string;
}

export interface LoadConfigOptions {
  /** Defaults to `.env` in the working directory; `false` skips the file (tests). */
  envFile?: string | false;
  cwd?: string;
  /** The running command's own settings, reported missing with every other problem. */
  require?: Requirement;
  /**
   * Told what in `.env` looks like a mistake but may be another tool's (a name close to a
   * setting's, a line dotenv skips); default: one line each on stderr.
   */
  onWarning?: (warning: string) => void;
}

const MILVUS_URI_ACCEPTS =
  'must be a local folder for the embedded Milvus Lite (e.g. ./data/milvus) or a server address starting http:// or https:// (e.g. http://milvus:19530)';

/**
 * The one rule for MILVUS_URI: http(s):// names a server (the SDK speaks gRPC to it;
 * https means TLS); a path is the embedded engine's data folder. Anything else would
 * silently become a folder (./ftp:/host:19530/) or a server the SDK cannot resolve
 * (grpc://, tcp://), so it is refused: another scheme, or host:port without one.
 * A path's first segment may not hold a ":" (./name:with:colons is a folder).
 */
export function milvusTarget(uri: string): { mode: 'server' | 'lite' } | { mode: 'invalid'; problem: string } {
  // Shown in the message: without any user:password@ it may carry, with a scheme or without.
  const shown = JSON.stringify(uri.replace(/^((?:[^/]*\/\/)?)[^/@]*@/, '$1…@'));
  if (/^https?:\/\//i.test(uri)) {
    const server = serverAddress(uri);
    return server
      ? { mode: 'server' }
      : {
          mode: 'invalid',
          problem: `must be a server address such as http://milvus:19530 (a host, an optional port, no path), got ${shown}`,
        };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(?:[^/@]*@)?([^/]*)/i.exec(uri);
  if (scheme) {
    const [, name = '', host = ''] = scheme;
    // Milvus' own gRPC port under another name: the same server, addressed the way the SDK understands.
    const secure = /^grpcs$/i.test(name);
    const hint = /^(grpcs?|tcp)$/i.test(name) ? `; for that server, write ${secure ? 'https' : 'http'}://${host}` : '';
    return { mode: 'invalid', problem: `${MILVUS_URI_ACCEPTS}, got ${shown}${hint}` };
  }
  const first = uri.split(/[\\/]/)[0] ?? '';
  // A drive letter (C:\data) is a path.
  if (first.includes(':') && !/^[a-z]:$/i.test(first)) {
    const hostPort = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\]):\d{1,5}$/i.test(first);
    const hint = hostPort ? `; for a server there, write http://${uri}` : ' (for a folder whose name holds ":", start it with ./)';
    return { mode: 'invalid', problem: `${MILVUS_URI_ACCEPTS}, got ${shown}${hint}` };
  }
  return { mode: 'lite' };
}

/**
 * An http(s) MILVUS_URI as the Milvus SDK takes it: scheme in lower case, no trailing
 * slash (the SDK reads "HTTP://" and "host:19530/" as part of a host name to resolve);
 * undefined when it has no host, or a path, which no Milvus server address has.
 */
export function serverAddress(uri: string): string | undefined {
  const url = parsedUrl(uri);
  if (!url) return undefined;
  if (!url.hostname || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return undefined;
  // Rebuilt from the text, not from URL: URL drops a port it thinks is the default (:443).
  return uri.replace(/^https?:/i, (scheme) => scheme.toLowerCase()).replace(/\/+$/, '');
}

/** True when a MILVUS_URI names a server rather than a local Milvus Lite data directory. */
export function isServerUri(uri: string): boolean {
  return milvusTarget(uri).mode === 'server';
}

/** The text of the `.env` file (read once: dotenv parses it, envFileFindings checks it), or undefined when there is none. */
function readEnvFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError([`.env: ${(error as Error).message}`]);
  }
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const fromFile: Record<string, string> = {};
  let fileFindings: EnvFileFindings = { problems: new Map(), warnings: [] };
  if (options.envFile !== false) {
    const path = options.envFile ?? resolve(cwd, '.env');
    const content = readEnvFile(path);
    if (content !== undefined) {
      Object.assign(fromFile, dotenv.parse(content));
      fileFindings = envFileFindings(content, environment, new Set(Object.keys(envSchema.shape)));
    }
  }
  const warn = options.onWarning ?? ((warning: string) => process.stderr.write(`askdocs: warning: ${warning}\n`));
  for (const warning of fileFindings.warnings) warn(warning);
  // The real environment wins over .env, as with dotenv's default behaviour.
  const parsed = parseSettings({ ...fromFile, ...environment });
  const { env, invalid } = parsed;
  // A value .env cut short is reported as that, not as whatever the rest of it fails.
  const problems = parsed.problems.filter((problem) => !fileFindings.problems.has(problem.slice(0, problem.indexOf(':'))));
  for (const [name, problem] of fileFindings.problems) {
    problems.push(problem);
    if (name in envSchema.shape) invalid.add(name as SettingName);
  }
  // A check reads only settings that parsed: one already reported as invalid would
  // add a second, misleading problem (e.g. "required" for a malformed URL).
  const valid = (...names: SettingName[]) => names.every((name) => !invalid.has(name));

  if (valid('EMBEDDING_PROVIDER') && env.EMBEDDING_PROVIDER === 'openai') {
    problems.push(...missingSettings(env, ['EMBEDDING_BASE_URL', 'EMBEDDING_MODEL'], 'when EMBEDDING_PROVIDER=openai', invalid));
  }
  // Checked here too, not only by the clients at first use, so it is listed with the rest.
  for (const [name, keyName] of [
    ['LLM_BASE_URL', 'DEEPSEEK_API_KEY'],
    ['EMBEDDING_BASE_URL', 'EMBEDDING_API_KEY'],
  ] as const) {
    const url = env[name];
    const refused = url && valid(name) ? credentialsInUrlError(url, name, keyName) : undefined;
    if (refused) problems.push(`${name}: ${refused.userMessage.replace(`${name} contains`, 'contains')}`);
  }
  const milvusCredentials = valid('MILVUS_URI', 'MILVUS_TOKEN') ? milvusCredentialsProblem(env.MILVUS_URI, env.MILVUS_TOKEN) : undefined;
  if (milvusCredentials) problems.push(milvusCredentials.replace(/^MILVUS_URI /, 'MILVUS_URI: '));
  if (valid('CHUNK_OVERLAP_CHARS', 'CHUNK_MAX_CHARS') && env.CHUNK_OVERLAP_CHARS >= env.CHUNK_MAX_CHARS) {
    problems.push('CHUNK_OVERLAP_CHARS: must be smaller than CHUNK_MAX_CHARS');
  }
  if (valid('GAPS_DIGEST_CHANNEL')) {
    if (env.GAPS_DIGEST_CRON && !env.GAPS_DIGEST_CHANNEL) {
      problems.push('GAPS_DIGEST_CRON: set GAPS_DIGEST_CHANNEL too (the digest is off without a channel)');
    }
    if (env.GAPS_DIGEST_TIMEZONE && !env.GAPS_DIGEST_CHANNEL) {
      problems.push('GAPS_DIGEST_TIMEZONE: set GAPS_DIGEST_CHANNEL too (the digest is off without a channel)');
    }
  }
  const sharding = valid('SHARD_COUNT', 'SHARD_IDS') ? shardingOf(env, problems) : undefined;
  const allowed = env.DISCORD_ALLOWED_CHANNELS;
  const strayForums = env.DISCORD_FORUM_CHANNELS.filter((id) => allowed.length > 0 && !allowed.includes(id));
  if (valid('DISCORD_FORUM_CHANNELS', 'DISCORD_ALLOWED_CHANNELS') && strayForums.length > 0) {
    problems.push(`DISCORD_FORUM_CHANNELS: ${strayForums.join(', ')} not in DISCORD_ALLOWED_CHANNELS (the bot answers only there)`);
  }
  // With REDIS_URL, feedback defaults to Redis too: replicas must not each keep their own file.
  const feedbackStore = (env.FEEDBACK_DB ?? (env.REDIS_URL ? 'redis' : '')).toLowerCase() === 'redis' ? 'redis' : 'sqlite';
  if (valid('REDIS_URL') && feedbackStore === 'redis' && !env.REDIS_URL) {
    problems.push('FEEDBACK_DB: "redis" needs REDIS_URL (or set FEEDBACK_DB to a SQLite file path)');
  }
  if (options.require) problems.push(...missingSettings(env, options.require.names, `for ${options.require.purpose}`, invalid));
  if (problems.length > 0) throw new ConfigError(problems);

  const server = isServerUri(env.MILVUS_URI);
  // Each relevance signal has its own calibrated default: the reranker's score
  // (0.40) and, with RERANKER=off, the best cosine similarity (0.42).
  const abstainThreshold = env.ABSTAIN_THRESHOLD ?? (env.RERANKER === 'off' ? 0.42 : 0.4);
  const fromRoot = (p: string) => (isAbsolute(p) ? p : resolve(PACKAGE_ROOT, p));
  const fromCwd = (p: string) => {
    // A shell expands ~ on a command line, but not in .env or a quoted value: a folder
    // literally named "~" would appear in the working directory instead.
    const path = /^~(?=$|[\\/])/.test(p) ? join(homedir(), p.slice(1)) : p;
    return isAbsolute(path) ? path : resolve(cwd, path);
  };

  return {
    env,
    milvus: {
      mode: server ? 'server' : 'lite',
      uri: server ? (serverAddress(env.MILVUS_URI) ?? env.MILVUS_URI) : env.MILVUS_URI,
      dataDir: server ? undefined : fromCwd(env.MILVUS_URI),
      token: env.MILVUS_TOKEN,
      collection: env.MILVUS_COLLECTION,
      startTimeoutMs: env.MILVUS_LITE_START_TIMEOUT_MS,
    },
    llm: {
      apiKey: env.DEEPSEEK_API_KEY,
      baseURL: env.LLM_BASE_URL,
      model: env.LLM_MODEL,
      timeoutMs: env.LLM_TIMEOUT_MS,
      totalTimeoutMs: env.LLM_TOTAL_TIMEOUT_MS,
      maxRetries: env.LLM_MAX_RETRIES,
      temperature: env.LLM_TEMPERATURE,
      maxTokens: env.LLM_MAX_TOKENS,
    },
    embedding: {
      provider: env.EMBEDDING_PROVIDER,
      model: env.EMBEDDING_MODEL ?? DEFAULT_LOCAL_EMBEDDING_MODEL,
      baseURL: env.EMBEDDING_BASE_URL,
      apiKey: env.EMBEDDING_API_KEY,
      batchSize: env.EMBEDDING_BATCH_SIZE,
      modelsDir: fromRoot(env.EMBEDDING_MODELS_DIR ?? 'models'),
      threads: env.EMBEDDING_THREADS,
    },
    ingest: {
      docsBaseUrl: env.DOCS_BASE_URL,
      chunkMaxChars: env.CHUNK_MAX_CHARS,
      chunkOverlapChars: env.CHUNK_OVERLAP_CHARS,
      maxFileBytes: Math.round(env.INGEST_MAX_FILE_MB * 1024 * 1024),
    },
    retrieval: {
      topK: env.RETRIEVAL_TOP_K,
      candidates: env.RERANK_CANDIDATES,
      reranker: env.RERANKER,
      abstainThreshold,
    },
    slack: {
      botToken: env.SLACK_BOT_TOKEN,
      signingSecret: env.SLACK_SIGNING_SECRET,
      appToken: env.SLACK_APP_TOKEN,
      apiUrl: env.SLACK_API_URL,
      allowedChannels: env.SLACK_ALLOWED_CHANNELS,
      port: env.PORT,
      suggestedPrompts: env.SLACK_SUGGESTED_PROMPTS,
    },
    discord: {
      token: env.DISCORD_TOKEN,
      applicationId: env.DISCORD_APPLICATION_ID,
      guildId: env.DISCORD_GUILD_ID,
      apiUrl: env.DISCORD_API_URL,
      allowedChannels: env.DISCORD_ALLOWED_CHANNELS,
      forumChannels: env.DISCORD_FORUM_CHANNELS,
      sharding,
    },
    limits: {
      userMaxConcurrent: env.USER_MAX_CONCURRENT,
      userQuestionsPerMinute: env.USER_QUESTIONS_PER_MINUTE,
      channelMaxConcurrent: env.CHANNEL_MAX_CONCURRENT,
    },
    redis: env.REDIS_URL ? { url: env.REDIS_URL } : undefined,
    feedbackStore,
    feedbackDb: fromCwd(feedbackStore === 'sqlite' && env.FEEDBACK_DB ? env.FEEDBACK_DB : DEFAULT_FEEDBACK_DB),
    healthPort: env.HEALTH_PORT,
    bindAddress: env.BIND_ADDRESS,
    logLevel: env.LOG_LEVEL,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    questionLog: {
      enabled: env.QUESTION_LOG === 'on',
      collection: `${env.MILVUS_COLLECTION}_questions`,
      retentionDays: env.QUESTION_LOG_RETENTION_DAYS,
      salt: env.QUESTION_LOG_SALT ?? '',
    },
    gaps: {
      // Just above the abstention threshold: answered, but barely.
      lowRelevance: env.GAPS_LOW_RELEVANCE ?? abstainThreshold + 0.05,
      clusterDistance: env.GAPS_CLUSTER_DISTANCE,
      digest: env.GAPS_DIGEST_CHANNEL
        ? {
            channel: env.GAPS_DIGEST_CHANNEL,
            platform: isDiscordId(env.GAPS_DIGEST_CHANNEL) ? 'discord' : 'slack',
            cron: env.GAPS_DIGEST_CRON ?? DEFAULT_DIGEST_CRON,
            timezone: env.GAPS_DIGEST_TIMEZONE,
            windowDays: env.GAPS_DIGEST_DAYS,
          }
        : undefined,
    },
  };
}

function shardingOf(env: Env, problems: string[]): Config['discord']['sharding'] {
  if (!env.SHARD_COUNT) {
    if (env.SHARD_IDS.length > 0) problems.push('SHARD_IDS: needs SHARD_COUNT (the total number of shards)');
    return undefined;
  }
  const count = env.SHARD_COUNT === 'auto' ? 'auto' : Number(env.SHARD_COUNT);
  if (env.SHARD_IDS.length === 0) return { count };
  if (count === 'auto') {
    problems.push('SHARD_IDS: needs a number in SHARD_COUNT, not auto (each process must know the total)');
    return undefined;
  }
  const ids = env.SHARD_IDS.map(Number);
  const bad = env.SHARD_IDS.filter((id, i) => !/^\d+$/.test(id) || (ids[i] as number) >= count);
  if (bad.length > 0) {
    problems.push(`SHARD_IDS: ${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} not a shard id from 0 to ${count - 1}`);
    return undefined;
  }
  return { count, ids: [...new Set(ids)] };
}

/**
 * Each setting parsed on its own, so one bad value does not hide the checks that
 * span settings or the command's required ones: those run on the settings that parsed.
 * A setting that failed holds its default (or undefined) and is listed in `invalid`.
 */
function parseSettings(merged: Record<string, string | undefined>): { env: Env; problems: string[]; invalid: Set<SettingName> } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  const invalid = new Set<SettingName>();
  for (const [name, schema] of Object.entries(envSchema.shape)) {
    const result = schema.safeParse(merged[name]);
    if (result.success) {
      values[name] = result.data;
    } else {
      invalid.add(name as SettingName);
      problems.push(...result.error.issues.map((issue) => `${name}: ${issue.message}`));
      values[name] = schema.safeParse(undefined).data;
    }
  }
  return { env: values as Env, problems, invalid };
}

/** "NAME: required <why>" for each of `names` that is unset (or an empty list), except those already reported as invalid. */
function missingSettings(env: Env, names: SettingName[], why: string, invalid: ReadonlySet<SettingName> = new Set()): string[] {
  return names
    .filter((name) => {
      const value = env[name];
      return !invalid.has(name) && (value === undefined || (Array.isArray(value) && value.length === 0));
    })
    .map((name) => `${name}: required ${why}`);
}

/**
 * Demands settings that one front end needs (e.g. the Slack tokens), naming every
 * missing one in a single error. Commands pass them to `loadConfig` instead, so they
 * are reported together with every other problem; this is for code handed a Config.
 */
export function requireSettings(config: Config, names: SettingName[], purpose: string): void {
  const missing = missingSettings(config.env, names, `for ${purpose}`);
  if (missing.length > 0) throw new ConfigError(missing);
}
