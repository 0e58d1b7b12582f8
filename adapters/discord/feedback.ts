/**
 * 👍/👎 button clicks under an answer: recorded by the delivery layer in the shared
 * feedback store (the one Slack uses, listed by `askdocs feedback`), acknowledged with a
 * note only the clicker sees. Clicking again changes that user's vote instead of adding one.
 */
import { type ButtonInteraction, MessageFlags } from 'discord.js';
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
  if (!parsed || !(await ctx.delivery.claims.claim(`interaction:${interaction.id}`))) return;
  const acknowledged = ctx.delivery.acks.begin();
  const logger = ctx.logger.child({ kind: 'feedback', interactionId: interaction.id, userId: interaction.user.id });
  const recorded = await ctx.delivery.recordVote({ answerRef: parsed.answerRef, userId: interaction.user.id, vote: parsed.vote }, logger);
  try {
    const content = recorded ? FEEDBACK_THANKS[parsed.vote] : FEEDBACK_FAILED;
    await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
  } catch (error) {
    logger.warn({ err: error }, 'could not acknowledge the feedback click');
  } finally {
    acknowledged();
  }
}
