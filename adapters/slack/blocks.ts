/**
 * Block Kit for the bot's messages, kept inside Slack's limits (50 blocks per message,
 * 3000 characters per section text, 75 per button label, 2000 per button value).
 *
 *   sourcesMessage(entries, { abstained }) → { text, blocks }: the "Sources" thread reply:
 *     one section per numbered source ("[n] <link|Title › Heading>" or the path in code),
 *     then 👍/👎 feedback buttons.
 *   slashMessage({ userId, question, answerMrkdwn }) → { text, blocks }: the visible
 *     channel message for `/askdocs`: who asked what, then the answer.
 *   Block ids starting with `askdocs_` let thread-history reading recognise these messages.
 */
import type { SourceEntry } from '../../src/chat/sources.ts';
import { truncate } from '../../src/chat/sources.ts';
import { escapeMrkdwn } from './mrkdwn.ts';

export const SECTION_MAX = 3000;
export const FEEDBACK_UP = 'askdocs_feedback_up';
export const FEEDBACK_DOWN = 'askdocs_feedback_down';
export const SOURCES_BLOCK_PREFIX = 'askdocs_sources';
export const QUESTION_BLOCK = 'askdocs_question';
export const ANSWER_BLOCK_PREFIX = 'askdocs_answer';
/** Slack caps a message at 50 blocks: header + 10 sources + feedback stays far below. */
export const MAX_SOURCE_BLOCKS = 10;

export interface SlackMessageContent {
  text: string;
  // Plain objects: the WebClient serialises them; Block Kit types add nothing here.
  blocks: Record<string, unknown>[];
}

const section = (blockId: string, mrkdwn: string): Record<string, unknown> => ({
  type: 'section',
  block_id: blockId,
  text: { type: 'mrkdwn', text: truncate(mrkdwn, SECTION_MAX) },
});

export function sourcesMessage(entries: SourceEntry[], options: { abstained: boolean }): SlackMessageContent {
  const heading = options.abstained ? '*Closest pages in the docs*' : '*Sources*';
  const shown = entries.slice(0, MAX_SOURCE_BLOCKS);
  const blocks: Record<string, unknown>[] = [section(`${SOURCES_BLOCK_PREFIX}_header`, heading)];
  if (shown.length === 0) {
    blocks.push(section(`${SOURCES_BLOCK_PREFIX}_none`, '_No specific pages were cited._'));
  }
  for (const entry of shown) blocks.push(section(`${SOURCES_BLOCK_PREFIX}_${entry.n}`, sourceLine(entry)));
  blocks.push({
    type: 'actions',
    block_id: 'askdocs_feedback',
    elements: [feedbackButton(FEEDBACK_UP, '👍 Helpful', 'up'), feedbackButton(FEEDBACK_DOWN, '👎 Not helpful', 'down')],
  });
  // The plain-text fallback (notifications, screen readers) is parsed for mentions too, and
  // titles, headings and file names come from the docs: escaped like the blocks.
  const plain = shown.map((entry) => escapeMrkdwn(`[${entry.n}] ${entry.label} (${entry.link ?? entry.path})`)).join('\n');
  return { text: `${options.abstained ? 'Closest pages' : 'Sources'}:\n${plain || 'none cited'}`, blocks };
}

function sourceLine(entry: SourceEntry): string {
  const label = escapeMrkdwn(entry.label).replace(/\|/g, '¦');
  if (entry.link) return `*[${entry.n}]* <${entry.link}|${label}>`;
  // File names come from the docs folder: `<!channel> urgent.md` must not ping, even in code.
  return `*[${entry.n}]* ${label} — \`${escapeMrkdwn(entry.path.replace(/`/g, "'"))}\``;
}

function feedbackButton(actionId: string, label: string, value: string): Record<string, unknown> {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text: label, emoji: true }, value };
}

export function slashMessage(input: { userId: string; question: string; answerMrkdwn: string }): SlackMessageContent {
  const asked = `*<@${input.userId}> asked:* ${escapeMrkdwn(input.question)}`;
  return {
    text: `${asked}\n\n${input.answerMrkdwn}`,
    blocks: [section(QUESTION_BLOCK, asked), section(`${ANSWER_BLOCK_PREFIX}_0`, input.answerMrkdwn)],
  };
}

/** Recovers the question from a slash message's question block (for thread history). */
export function questionFromSlashBlock(text: string): string {
  return text
    .replace(/^\*<@[A-Z0-9]+> asked:\*\s*/, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
