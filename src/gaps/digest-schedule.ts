/**
 * Posts the gaps digest on GAPS_DIGEST_CRON from a running bot. The bot supplies only
 * a `DigestChannel` ("post this digest to channel X", rendered its own way); building
 * the report, the schedule, logging and shutdown are here, the same for every platform.
 *
 * A digest that fails (Milvus down, the platform refusing the post) is logged as one
 * structured line with a request id and waits for the next run: it never throws into
 * the bot. Shutdown stops the schedule when draining starts and waits for a digest
 * that is being posted, like an answer in flight.
 */
import type { Cron } from 'croner';
import type { GapsDigestConfig } from '../config.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { type Logger, newRequestId } from '../logger.ts';
import { type Digest, digestFromReport } from './digest.ts';
import { scheduleDigest } from './digest-cron.ts';
import type { GapsReport } from './report.ts';
import type { ThreadLinkOptions } from './thread-links.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A gap is a topic asked about at least twice, as in `askdocs gaps`. */
const MIN_CLUSTER_SIZE = 2;

/** What a platform gives the digest: where links point, and how to post. */
export interface DigestChannel {
  platform: 'slack' | 'discord';
  /** Options for thread links (Slack: its workspace URL); called once per digest. */
  linkOptions?(): Promise<ThreadLinkOptions>;
  post(channel: string, digest: Digest): Promise<void>;
}

export type DigestOutcome = { ok: true; requestId: string; digest: Digest } | { ok: false; requestId: string; error: unknown };

export interface DigestJob {
  /** Builds and posts one digest now (the schedule calls this); never throws. */
  run(): Promise<DigestOutcome>;
  /** When the schedule fires next; null once stopped. */
  nextRun(): Date | null;
  stop(): void;
}

export interface DigestJobDeps {
  digest: GapsDigestConfig;
  channel: DigestChannel;
  /** Builds the gaps report for questions asked since `since` (src/gaps/load.ts in the bots). */
  report(options: { sinceMs: number; minSize: number; now: Date }): Promise<GapsReport>;
  logger: Logger;
  /**
   * Claims one scheduled run (src/state/claims.ts): with several replicas, each runs the
   * schedule and only the first to claim a run posts it. Without it, every run posts.
   */
  claim?(key: string): Promise<boolean>;
  /** Shutdown waits for a digest in progress; omitted in tests that drive `run()`. */
  lifecycle?: Pick<Lifecycle, 'track' | 'onDrain'>;
  now?: () => Date;
}

/** Schedules the digest on its cron. */
export function startDigestJob(deps: DigestJobDeps): DigestJob {
  const { digest: settings, channel, logger } = deps;
  const now = deps.now ?? (() => new Date());

  async function run(): Promise<DigestOutcome> {
    const requestId = newRequestId();
    const log = logger.child({ requestId, digestChannel: settings.channel, platform: channel.platform });
    const started = Date.now();
    try {
      const report = await deps.report({ sinceMs: settings.windowDays * DAY_MS, minSize: MIN_CLUSTER_SIZE, now: now() });
      const links = (await channel.linkOptions?.()) ?? {};
      const digest = digestFromReport(report, links);
      await channel.post(settings.channel, digest);
      log.info({ gaps: digest.items.length, questions: digest.totals.questions, ms: Date.now() - started }, 'gaps digest posted');
      return { ok: true, requestId, digest };
    } catch (error) {
      log.error(
        { err: error, ms: Date.now() - started, next: cron.nextRun()?.toISOString() ?? null },
        'gaps digest failed; the bot keeps running and tries again at the next scheduled time',
      );
      return { ok: false, requestId, error };
    }
  }

  const cron: Cron = scheduleDigest({ pattern: settings.cron, timezone: settings.timezone }, async () => {
    // Named by the time it was scheduled for, not the time the callback ran: a replica
    // whose timer fires late (a GC pause, CPU throttling, a stopped container) claims the
    // same run as the others, so it is posted once. croner fires a run only once its time
    // has come, so that time is the latest scheduled one up to now (previousRuns excludes
    // its reference, hence the 1 ms).
    const scheduled = cron.previousRuns(1, new Date(Date.now() + 1))[0] ?? new Date(Math.floor(Date.now() / 1000) * 1000);
    const slot = scheduled.toISOString();
    if (deps.claim && !(await deps.claim(`gaps-digest:${channel.platform}:${settings.channel}:${slot}`).catch(() => true))) {
      logger.info({ digestChannel: settings.channel, run: slot }, 'gaps digest: another replica posts this run');
      return;
    }
    await (deps.lifecycle ? deps.lifecycle.track(run()) : run());
  });
  deps.lifecycle?.onDrain(() => cron.stop());
  logger.info(
    {
      digestChannel: settings.channel,
      cron: settings.cron,
      timezone: settings.timezone ?? 'server local time',
      next: cron.nextRun()?.toISOString(),
    },
    'gaps digest scheduled',
  );
  return { run, nextRun: () => cron.nextRun(), stop: () => cron.stop() };
}

/**
 * What a bot calls at start: starts the digest when GAPS_DIGEST_CHANNEL names a
 * channel of this bot's platform; otherwise (off, or the other platform's channel)
 * returns undefined. Shared settings can thus serve a Slack and a Discord bot.
 */
export function digestFor(
  config: { gaps: { digest?: GapsDigestConfig }; questionLog: { enabled: boolean } },
  channel: DigestChannel,
  deps: Omit<DigestJobDeps, 'digest' | 'channel'>,
): DigestJob | undefined {
  const settings = config.gaps.digest;
  if (!settings) return undefined;
  if (settings.platform !== channel.platform) {
    deps.logger.info(
      { digestChannel: settings.channel },
      `GAPS_DIGEST_CHANNEL is a ${settings.platform} channel: the ${channel.platform} bot posts no digest`,
    );
    return undefined;
  }
  if (!config.questionLog.enabled) {
    deps.logger.warn('QUESTION_LOG=off: the gaps digest only shows questions logged before it was turned off');
  }
  return startDigestJob({ ...deps, digest: settings, channel });
}
