/**
 * What askdocs' Slack messages look like, kept inside Slack's limits (50 blocks a message,
 * 3000 characters a section, 75 a button label, 2000 a button value):
 *
 *   slackRenderer(first?)  the delivery layer's renderer: answer parts as mrkdwn sections;
 *                          `first` renders message 0 (the slash message: who asked what).
 *   sourcesMessage(…)      the "Sources" reply: "[n] <link|Title › Heading>" (or the path in
 *                          code) per source, then 👍/👎 unless the streamed answer has Slack's.
 *   feedbackBlock()        Slack's `feedback_buttons` in a `context_actions` block.
 *   greetingMessage()      the first message of a new assistant thread.
 * Block ids starting with `askdocs_` let thread-history reading recognise these messages.
 */
import type { AnswerRenderer } from '../../src/chat/answer-view.ts';
import { type SourceEntry, sourcesHeading } from '../../src/chat/sources.ts';
import { splitMessage } from '../../src/chat/split.ts';
import { FEEDBACK_CHOICES } from '../../src/feedback/store.ts';
import { escapeMrkdwn, toMrkdwn } from './mrkdwn.ts';

export const SECTION_MAX = 3000;
/** Every feedback control's action id starts so; its value is the vote ('up' or 'down'). */
export const FEEDBACK_ACTION = 'askdocs_feedback';
export const GREETING_BLOCK = 'askdocs_greeting';
export const SOURCES_BLOCK_PREFIX = 'askdocs_sources';
export const QUESTION_BLOCK = 'askdocs_question';
export const ANSWER_BLOCK_PREFIX = 'askdocs_answer';
/** Slack caps a message at 50 blocks: header + 10 sources + feedback stays far below. */
export const MAX_SOURCE_BLOCKS = 10;
export const PLACEHOLDER = '_Searching the docs…_';

export interface SlackMessage {
  text: string;
  // Plain objects: the WebClient serialises them; Block Kit types add nothing here.
  blocks?: Record<string, unknown>[];
}

/** `first` renders the first message (e.g. with the slash question on top); others are plain mrkdwn. */
export function slackRenderer(first?: (mrkdwn: string) => SlackMessage): AnswerRenderer<SlackMessage> {
  return {
    // Markdown per message. The mrkdwn it becomes can be longer (`<` is sent as `&lt;`, a list
    // item gains a bullet): where that outgrows a section, the slash message splits it again
    // (answerSections); the other messages are plain `text`, which Slack takes up to 40,000.
    partChars: 2800,
    progressIntervalMs: 1200,
    partText: toMrkdwn,
    message: (text, index) => (index === 0 && first ? first(text) : { text }),
    emptyAnswer: '_(no answer)_',
    failure: escapeMrkdwn,
    failureReplacesAnswer: true,
  };
}

/** A section of short mrkdwn (a heading, a source line); longer text is cut at SECTION_MAX, never inside an entity or link. */
export const section = (blockId: string | undefined, mrkdwn: string): Record<string, unknown> => ({
  type: 'section',
  ...(blockId ? { block_id: blockId } : {}),
  text: { type: 'mrkdwn', text: truncateMrkdwn(mrkdwn, SECTION_MAX) },
});

/**
 * Answer mrkdwn as sections, split (not cut) where it outgrows one: measured as Slack counts
 * it, after the conversion and escaping, at paragraph, line or sentence ends, a code block
 * closed at the end of one section and reopened in the next. No line is lost.
 */
export function answerSections(mrkdwn: string): Record<string, unknown>[] {
  const parts = splitMessage(mrkdwn, SECTION_MAX);
  return (parts.length > 0 ? parts : [mrkdwn]).map((part, i) => section(`${ANSWER_BLOCK_PREFIX}_${i}`, part));
}

/** An entity (`&lt;`) or a `<link|label>` left unfinished at the end of cut text. */
const UNFINISHED_MARKUP = /(?:&[a-z]*|<[^<>]*)$/i;

