/**
 * `/askdocs question:<text>`: acknowledged (deferred) before any other work, so Discord's
 * 3-second deadline is met however slow retrieval is; the answer then streams into the
 * deferred reply, a thread opens on the answer, and the sources go there. Follow-ups in
 * that thread are answered without a mention (see messages.ts).
 *
 * Refusals (limits, allowlist, shutdown) are deferred as ephemeral and shown only to the
 * asker, so they never clutter the channel. Admission therefore comes before the
 * acknowledgement here, unlike everywhere else.
 */
import { type ChatInputCommandInteraction, MessageFlags } from 'discord.js';
import { SeriesView } from '../../src/chat/answer-view.ts';
import { channelAllowed } from '../../src/chat/conversation.ts';
import type { AnswerJob } from '../../src/chat/delivery.ts';
import { newRequestId } from '../../src/logger.ts';
import { NO_MENTIONS, type OutgoingMessage } from './api.ts';
import { QUESTION_OPTION } from './commands.ts';
import type { BotContext } from './context.ts';
import { InteractionTransport } from './interaction-transport.ts';
import { CHANNEL_NOT_ALLOWED_TEXT, discordRenderer, EMPTY_QUESTION_TEXT, sourcesMessage, threadName } from './render.ts';

export async function handleSlashCommand(ctx: BotContext, interaction: ChatInputCommandInteraction): Promise<void> {
  // Counted from the start: answers about to start hold back until this one is acknowledged.
  const acknowledged = ctx.delivery.acks.begin();
  try {
    // Claimed before deferring: with several replicas, only the one that wins responds.
    if (!(await ctx.delivery.claims.claim(`interaction:${interaction.id}`))) return;
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
  const parentId = thread?.parentId ?? null;
  const isDm = !interaction.inGuild();

  const refusal = !channelAllowed(ctx.config.discord.allowedChannels, { id: interaction.channelId, parentId, isDm })
    ? CHANNEL_NOT_ALLOWED_TEXT
    : question === ''
      ? EMPTY_QUESTION_TEXT
      : undefined;
  // While shutting down, every question hears that first.
  const admission =
    refusal && ctx.delivery.accepting()
      ? { ok: false as const, message: refusal }
      : await ctx.delivery.admit({ userId: interaction.user.id, channelId: parentId ?? interaction.channelId });
  if (!admission.ok) {
    // Tracked: a refusal during shutdown still goes out before the client disconnects.
    await ctx.delivery.lifecycle
      .track(refuse(interaction, admission.message, acknowledged))
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
  const view = new SeriesView(transport, discordRenderer(ctx.options.textIntervalMs), logger);
  const job: AnswerJob = {
    question,
    userId: interaction.user.id,
    channelId: interaction.channelId,
    requestId,
    logger,
    history: async () => [],
    // The question has no message of its own; the digest links to the channel.
    thread: () => ({ workspaceId: interaction.guildId ?? undefined }),
    async postSources(answer) {
      const answerRef = view.series.ids[0] as string;
      const post = await followUpTarget(answerRef, answer.text);
      await post(sourcesMessage(answer.citations, { abstained: answer.abstained, answerRef }));
      return answerRef;
    },
  };
  ctx.delivery.start(async () => {
    try {
      await ctx.delivery.deliver(job, view);
    } finally {
      transport.close();
      admission.release();
    }
  });

  /** Where the sources go: a thread opened on the answer, or below it where threads cannot be opened. */
  async function followUpTarget(answerRef: string, answer: string): Promise<(message: OutgoingMessage) => Promise<unknown>> {
    const inPlace = (message: OutgoingMessage) => transport.post(message, view.series.ids.length);
    // Threads cannot be opened in DMs or inside another thread.
    if (isDm || thread) return inPlace;
    try {
      const thread = await ctx.api.startThread(interaction.channelId, answerRef, threadName(question));
      await ctx.delivery.threads.rememberStarter(thread.id, { question, answer });
      return (message) => ctx.api.postMessage(thread.id, message);
    } catch (error) {
      logger.warn({ err: error }, 'could not open a thread on the answer; posting the sources below it');
      return inPlace;
    }
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
