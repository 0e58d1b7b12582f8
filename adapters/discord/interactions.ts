/**
 * What users invoke: `/askdocs question:<text>`, "Ask askdocs about this message", and
 * the 👍/👎 buttons. Commands are acknowledged before any other work (Discord allows 3 s);
 * refusals (limits, allowlist, shutdown, a message without text, an over-long question)
 * are shown only to the asker, so admission comes before the acknowledgement here,
 * unlike everywhere else.
 * Where an answer goes depends on how askdocs is installed where the command was used
 * (`authorizing_integration_owners`; the table is in docs/discord.md): with the bot
 * there, in a thread; elsewhere (DMs, group DMs, a user install) in the command's reply
 * and follow-ups, privately where the server turned external apps off for the asker.
 */
import {
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  InteractionContextType,
  type MessageContextMenuCommandInteraction,
  MessageFlags,
  PermissionFlagsBits,
} from 'discord.js';
import { SeriesView } from '../../src/chat/answer-view.ts';
import { channelAllowed } from '../../src/chat/conversation.ts';
import type { AnswerJob } from '../../src/chat/delivery.ts';
import { NO_TEXT_TO_ASK_ABOUT, questionFromMessage } from '../../src/chat/question-from.ts';
import { threadTitle } from '../../src/chat/thread-title.ts';
import { parseVoteButtonId } from '../../src/chat/vote-button.ts';
import { cleanQuestion, questionRefusal } from '../../src/engine/question.ts';
import type { Vote } from '../../src/feedback/store.ts';
import { newRequestId } from '../../src/logger.ts';
import { NO_MENTIONS } from './api.ts';
import { COMMAND_NAME, MESSAGE_COMMAND_NAME, QUESTION_OPTION } from './commands.ts';
import type { BotContext } from './context.ts';
import { answerMessage } from './messages.ts';
import { AnswerReach, discordFailureText, followUpIfUnseen } from './rate-limits.ts';
import { CHANNEL_NOT_ALLOWED_TEXT, discordRenderer, EMPTY_QUESTION_TEXT, sourcesMessage, THREAD_NAME_LIMIT } from './render.ts';
import { interactionTransport } from './transports.ts';

type Command = ChatInputCommandInteraction | MessageContextMenuCommandInteraction;

export const ON_IT_TEXT = 'On it: the answer will follow that message, in its thread.';
export const FEEDBACK_THANKS = {
  up: 'Thanks! Your 👍 was recorded.',
  down: 'Thanks! Your 👎 was recorded; it helps us improve the docs and the answers.',
};
export const UNKNOWN_INTERACTION_TEXT = `That command or button is no longer in use. Ask with /${COMMAND_NAME} <your question>.`;
export const FEEDBACK_FAILED = "Sorry, your feedback couldn't be recorded right now. Please try again later.";

/** A reply only the user who acted sees. */
const privately = (content: string) => ({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS }) as const;

export async function handleInteraction(ctx: BotContext, interaction: Interaction): Promise<void> {
  const command = interaction.isChatInputCommand() || interaction.isMessageContextMenuCommand() ? interaction : undefined;
  const vote = interaction.isButton() ? parseVoteButtonId(interaction.customId) : undefined;
  if (!(command && [COMMAND_NAME, MESSAGE_COMMAND_NAME].includes(command.commandName)) && !vote) {
    // Interactions reach only the app they belong to, so this is one of ours from an older
    // version (a stale command, a button it no longer makes): silence would make Discord
    // show "This interaction failed".
    if (interaction.isRepliable() && (await ctx.delivery.claims.claim(`interaction:${interaction.id}`))) {
      await interaction.reply(privately(UNKNOWN_INTERACTION_TEXT)).catch((error: unknown) => {
        ctx.logger.warn({ err: error, interactionId: interaction.id }, 'could not answer an unknown interaction');
      });
    }
    return;
  }
  // Counted from the start: answers about to start hold back until this one is acknowledged.
  const acknowledged = ctx.delivery.acks.begin();
  try {
    // Claimed before acknowledging: with several replicas, only the one that wins responds.
    if (!(await ctx.delivery.claims.claim(`interaction:${interaction.id}`))) return;
    if (command) await respond(ctx, command, acknowledged);
    else if (vote && interaction.isButton()) await recordVote(ctx, interaction, vote);
  } finally {
    acknowledged();
  }
}