/** Cuts mrkdwn to `maxChars` with an ellipsis, dropping an entity or link the cut would break. */
function truncateMrkdwn(mrkdwn: string, maxChars: number): string {
  if (mrkdwn.length <= maxChars) return mrkdwn;
  const head = mrkdwn.slice(0, maxChars - 1);
  return `${head.replace(UNFINISHED_MARKUP, '').trimEnd()}…`;
}

export function sourcesMessage(entries: SourceEntry[], options: { abstained: boolean; buttons: boolean }): SlackMessage {
  const heading = `*${sourcesHeading(options.abstained)}*`;
  const shown = entries.slice(0, MAX_SOURCE_BLOCKS);
  const blocks: Record<string, unknown>[] = [section(`${SOURCES_BLOCK_PREFIX}_header`, heading)];
  if (shown.length === 0) blocks.push(section(`${SOURCES_BLOCK_PREFIX}_none`, '_No specific pages were cited._'));
  for (const entry of shown) blocks.push(section(`${SOURCES_BLOCK_PREFIX}_${entry.n}`, sourceLine(entry)));
  const buttons = FEEDBACK_CHOICES.map(({ vote, emoji, label }) => ({
    type: 'button',
    action_id: `${FEEDBACK_ACTION}_${vote}`,
    text: { type: 'plain_text', text: `${emoji} ${label}`, emoji: true },
    value: vote,
  }));
  if (options.buttons) blocks.push({ type: 'actions', block_id: FEEDBACK_ACTION, elements: buttons });
  // The plain-text fallback (notifications, screen readers) is parsed for mentions too, and
  // titles, headings and file names come from the docs: escaped like the blocks.
  const plain = shown.map((entry) => escapeMrkdwn(`[${entry.n}] ${entry.label} (${entry.link ?? entry.path})`)).join('\n');
  return { text: `${options.abstained ? 'Closest pages' : 'Sources'}:\n${plain || 'none cited'}`, blocks };
}

/** Slack's own 👍/👎 under a streamed answer (Block Kit `feedback_buttons`). */
export function feedbackBlock(): Record<string, unknown> {
  const [up, down] = FEEDBACK_CHOICES.map(({ vote, emoji, label }) => ({
    text: { type: 'plain_text', text: emoji },
    accessibility_label: label,
    value: vote,
  }));
  return {
    type: 'context_actions',
    block_id: FEEDBACK_ACTION,
    elements: [{ type: 'feedback_buttons', action_id: FEEDBACK_ACTION, positive_button: up, negative_button: down }],
  };
}

export function greetingMessage(): SlackMessage {
  const text = 'Hi! Ask me anything about the docs: I answer from them, and list the pages I used.';
  return { text, blocks: [section(GREETING_BLOCK, text)] };
}

function sourceLine(entry: SourceEntry): string {
  const label = escapeMrkdwn(entry.label).replace(/\|/g, '¦');
  if (entry.link) return `*[${entry.n}]* <${entry.link}|${label}>`;
  // File names come from the docs folder: `<!channel> urgent.md` must not ping, even in code.
  return `*[${entry.n}]* ${label} — \`${escapeMrkdwn(entry.path.replace(/`/g, "'"))}\``;
}

export function slashMessage(input: { userId: string; question: string; answerMrkdwn: string }): SlackMessage {
  const asked = `*<@${input.userId}> asked:* ${escapeMrkdwn(input.question)}`;
  return {
    text: `${asked}\n\n${input.answerMrkdwn}`,
    blocks: [section(QUESTION_BLOCK, asked), ...answerSections(input.answerMrkdwn)],
  };
}

/** Recovers the question from a slash message's question block (for thread history). */
export function questionFromSlashBlock(text: string): string {
  const entities: Record<string, string> = { lt: '<', gt: '>', amp: '&' };
  return text.replace(/^\*<@[A-Z0-9]+> asked:\*\s*/, '').replace(/&(lt|gt|amp);/g, (_, name: string) => entities[name] ?? '');
}
