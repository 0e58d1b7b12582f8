/**
 * askdocs's commands and their registration: `/askdocs question:<text>` and the message
 * command "Ask askdocs about this message". Registered to one guild when
 * DISCORD_GUILD_ID is set (updates at once, good for trying the bot), otherwise globally,
 * where both can also be installed to a user's account and used in DMs and group DMs
 * (Discord takes installation types and contexts on global commands only).
 * Registration is a bulk overwrite (PUT), so running it again is safe.
 */
import {
  ApplicationCommandType,
  ApplicationIntegrationType,
  ContextMenuCommandBuilder,
  InteractionContextType,
  REST,
  Routes,
  SlashCommandBuilder,
} from 'discord.js';
import { type Config, type Requirement, requireSettings } from '../../src/config.ts';
import { MAX_QUESTION_CHARS } from '../../src/engine/question.ts';
import { restApiBase } from './client.ts';
import { explainDiscordError } from './errors.ts';

export const COMMAND_NAME = 'askdocs';
export const MESSAGE_COMMAND_NAME = 'Ask askdocs about this message';
export const QUESTION_OPTION = 'question';
/** What `askdocs discord register` needs; the CLI checks it with the rest of the config. */
export const REGISTER_SETTINGS: Requirement = {
  names: ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID'],
  purpose: 'registering Discord commands',
};

export function askdocsCommands(scope: 'guild' | 'global' = 'global') {
  const slash = new SlashCommandBuilder()
    .setName(COMMAND_NAME)
    .setDescription('Ask a question about the documentation')
    .addStringOption((option) =>
      option
        .setName(QUESTION_OPTION)
        .setDescription('Your question, e.g. "How do I create a collection?"')
        .setRequired(true)
        .setMaxLength(MAX_QUESTION_CHARS),
    );
  const aboutMessage = new ContextMenuCommandBuilder().setName(MESSAGE_COMMAND_NAME).setType(ApplicationCommandType.Message);
  for (const command of scope === 'global' ? [slash, aboutMessage] : []) {
    command
      .setIntegrationTypes(ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall)
      .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel);
  }
  return [slash.toJSON(), aboutMessage.toJSON()];
}

export interface RegisteredCommands {
  scope: 'guild' | 'global';
  guildId?: string;
  names: string[];
}

export async function registerCommands(config: Config): Promise<RegisteredCommands> {
  requireSettings(config, REGISTER_SETTINGS.names, REGISTER_SETTINGS.purpose);
  const { token, applicationId, guildId } = config.discord as { token: string; applicationId: string; guildId?: string };
  const api = restApiBase(config);
  const rest = new REST(api ? { api } : {}).setToken(token);
  const scope = guildId ? 'guild' : 'global';
  const route = guildId ? Routes.applicationGuildCommands(applicationId, guildId) : Routes.applicationCommands(applicationId);
  try {
    const saved = (await rest.put(route, { body: askdocsCommands(scope) })) as { name: string }[];
    return { scope, guildId, names: saved.map((command) => command.name) };
  } catch (error) {
    throw explainDiscordError(error, guildId ? `registering commands in guild ${guildId}` : 'registering commands globally');
  }
}
