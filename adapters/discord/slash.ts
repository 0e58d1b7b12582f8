/**
 * `/askdocs question:<text>`: acknowledged (deferred) before any other work, so Discord's
 * 3-second deadline is met however slow retrieval is; the answer then streams into the
 * deferred reply, a thread opens on the answer, and the sources go there. Follow-ups in
 * that thread are answered without a mention (see messages.ts).
 *
 * Refusals (limits, allowlist, shutdown) are deferred as ephemeral and shown only to the
 * asker, so they never clutter the channel.
 */
import { type ChatInputCommandInteraction, MessageFlags } from 'discord.js';
import { SHUTTING_DOWN_MESSAGE } from '../../src/lifecycle.ts';
import { newRequestId } from '../../src/logger.ts';
import { type AnswerOutlet, deliverAnswer, type PostMessage } from './answer.ts';
import { NO_MENTIONS } from './api.ts';
import { QUESTION_OPTION } from './commands.ts';
import { type BotContext, channelAllowed } from './context.ts';
import { InteractionTransport } from './interaction-transport.ts';
import { CHANNEL_NOT_ALLOWED_TEXT, EMPTY_QUESTION_TEXT, threadName } from './render.ts';
import { MessageSeries } from './series.ts';

export async function handleSlashCommand(ctx: BotContext, interaction: ChatInputCommandInteraction): Promise<void> {
  // Counted from the start: answers about to start hold back until this one is acknowledged.
  const acknowledged = ctx.acks.begin();
  try {
    // Claimed before deferring: with several replicas, only the one that wins responds.
    if (!(await ctx.firstSeen(`interaction:${interaction.id}`))) return;
    await respond(ctx, interaction, acknowledged);
  } finally {
    acknowledged();
  }
}

async function respond(ctx: BotContext, interaction: ChatInputCommandInteraction, acknowledged: () => void): Promise<void> {
  const requestId = newRequestId();
  const logger = ctx.logger.child({
    requestId,
    kind: 'slash',
    interactionId: interaction.id,
    channelId: interaction.channelId,
    userId: interaction.user.id,
  });
  const question = (interaction.options.getString(QUESTION_OPTION) ?? '').trim();
  const thread = interaction.channel?.isThread() ? interaction.channel : undefined;
  const inThread = thread !== undefined;
  const parentId = thread?.parentId ?? null;
  const isDm = !interaction.inGuild();

  let refusal: string | undefined;
  if (!ctx.accepting()) refusal = SHUTTING_DOWN_MESSAGE;
  else if (!channelAllowed(ctx.config, { id: interaction.channelId, parentId, isDm })) refusal = CHANNEL_NOT_ALLOWED_TEXT;
  else if (question === '') refusal = EMPTY_QUESTION_TEXT;
  const admission = refusal
    ? undefined
    : await ctx.limits.admit({ userId: interaction.user.id, channelId: parentId ?? interaction.channelId });
  if (refusal || !admission?.ok) {
    const text = refusal ?? (admission && !admission.ok ? admission.message : EMPTY_QUESTION_TEXT);
    await ctx
      .track(refuse(interaction, text, acknowledged))
      .catch((error: unknown) => logger.warn({ err: error }, 'could not show a refusal'));
    return;
  }

  try {
    await interaction.deferReply();
  } catch (error) {
    admission.release();
    // Too late (Discord's 3 s passed) or the interaction is gone: nothing can be shown.
    logger.error({ err: error }, 'could not defer the /askdocs reply');
    return;
  } finally {
    acknowledged();
  }
  logger.info({ chars: question.length }, 'question');

  const transport = new InteractionTransport({
    api: ctx.api,
    hook: { applicationId: interaction.applicationId, token: interaction.token },
    interactionId: interaction.id,
    channelId: interaction.channelId,
    createdAt: interaction.createdTimestamp,
    tokenTtlMs: ctx.options.interactionTokenTtlMs,
    safetyMarginMs: ctx.options.tokenSafetyMarginMs,
    logger,
  });
  const series = new MessageSeries(transport);
  const inPlace: PostMessage = (message) => transport.create(message, series.messageIds.length);
  const outlet: AnswerOutlet = {
    series,
    async followUpTarget(answer) {
      // Threads cannot be opened in DMs or inside another thread: keep the sources in place.
      if (isDm || inThread) return inPlace;
      try {
        const thread = await ctx.api.startThread(interaction.channelId, answer.messageId, threadName(question));
        ctx.threads.rememberStarter(thread.id, { question, answer: answer.text });
        return (message) => ctx.api.postMessage(thread.id, message);
      } catch (error) {
        logger.warn({ err: error }, 'could not open a thread on the answer; posting the sources below it');
        return inPlace;
      }
    },
  };
  try {
    await ctx.track(
      deliverAnswer(
        ctx,
        { question, history: [], userId: interaction.user.id, channelId: interaction.channelId, requestId, logger },
        outlet,
      ),
    );
  } finally {
    transport.close();
    admission.release();
  }
}

async function refuse(interaction: ChatInputCommandInteraction, text: string, acknowledged: () => void): Promise<void> {
  try {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  } finally {
    acknowledged();
  }
  await interaction.editReply({ content: text, allowedMentions: NO_MENTIONS });
}
