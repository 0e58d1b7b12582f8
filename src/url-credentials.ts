/**
 * URLs from the configuration (MILVUS_URI, LLM_BASE_URL, EMBEDDING_BASE_URL,
 * REDIS_URL) may carry a user name and password: `http://user:secret@host`. Messages
 * name a service by its host only, and clients get credentials the way they accept
 * them (the Milvus SDK as username/password), never inside the URL: the Milvus SDK
 * would take `user:secret@host` for a host name and echo it in its error, and fetch
 * refuses such a URL with an error that quotes it.
 */
import { AskdocsError } from './errors.ts';

export interface UrlCredentials {
  username: string;
  password: string;
}

/** A URL without a scheme (`host:port`, as Milvus addresses are often written) parses as one with a neutral scheme. */
function parse(url: string): URL | undefined {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `tcp://${url}`);
  } catch {
    return undefined;
  }
}

/** `host:port` of a URL, without the credentials it may carry; undefined when it names no host. */
export function hostOf(url: string): string | undefined {
  return parse(url)?.host || undefined;
}

/** The user name and password a URL carries (percent-decoded), if any. */
export function credentialsOf(url: string): UrlCredentials | undefined {
  const parsed = parse(url);
  if (!parsed || (!parsed.username && !parsed.password)) return undefined;
  return { username: safeDecode(parsed.username), password: safeDecode(parsed.password) };
}

/** The URL as written, minus its `user:password@`. */
export function withoutCredentials(url: string): string {
  const userinfo = userinfoOf(url);
  return userinfo === undefined ? url : url.replace(`${userinfo}@`, '');
}

/** The raw `user:password` between `scheme://` and the host (the last `@` of the authority, as URL parsers read it). */
function userinfoOf(url: string): string | undefined {
  const authority = /^(?:[a-z][a-z0-9+.-]*:\/\/)?([^/?#]*)/i.exec(url)?.[1] ?? '';
  const at = authority.lastIndexOf('@');
  return at < 0 ? undefined : authority.slice(0, at);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The error for an HTTP base URL with credentials (undefined when it has none): fetch
 * refuses such a URL, so no request would ever leave; saying so beats "connection error".
 */
export function credentialsInUrlError(url: string, variable: string, keyVariable: string): AskdocsError | undefined {
  if (!credentialsOf(url)) return undefined;
  return new AskdocsError(
    'config',
    `${variable} contains a user name or password, which askdocs cannot send (HTTP clients refuse credentials in a URL). ` +
      `Remove them from the URL; an API key goes in ${keyVariable}.`,
  );
}

/**
 * What is wrong with Milvus credentials given in MILVUS_URI (user:password@host) beside
 * MILVUS_TOKEN, or undefined. The SDK sends user name and password only as a pair: one
 * alone would be dropped silently; and with a token too it is unclear which one counts.
 */
export function milvusCredentialsProblem(uri: string, token: string | undefined): string | undefined {
  const credentials = credentialsOf(uri);
  if (!credentials) return undefined;
  if (!(credentials.username && credentials.password)) {
    return 'MILVUS_URI needs both a user name and a password (user:password@host), or an API key in MILVUS_TOKEN.';
  }
  if (token) return 'MILVUS_URI carries a user name and password and MILVUS_TOKEN is set too: use one of them.';
  return undefined;
}
