/**
 * Links back to where a question was asked, from what the question log keeps
 * (platform, channel id, thread reference). Both formats are public and stable:
 *   Slack:   https://<workspace>.slack.com/archives/<channel>/p<ts without the dot>
 *   Discord: https://discord.com/channels/<guild or @me>/<channel>[/<message>]
 * A Slack link needs the workspace's URL, which only the Slack bot knows (auth.test);
 * without it a Slack question is shown without a link.
 */
import type { ThreadRef } from '../engine/types.ts';

export interface ThreadLinkOptions {
  /** e.g. https://acme.slack.com/ (Slack's auth.test `url`). */
  slackWorkspaceUrl?: string;
}

export interface AskedWhere {
  platform: string;
  channelId?: string;
  thread?: ThreadRef;
}

export function threadUrl(asked: AskedWhere, options: ThreadLinkOptions = {}): string | undefined {
  const channel = asked.channelId;
  if (!channel) return undefined;
  if (asked.platform === 'slack') {
    const ts = asked.thread?.messageId;
    if (!options.slackWorkspaceUrl || !ts || !/^\d+\.\d+$/.test(ts)) return undefined;
    const base = options.slackWorkspaceUrl.endsWith('/') ? options.slackWorkspaceUrl : `${options.slackWorkspaceUrl}/`;
    return `${base}archives/${encodeURIComponent(channel)}/p${ts.replace('.', '')}`;
  }
  if (asked.platform === 'discord') {
    const guild = asked.thread?.workspaceId ?? '@me';
    const message = asked.thread?.messageId;
    return `https://discord.com/channels/${guild}/${channel}${message ? `/${message}` : ''}`;
  }
  return undefined;
}
