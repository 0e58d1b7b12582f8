/**
 * How askdocs answers look on Discord: the renderer the delivery layer uses (the
 * Markdown as is, in ≤ 2000-character messages split at paragraph / code-block
 * boundaries; failures as a ⚠️ message after the answer), sources as one embed kept
 * inside Discord's embed limits, 👍/👎 feedback buttons, and the texts users see.
 */
import { type APIEmbed, ButtonStyle, ComponentType, escapeMarkdown } from 'discord.js';
import type { AnswerRenderer } from '../../src/chat/answer-view.ts';
import { fitLines } from '../../src/chat/fit-lines.ts';
import { type SourceEntry, sourceEntries, sourcesHeading } from '../../src/chat/sources.ts';
import { voteButtonId } from '../../src/chat/vote-button.ts';
import type { Source } from '../../src/engine/types.ts';
import { FEEDBACK_CHOICES } from '../../src/feedback/store.ts';
import type { OutgoingMessage } from './api.ts';

/** Discord's cap on message content. */
export const MESSAGE_CHAR_LIMIT = 2000;
export const THREAD_NAME_LIMIT = 100;
const EMBED_DESCRIPTION_LIMIT = 4096;
const MAX_SOURCES_SHOWN = 10;
export const BLURPLE = 0x5865f2;

export const EMPTY_QUESTION_TEXT =
  'Ask me a question about the docs, for example: `@askdocs how do I create a collection?` or `/askdocs question:...`';
export const CHANNEL_NOT_ALLOWED_TEXT = "I don't answer questions in this channel. Please ask in one of the channels I'm set up for.";

/** @param progressIntervalMs minimum time between edits (Discord allows ~5 edits / 5 s per channel). */
export function discordRenderer(progressIntervalMs: number): AnswerRenderer<OutgoingMessage> {
  return {
    partChars: MESSAGE_CHAR_LIMIT,
    progressIntervalMs,
    partText: (markdown) => markdown,
    message: (content) => ({ content }),
    emptyAnswer: "I couldn't put an answer together for this one. Please try rephrasing the question.",
    failure: failureText,
    failureReplacesAnswer: false,
  };
}

/** A plain failure message as Discord text. */
export function failureText(text: string): string {
  return `⚠️ ${text}`;
}

/**
 * The message that follows an answer: its sources as one embed (when there are any)
 * and the 👍/👎 buttons, whose ids carry `answerRef`. For an abstention the engine
 * passes the closest pages.
 */
export function sourcesMessage(citations: Source[], options: { abstained: boolean; answerRef: string }): OutgoingMessage {
  const entries = sourceEntries(citations, { maxEntries: MAX_SOURCES_SHOWN, maxLabelChars: 150 });
  const embed: APIEmbed = {
    title: sourcesHeading(options.abstained),
    description: fitLines(entries.map(sourceLine), EMBED_DESCRIPTION_LIMIT),
    color: BLURPLE,
    footer: { text: 'Was this answer helpful? Use the buttons below.' },
  };
  const buttons = FEEDBACK_CHOICES.map(({ vote, emoji, label }) => ({
    type: ComponentType.Button as const,
    style: ButtonStyle.Secondary as const,
    custom_id: voteButtonId(vote, options.answerRef),
    emoji: { name: emoji },
    label,
  }));
  return { embeds: entries.length > 0 ? [embed] : [], components: [{ type: ComponentType.ActionRow, components: buttons }] };
}

function sourceLine(entry: SourceEntry): string {
  const link = entry.link && /^https?:\/\//i.test(entry.link) ? entry.link.replace(/[()<> ]/g, encodeURIComponent) : undefined;
  const path = `\`${entry.path.replace(/`/g, "'")}\``;
  return link ? `**[${entry.n}]** [${plain(entry.label)}](${link}) · ${path}` : `**[${entry.n}]** ${plain(entry.label)} · ${path}`;
}

/** User or docs text shown as text: no formatting, and no masked link of its own. */
export function plain(text: string): string {
  return escapeMarkdown(text).replace(/[[\]]/g, '\\$&');
}
