/**
 * 👍/👎 button clicks under an answer: recorded in the shared feedback store (the same
 * one Slack uses, listed by `askdocs feedback`), acknowledged with a note only the
 * clicker sees. Clicking again changes that user's vote instead of adding one.
 */
import { type ButtonInteraction, MessageFlags } from 'discord.js';
import { metrics } from '../../src/observability/metrics.ts';
import { NO_MENTIONS } from './api.ts';
import type { BotContext } from './context.ts';
import { parseFeedbackCustomId } from './render.ts';

export const FEEDBACK_THANKS = {
  up: 'Thanks! Your 👍 was recorded.',
  down: 'Thanks! Your 👎 was recorded; it helps us improve the docs and the answers.',
};
export const FEEDBACK_FAILED = "Sorry, your feedback couldn't be recorded right now. Please try again later.";

export function isFeedbackButton(customId: string): boolean {
  return parseFeedbackCustomId(customId) !== undefined;
}

export async function handleFeedbackButton(ctx: BotContext, interaction: ButtonInteraction): Promise<void> {
  const parsed = parseFeedbackCustomId(interaction.customId);
  if (!parsed || !(await ctx.firstSeen(`interaction:${interaction.id}`))) return;
  const acknowledged = ctx.acks.begin();
  const logger = ctx.logger.child({ kind: 'feedback', interactionId: interaction.id, userId: interaction.user.id });
  let text: string;
  try {
    if (!ctx.feedback) throw new Error('no feedback store configured');
    await ctx.feedback.recordVote({ platform: 'discord', messageRef: parsed.answerRef, userId: interaction.user.id, vote: parsed.vote });
    metrics.feedback.inc({ platform: 'discord', vote: parsed.vote });
    logger.info({ vote: parsed.vote, answerRef: parsed.answerRef }, 'feedback recorded');
    text = FEEDBACK_THANKS[parsed.vote];
  } catch (error) {
    logger.error({ err: error }, 'could not record feedback');
    text = FEEDBACK_FAILED;
  }
  try {
    await interaction.reply({ content: text, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
  } catch (error) {
    logger.warn({ err: error }, 'could not acknowledge the feedback click');
  } finally {
    acknowledged();
  }
}
