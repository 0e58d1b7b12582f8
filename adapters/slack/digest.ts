/**
 * The gaps digest (src/gaps/digest.ts) as a Slack message: Block Kit with an mrkdwn
 * section per gap and links to the threads it was asked in. Slack links need the
 * workspace's URL, read once from auth.test.
 */
import type { webApi } from '@slack/bolt';
import { askedText, type Digest, type DigestItem, digestSummary } from '../../src/gaps/digest.ts';
import type { DigestChannel } from '../../src/gaps/digest-schedule.ts';
import { SECTION_MAX } from './blocks.ts';

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
      await client.chat.postMessage({ channel, text, blocks: blocks as never, unfurl_links: false, unfurl_media: false });
    },
  };
}

export function digestBlocks(digest: Digest): { text: string; blocks: Record<string, unknown>[] } {
  const title = digest.days === 7 ? '📚 Coverage gaps this week' : `📚 Coverage gaps, last ${digest.days} days`;
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: title } },
    { type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(digestSummary(digest)) } },
  ];
  for (const item of digest.items) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: itemMrkdwn(item) } });
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
  const threads = item.threads.map((t) =>
    t.url ? `<${t.url}|${label(clip(t.question, 80))}>` : `${escapeMrkdwn(clip(t.question, 80))} (${t.platform})`,
  );
  if (threads.length > 0) lines.push(`🧵 ${threads.join(' · ')}`);
  return lines.join('\n').slice(0, SECTION_MAX);
}

/** mrkdwn's three control characters; user text must never become a mention or a link. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A link label ends at `|` or `>`. */
function label(text: string): string {
  return escapeMrkdwn(text).replace(/\|/g, '¦');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
