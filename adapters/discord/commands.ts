/**
 * The `/askdocs question:<text>` slash command and its registration: to one guild when
 * DISCORD_GUILD_ID is set (updates at once, good for trying the bot), otherwise globally.
 * Registration is a bulk overwrite (PUT), so running it again is safe.
 */
import { InteractionContextType, REST, Routes, SlashCommandBuilder } from 'discord.js';
import { type Config, requireSettings } from '../../src/config.ts';
import { MAX_QUESTION_CHARS } from '../../src/engine/question.ts';
import { restApiBase } from './client.ts';
import { explainDiscordError } from './errors.ts';

export const COMMAND_NAME = 'askdocs';
export const QUESTION_OPTION = 'question';

export function askdocsCommand() {
  return new SlashCommandBuilder()
    .setName(COMMAND_NAME)
    .setDescription('Ask a question about the documentation')
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
    .addStringOption((option) =>
      option
        .setName(QUESTION_OPTION)
        .setDescription('Your question, e.g. "How do I create a collection?"')
        .setRequired(true)
        .setMaxLength(MAX_QUESTION_CHARS),
    )
    .toJSON();
}

export interface RegisteredCommands {
  scope: 'guild' | 'global';
  guildId?: string;
  names: string[];
}

export async function registerCommands(config: Config): Promise<RegisteredCommands> {
  requireSettings(config, ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID'], 'registering Discord commands');
  const { token, applicationId, guildId } = config.discord as { token: string; applicationId: string; guildId?: string };
  const api = restApiBase(config);
  const rest = new REST(api ? { api } : {}).setToken(token);
  const route = guildId ? Routes.applicationGuildCommands(applicationId, guildId) : Routes.applicationCommands(applicationId);
  let saved: { name: string }[];
  try {
    saved = (await rest.put(route, { body: [askdocsCommand()] })) as { name: string }[];
  } catch (error) {
    throw explainDiscordError(error, guildId ? `registering /askdocs in guild ${guildId}` : 'registering /askdocs globally');
  }
  return { scope: guildId ? 'guild' : 'global', guildId, names: saved.map((command) => command.name) };
}
