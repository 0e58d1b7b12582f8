/**
 * Turns Discord failures at startup (login, command registration) into one plain
 * `AskdocsError` line for the CLI: what went wrong and which setting to check.
 */
import { DiscordAPIError, DiscordjsError, HTTPError } from 'discord.js';
import { AskdocsError } from '../../src/errors.ts';
import { redactSecrets } from '../../src/logger.ts';

export function explainDiscordError(error: unknown, action: string): AskdocsError {
  if (error instanceof AskdocsError) return error;
  const explained = (text: string) => new AskdocsError('config', text, { cause: error });
  if (error instanceof DiscordjsError && error.code === 'TokenInvalid') {
    return explained(`Discord rejected DISCORD_TOKEN while ${action}: check the bot token.`);
  }
  if (error instanceof DiscordAPIError) {
    if (error.status === 401) return explained(`Discord rejected DISCORD_TOKEN while ${action} (401 Unauthorized): check the bot token.`);
    const hint =
      error.status === 403 || error.status === 404
        ? ': check DISCORD_APPLICATION_ID and DISCORD_GUILD_ID, and that the bot was invited with the applications.commands scope'
        : '';
    return explained(`Discord refused ${action} (${error.status}: ${error.message})${hint}.`);
  }
  if (error instanceof HTTPError) return explained(`Discord answered ${error.status} while ${action}; try again later.`);
  const reason = error instanceof Error ? redactSecrets(error.message) : String(error);
  return explained(`Could not reach Discord while ${action}: ${reason}. Check DISCORD_API_URL and the network.`);
}
