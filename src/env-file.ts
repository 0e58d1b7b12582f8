/**
 * What dotenv reads from a `.env` file other than as written, found in the raw text so
 * config.ts can report it with every other problem (parsing itself stays with dotenv).
 */
import { distance } from 'fastest-levenshtein';

export interface EnvFileFindings {
  /** By setting name: a problem with one of askdocs' own settings. */
  problems: Map<string, string>;
  /** What may be another tool's: a line dotenv skips, a name close to a setting's. */
  warnings: string[];
}

/**
 * What dotenv reads other than as written, silently: an unquoted value it cuts at a "#"
 * (`SLACK_ALLOWED_CHANNELS=#general` is empty to it, `MILVUS_TOKEN=root:pa#ss` is
 * `root:pa`), a line that is not NAME=value (skipped), and a name askdocs does not read
 * that is close to one it does (`SLACK_ALLOWED_CHANNEL`). Only askdocs' own settings are
 * problems: a shared .env may hold other tools' variables, so the rest are warnings.
 * The lines are read as dotenv reads them (`export NAME=`, `NAME: value`, quoted values
 * over several lines). Values are never quoted back: they may be secrets.
 */
export function envFileFindings(text: string, environment: NodeJS.ProcessEnv, known: ReadonlySet<string>): EnvFileFindings {
  const findings: EnvFileFindings = { problems: new Map(), warnings: [] };
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const lineNo = i + 1;
    if (/^\s*(#|$)/.test(line)) continue;
    const entry = /^\s*(?:export\s+)?([\w.-]+)(?:\s*=|:\s)(.*)$/.exec(line);
    if (!entry) {
      const bare = /^\s*(?:export\s+)?([\w.-]+)\s*$/.exec(line)?.[1];
      if (bare && known.has(bare)) {
        findings.problems.set(bare, `${bare}: .env line ${lineNo} has no "=", so it is skipped: write ${bare}=value`);
      } else {
        findings.warnings.push(`.env line ${lineNo} is not NAME=value, a comment or a blank line; it is skipped`);
      }
      continue;
    }
    const [, name = '', rest = ''] = entry;
    const value = rest.trimStart();
    const quote = value[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      // A quoted value runs to its closing quote, on this line or a later one.
      const closing = closingQuoteLine(lines, i, line.length - value.length + 1, quote);
      if (closing !== undefined) i = closing;
    } else if (known.has(name) && environment[name] === undefined && cutAtHash(rest)) {
      findings.problems.set(
        name,
        `${name}: in .env (line ${lineNo}) an unquoted "#" starts a comment, so the value was cut there: put it in quotes, ${name}="…"`,
      );
    }
    if (!known.has(name)) {
      const meant = likelyMeant(name, known);
      if (meant) {
        findings.warnings.push(`.env line ${lineNo}: ${name} is not an askdocs setting and is ignored; did you mean ${meant}?`);
      }
    }
  }
  return findings;
}

/** True when dotenv ends an unquoted value at its first "#": right after "=", or inside the value (after a space it is a comment). */
function cutAtHash(rest: string): boolean {
  const hash = rest.indexOf('#');
  if (hash < 0) return false;
  const before = rest.slice(0, hash);
  return before.trim() === '' ? hash === 0 : !/\s$/.test(before);
}

/** The line on which a value opened by `quote` (at `column` of line `start`) closes, as dotenv reads it (`\"` does not close). */
function closingQuoteLine(lines: string[], start: number, column: number, quote: string): number | undefined {
  for (let i = start, from = column; i < lines.length; i++, from = 0) {
    const line = lines[i] ?? '';
    for (let c = from; c < line.length; c++) {
      if (line[c] === '\\' && line[c + 1] === quote) c++;
      else if (line[c] === quote) return i;
    }
  }
  return undefined;
}

/**
 * The setting a name that askdocs does not read was probably meant to be: the same in
 * another case, with an ASKDOCS_ prefix, or a typo away (one edit in a short name, two
 * in a longer one). Undefined for a name unrelated to askdocs.
 */
function likelyMeant(name: string, known: ReadonlySet<string>): string | undefined {
  const upper = name.toUpperCase();
  const unprefixed = upper.replace(/^ASKDOCS_/, '');
  if (known.has(unprefixed)) return unprefixed;
  let best: { name: string; edits: number } | undefined;
  for (const candidate of known) {
    const edits = distance(unprefixed, candidate);
    const allowed = candidate.length >= 8 ? 2 : 1;
    if (edits <= allowed && (!best || edits < best.edits)) best = { name: candidate, edits };
  }
  return best?.name;
}
