/**
 * The digest's schedule as settings describe it: a cron pattern (croner) read in an
 * optional IANA time zone. Checked when the config loads, so a typo is reported with
 * every other setting instead of when the bot should have posted.
 */
import { Cron } from 'croner';

/** Monday 09:00: the start of most teams' week, when a docs team plans. */
export const DEFAULT_DIGEST_CRON = '0 9 * * 1';

export interface DigestCron {
  pattern: string;
  /** IANA name (e.g. Europe/Berlin); undefined reads the pattern in the server's local time. */
  timezone?: string;
}

/** Classic 5-field cron, or 6 with seconds (for tests and the impatient); no year field. */
const MODE = '5-or-6-parts';

/** What is wrong with a cron pattern, for the config report; undefined when it is fine. */
export function cronPatternProblem(pattern: string): string | undefined {
  let job: Cron | undefined;
  try {
    // Read in UTC here: whether a pattern ever fires does not depend on the zone.
    job = new Cron(pattern, { paused: true, timezone: 'UTC', mode: MODE });
    return job.nextRun() ? undefined : 'never fires';
  } catch (error) {
    return `is not a cron pattern (${(error as Error).message}); e.g. "0 9 * * 1" is Mondays at 09:00`;
  } finally {
    job?.stop();
  }
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` on the schedule, one run at a time (a slow run makes the next one skip, not pile up). */
export function scheduleDigest(cron: DigestCron, fn: () => Promise<void>): Cron {
  return new Cron(cron.pattern, { timezone: cron.timezone, mode: MODE, protect: true }, fn);
}
