/**
 * Reading a chat conversation as engine history, the same way on every platform:
 * the question without the bot's mention, consecutive turns of one role joined (a
 * multi-part answer is one turn), and the channel allow-list.
 */

import { cleanQuestion } from '../engine/question.ts';
import { truncate } from '../engine/source-label.ts';
import type { Turn } from '../engine/types.ts';

/**
 * The text without mentions of the bot (`<@U123>`, `<@!123>`), spaces collapsed; line breaks
 * stay. Cleaned as every question is (cleanQuestion): a mention followed only by control or
 * zero-width characters is an empty question.
 */
export function stripMention(text: string, botUserId: string | undefined): string {
  const visible = cleanQuestion(text);
  const withoutBot = botUserId ? visible.replace(new RegExp(`<@!?${botUserId}>`, 'g'), ' ') : visible;
  return withoutBot.replace(/[ \t]+/g, ' ').trim();
}

/**
 * A thread reply that names other people but not the bot is addressed to them ("@ana can
 * you review my PR?"), not a follow-up for the bot, even in a thread the bot answered in.
 * `addressed`: the user ids the message mentions or replies to; the author naming (or
 * replying to) themself addresses no one.
 */
export function addressedToOthers(addressed: Iterable<string>, ids: { bot: string | undefined; author: string }): boolean {
  const people = new Set(addressed);
  people.delete(ids.author);
  return people.size > 0 && !(ids.bot !== undefined && people.has(ids.bot));
}

/** Joins consecutive turns of the same role; each turn is cut to `maxChars`. */
export function mergeTurns(turns: Turn[], maxChars = Number.POSITIVE_INFINITY): Turn[] {
  const merged: Turn[] = [];
  for (const turn of turns) {
    const last = merged.at(-1);
    if (last && last.role === turn.role) last.content = `${last.content}\n\n${turn.content}`;
    else merged.push({ ...turn });
  }
  return merged.map((turn) => ({ role: turn.role, content: truncate(turn.content, maxChars) }));
}

/**
 * The allow-list (SLACK_/DISCORD_ALLOWED_CHANNELS): empty allows every channel; a thread
 * is allowed when its parent is; DMs are always answered.
 */
export function channelAllowed(allowed: string[], channel: { id: string; parentId?: string | null; isDm: boolean }): boolean {
  if (channel.isDm || allowed.length === 0) return true;
  return allowed.includes(channel.id) || (!!channel.parentId && allowed.includes(channel.parentId));
}
