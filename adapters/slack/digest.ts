/**
 * The gaps digest (src/gaps/digest.ts) as a Slack message: an mrkdwn section per gap, with links
 * to the threads it was asked in (they need the workspace's URL, read once from auth.test).
 */
import type { webApi } from '@slack/bolt';
import { retryBriefly } from '../../src/chat/rate-limit.ts';
import { truncate as clip } from '../../src/engine/source-label.ts';
import { askedText, type Digest, type DigestItem, digestSummary } from '../../src/gaps/digest.ts';
import { digestTitle } from '../../src/gaps/digest-lines.ts';
import type { DigestChannel } from '../../src/gaps/digest-schedule.ts';
import { section } from './blocks.ts';
import { escapeMrkdwn } from './mrkdwn.ts';
import { retryAfterMs } from './slack-errors.ts';

/** How long the weekly digest waits out Slack's rate limits before it tries again at its next run. */
const DIGEST_WAIT_MS = 60_000;

export function slackDigestChannel(client: webApi.WebClient): DigestChannel {
  let workspaceUrl: string | undefined;
  return {
    platform: 'slack',
    async linkOptions() {
      workspaceUrl ??= (await client.auth.test()).url;
      return { slackWorkspaceUrl: workspaceUrl };
    },
    async post(channel, digest) {
      const { text, blocks } = digestBlocks(digest);
      // The client rejects rate-limited calls (index.ts); a weekly post can wait its turn a while.
      await retryBriefly(
        () => client.chat.postMessage({ channel, text, blocks: blocks as never, unfurl_links: false, unfurl_media: false }),
        retryAfterMs,
        DIGEST_WAIT_MS,
      );
    },
  };
}

export function digestBlocks(digest: Digest): { text: string; blocks: Record<string, unknown>[] } {
  const title = digestTitle(digest);
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: title } },
    section(undefined, escapeMrkdwn(digestSummary(digest))),
    ...digest.items.map((item) => section(undefined, itemMrkdwn(item))),
  ];
  if (digest.items.length > 0) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'Full report with what to write: `askdocs gaps --html gaps.html`' }],
    });
  }
  // What notifications show: the title and the one-line summary.
  return { text: escapeMrkdwn(`${title}: ${digestSummary(digest)}`), blocks };
}

function itemMrkdwn(item: DigestItem): string {
  const lines = [
    `*${item.rank}. ${escapeMrkdwn(clip(item.title, 200))}*`,
    escapeMrkdwn(askedText(item)),
    `💡 ${escapeMrkdwn(clip(item.suggestion, 400))}`,
  ];
  if (item.maybeFixedBy) lines.push(`✅ Maybe fixed by \`${escapeMrkdwn(item.maybeFixedBy.path)}\``);
  // A link label ends at `|` or `>`.
  const threads = item.threads.map((t) =>
    t.url
      ? `<${t.url}|${escapeMrkdwn(clip(t.question, 80)).replace(/\|/g, '¦')}>`
      : `${escapeMrkdwn(clip(t.question, 80))} (${t.platform})`,
  );
  if (threads.length > 0) lines.push(`🧵 ${threads.join(' · ')}`);
  return lines.join('\n');
}
