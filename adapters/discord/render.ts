/**
 * How askdocs answers look on Discord: the renderer the delivery layer uses (the
 * Markdown as is, in ≤ 2000-character messages split at paragraph / code-block
 * boundaries; failures as a ⚠️ message after the answer), sources as one embed kept
 * inside Discord's embed limits, 👍/👎 feedback buttons, and thread names.
 */
import {
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
  type APIEmbed,
  ButtonStyle,
  ComponentType,
  escapeMarkdown,
} from 'discord.js';
import type { AnswerRenderer } from '../../src/chat/answer-view.ts';
import { type SourceEntry, sourceEntries, sourcesHeading } from '../../src/chat/sources.ts';
import { truncate } from '../../src/engine/source-label.ts';
import type { Source } from '../../src/engine/types.ts';
import { FEEDBACK_CHOICES, type Vote } from '../../src/feedback/store.ts';
import type { OutgoingMessage } from './api.ts';

/** Discord's cap on message content. */
export const MESSAGE_CHAR_LIMIT = 2000;
/** Discord's cap on an embed description. */
const EMBED_DESCRIPTION_LIMIT = 4096;
const THREAD_NAME_LIMIT = 100;
const MAX_SOURCES_SHOWN = 10;
const EMBED_COLOR = 0x5865f2;

/** @param progressIntervalMs minimum time between edits (Discord allows ~5 edits / 5 s per channel). */
export function discordRenderer(progressIntervalMs: number): AnswerRenderer<OutgoingMessage> {
  return {
    partChars: MESSAGE_CHAR_LIMIT,
    progressIntervalMs,
    partText: (markdown) => markdown,
    message: (content) => ({ content }),
    emptyAnswer: "I couldn't put an answer together for this one. Please try rephrasing the question.",
    failure: (text) => `⚠️ ${text}`,
    failureReplacesAnswer: false,
  };
}
const FEEDBACK_PREFIX = 'askdocs:feedback:';

/** custom_id for a feedback button; `answerRef` identifies the answer in the feedback store. */
export function feedbackCustomId(vote: Vote, answerRef: string): string {
  return `${FEEDBACK_PREFIX}${vote}:${answerRef}`;
}

export function parseFeedbackCustomId(customId: string): { vote: Vote; answerRef: string } | undefined {
  if (!customId.startsWith(FEEDBACK_PREFIX)) return undefined;
  const [vote, ...rest] = customId.slice(FEEDBACK_PREFIX.length).split(':');
  const answerRef = rest.join(':');
  if ((vote !== 'up' && vote !== 'down') || answerRef === '') return undefined;
  return { vote, answerRef };
}

export function feedbackRow(answerRef: string): APIActionRowComponent<APIComponentInMessageActionRow> {
  return {
    type: ComponentType.ActionRow,
    components: FEEDBACK_CHOICES.map(({ vote, emoji, label }) => ({
      type: ComponentType.Button,
      style: ButtonStyle.Secondary,
      custom_id: feedbackCustomId(vote, answerRef),
      emoji: { name: emoji },
      label,
    })),
  };
}

/**
 * The message that follows an answer: its sources as one embed (when there are any)
 * and the feedback buttons. For an abstention the engine passes the closest pages.
 */
export function sourcesMessage(citations: Source[], options: { abstained: boolean; answerRef: string }): OutgoingMessage {
  const entries = sourceEntries(citations, { maxEntries: MAX_SOURCES_SHOWN, maxLabelChars: 150 });
  const embeds = entries.length > 0 ? [sourcesEmbed(entries, options.abstained)] : [];
  return { embeds, components: [feedbackRow(options.answerRef)] };
}

function sourcesEmbed(entries: SourceEntry[], abstained: boolean): APIEmbed {
  const lines: string[] = [];
  let length = 0;
  for (const [index, entry] of entries.entries()) {
    const line = sourceLine(entry);
    const more = `…and ${entries.length - index} more`;
    // Keep room for the "…and N more" line if a later entry does not fit.
    if (length + line.length + 1 + more.length + 1 > EMBED_DESCRIPTION_LIMIT) {
      lines.push(more);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  return {
    title: sourcesHeading(abstained),
    description: lines.join('\n'),
    color: EMBED_COLOR,
    footer: { text: 'Was this answer helpful? Use the buttons below.' },
  };
}

function sourceLine(entry: SourceEntry): string {
  const label = escapeMarkdown(entry.label).replace(/[[\]]/g, (c) => `\\${c}`);
  const link = entry.link && /^https?:\/\//i.test(entry.link) ? entry.link.replace(/[()<> ]/g, encodeURIComponent) : undefined;
  const path = `\`${entry.path.replace(/`/g, "'")}\``;
  return link ? `**[${entry.n}]** [${label}](${link}) · ${path}` : `**[${entry.n}]** ${label} · ${path}`;
}

/** A thread name from the question: one line, no mentions or markdown noise, ≤ 100 characters. */
export function threadName(question: string): string {
  const line = question
    .replace(/<@[!&]?\d+>|<#\d+>|@(everyone|here)/g, '')
    .replace(/[`*_~>#|]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return truncate(line, THREAD_NAME_LIMIT) || 'Question about the docs';
}

export const EMPTY_QUESTION_TEXT =
  'Ask me a question about the docs, for example: `@askdocs how do I create a collection?` or `/askdocs question:...`';
export const CHANNEL_NOT_ALLOWED_TEXT = "I don't answer questions in this channel. Please ask in one of the channels I'm set up for.";
