/**
 * The gaps digest (src/gaps/digest.ts) as a Discord message: one embed with a field
 * per gap and masked links to the messages it was asked in. Posted through the
 * client's REST queue with mentions disabled, like every other message.
 */
import { type APIEmbed, type Client, escapeMarkdown } from 'discord.js';
import { retryBriefly } from '../../src/chat/rate-limit.ts';
import { truncate } from '../../src/engine/source-label.ts';
import { type Digest, digestSummary } from '../../src/gaps/digest.ts';
import { type DigestFormat, digestItemLines, digestTitle } from '../../src/gaps/digest-lines.ts';
import type { DigestChannel } from '../../src/gaps/digest-schedule.ts';
import { DiscordApi, type OutgoingMessage } from './api.ts';
import { discordRetryAfterMs } from './rate-limits.ts';
import { BLURPLE, plain } from './render.ts';

/** Nobody watches a weekly post go out: it may wait out a longer rate limit than an answer (the client refuses those, client.ts). */
const DIGEST_WAIT_MS = 60_000;

/** `bot.client` is read at post time. */
export function discordDigestChannel(bot: { readonly client: Client }): DigestChannel {
  return {
    platform: 'discord',
    async post(channel, digest) {
      const api = new DiscordApi(bot.client.rest);
      await retryBriefly(() => api.postMessage(channel, digestMessage(digest)), discordRetryAfterMs, DIGEST_WAIT_MS);
    },
  };
}

const FORMAT: DigestFormat = {
  text: plain,
  // A masked link's label ends at `]`, and Discord shows a label holding a URL as raw text.
  link: (label, url) =>
    `[${escapeMarkdown(label)
      .replace(/[[\]]/g, '')
      .replace(/\b[a-z][a-z0-9+.-]*:\/\//gi, '')}](${url})`,
  code: (path) => `\`${path.replace(/`/g, "'")}\``,
  suggestionChars: 300,
};

export function digestMessage(digest: Digest): OutgoingMessage {
  const embed: APIEmbed = {
    title: digestTitle(digest),
    description: plain(digestSummary(digest)),
    color: BLURPLE,
    fields: digest.items.map((item) => ({
      name: truncate(`${item.rank}. ${plain(item.title)}`, 256),
      value: truncate(digestItemLines(item, FORMAT).join('\n'), 1024),
    })),
    ...(digest.items.length > 0 ? { footer: { text: 'Full report with what to write: askdocs gaps --html gaps.html' } } : {}),
  };
  return { embeds: [embed] };
}