async function respond(ctx: BotContext, interaction: Command, acknowledged: () => void): Promise<void> {
  const requestId = newRequestId();
  const about = interaction.isMessageContextMenuCommand() ? interaction.targetMessage : undefined;
  const { channelId, user } = interaction;
  const kind = about ? 'message-command' : 'slash';
  const logger = ctx.logger.child({ requestId, kind, interactionId: interaction.id, channelId, userId: user.id });
  // Control or zero-width characters alone are no question (cleanQuestion).
  const question = interaction.isChatInputCommand()
    ? cleanQuestion(interaction.options.getString(QUESTION_OPTION) ?? '')
    : about && questionFromMessage(about.content, ctx.botUserId());
  const thread = interaction.channel?.isThread() ? interaction.channel : undefined;
  const inServer = interaction.inGuild();
  // The bot posts itself only where it was added: a server that installed it, or its own DMs.
  const botHere = inServer
    ? interaction.authorizingIntegrationOwners.guildId !== null
    : interaction.context !== InteractionContextType.PrivateChannel;
  const ephemeral = inServer && !botHere && !interaction.memberPermissions?.has(PermissionFlagsBits.UseExternalApps);
  // The allow-list is about the servers the bot was added to.
  const allowed =
    !botHere || channelAllowed(ctx.config.discord.allowedChannels, { id: channelId, parentId: thread?.parentId, isDm: !inServer });
  const noText = about ? NO_TEXT_TO_ASK_ABOUT : EMPTY_QUESTION_TEXT;
  // An over-long question is refused privately too, before a reply can show it.
  const refusal = !allowed ? CHANNEL_NOT_ALLOWED_TEXT : question ? questionRefusal(question) : noText;

  if (about && question && botHere && inServer && !refusal && ctx.delivery.accepting()) {
    // Answered where the message is, as if it had mentioned the bot; the asker hears privately that it is on its way.
    await interaction.reply(privately(ON_IT_TEXT)).finally(acknowledged);
    const route = about.channel?.isThread()
      ? { kind: 'thread' as const, thread: about.channel, mentioned: true }
      : { kind: 'mention' as const };
    answerMessage(ctx, about, route, question, {
      userId: user.id,
      notify: async (text) => void (await interaction.followUp(privately(text))),
      via: { requestId, interactionId: interaction.id },
    });
    return;
  }

  // While shutting down, every question hears that first.
  const admission =
    refusal && ctx.delivery.accepting()
      ? { ok: false as const, message: refusal }
      : await ctx.delivery.admit({ userId: user.id, channelId: thread?.parentId ?? channelId });
  if (!admission.ok) {
    // Tracked: a refusal during shutdown still goes out before the client disconnects.
    const refused = interaction.reply(privately(admission.message)).finally(acknowledged);
    await ctx.delivery.lifecycle.track(refused).catch((error: unknown) => logger.warn({ err: error }, 'could not show a refusal'));
    return;
  }
  const flags = ephemeral ? MessageFlags.Ephemeral : undefined;
  let originalId: string | null;
  try {
    // "askdocs is thinking…"; its id lets the bot token finish the reply should the interaction token run out.
    originalId = (await interaction.deferReply({ flags, withResponse: true }).finally(acknowledged)).interaction.responseMessageId;
  } catch (error) {
    admission.release();
    // Too late (Discord's 3 s passed) or the interaction is gone: nothing can be shown.
    logger.error({ err: error }, 'could not acknowledge the command');
    return;
  }
  logger.info({ chars: question?.length }, 'question');

  const transport = interactionTransport(ctx, interaction, { originalId, flags, logger, reach: new AnswerReach(logger) });
  const view = new SeriesView(transport, discordRenderer(ctx.options.textIntervalMs), logger);
  const job: AnswerJob = {
    question: question ?? '',
    userId: user.id,
    channelId,
    requestId,
    logger,
    history: async () => [],
    // The question has no message of its own; the digest links to the channel.
    thread: () => ({ workspaceId: interaction.guildId ?? undefined }),
    platformFailure: discordFailureText,
    async postSources(answer) {
      const answerRef = view.series.ids[0] as string;
      const sources = sourcesMessage(answer.citations, { abstained: answer.abstained, answerRef });
      // In a thread opened on the answer, or below it where the bot cannot open one (DMs, threads, private replies, no bot).
      const threadId = inServer && botHere && !thread && !ephemeral ? await openThread(answerRef, answer.text) : undefined;
      await (threadId ? ctx.api.postMessage(threadId, sources) : transport.post(sources, view.series.ids.length));
      return answerRef;
    },
  };
  ctx.delivery.start(async () => {
    await ctx.delivery.deliver(job, view).finally(() => admission.release());
    // The reply must not say "thinking…" for good when Discord refused even the note about its limit.
    followUpIfUnseen(transport, { signal: ctx.closing, logger });
  });

  async function openThread(answerRef: string, answer: string): Promise<string | undefined> {
    try {
      const { id } = await ctx.api.startThread(channelId, answerRef, threadTitle(job.question, THREAD_NAME_LIMIT));
      await ctx.delivery.threads.rememberStarter(id, { question: job.question, answer });
      return id;
    } catch (error) {
      logger.warn({ err: error }, 'could not open a thread on the answer; posting the sources below it');
      return undefined;
    }
  }
}

/** A 👍/👎 click, into the shared feedback store; a second click changes that user's vote. Thanked privately. */
async function recordVote(ctx: BotContext, interaction: ButtonInteraction, { vote, answerRef }: { vote: Vote; answerRef: string }) {
  const logger = ctx.logger.child({ kind: 'feedback', interactionId: interaction.id, userId: interaction.user.id });
  const recorded = await ctx.delivery.recordVote({ answerRef, userId: interaction.user.id, vote }, logger);
  await interaction
    .reply(privately(recorded ? FEEDBACK_THANKS[vote] : FEEDBACK_FAILED))
    .catch((error: unknown) => logger.warn({ err: error }, 'could not acknowledge the feedback click'));
}
