/**
 * The gaps digest (src/gaps/digest.ts) as a Discord message: one embed with a field
 * per gap and masked links to the messages it was asked in. Posted through the
 * client's REST queue with mentions disabled, like every other message.
 */
import { type APIEmbed, type Client, escapeMarkdown } from 'discord.js';
import { askedText, type Digest, type DigestItem, digestSummary } from '../../src/gaps/digest.ts';
import type { DigestChannel } from '../../src/gaps/digest-schedule.ts';
import { DiscordApi, type OutgoingMessage } from './api.ts';

/** `bot.client` is read at post time: the bot may replace its client once after start. */
export function discordDigestChannel(bot: { readonly client: Client }): DigestChannel {
  return {
    platform: 'discord',
    async post(channel, digest) {
      await new DiscordApi(bot.client.rest).postMessage(channel, digestMessage(digest));
    },
  };
}

const BLURPLE = 0x5865f2;

export function digestMessage(digest: Digest): OutgoingMessage {
  const embed: APIEmbed = {
    title: digest.days === 7 ? '📚 Coverage gaps this week' : `📚 Coverage gaps, last ${digest.days} days`,
    description: plain(digestSummary(digest)),
    color: BLURPLE,
    fields: digest.items.map(itemField),
    ...(digest.items.length > 0 ? { footer: { text: 'Full report with what to write: askdocs gaps --html gaps.html' } } : {}),
  };
  return { embeds: [embed] };
}

function itemField(item: DigestItem): NonNullable<APIEmbed['fields']>[number] {
  const lines = [askedText(item), `💡 ${plain(clip(item.suggestion, 300))}`];
  if (item.maybeFixedBy) lines.push(`✅ Maybe fixed by \`${item.maybeFixedBy.path.replace(/`/g, "'")}\``);
  const threads = item.threads.map((t) =>
    t.url ? `[${linkLabel(clip(t.question, 80))}](${t.url})` : `${plain(clip(t.question, 80))} (${t.platform})`,
  );
  if (threads.length > 0) lines.push(`🧵 ${threads.join(' · ')}`);
  return { name: clip(`${item.rank}. ${plain(item.title)}`, 256), value: clip(lines.join('\n'), 1024) };
}

/** User text (questions, suggestions quoting them) as text: no formatting, no masked link of its own. */
function plain(text: string): string {
  return escapeMarkdown(text).replace(/[[\]]/g, '\\$&');
}

/** A masked link's label ends at `]`, and Discord shows a label holding a URL as raw text. */
function linkLabel(text: string): string {
  return escapeMarkdown(text)
    .replace(/[[\]]/g, '')
    .replace(/\b[a-z][a-z0-9+.-]*:\/\//gi, '');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
