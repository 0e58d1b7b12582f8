/**
 * Turns Discord failures at startup (login, command registration) into one plain
 * `AskdocsError` line for the CLI: what went wrong and which setting to check.
 */
import { DiscordAPIError, DiscordjsError, HTTPError } from 'discord.js';
import { AskdocsError } from '../../src/errors.ts';
import { redactSecrets } from '../../src/logger.ts';

export function explainDiscordError(error: unknown, action: string): AskdocsError {
  if (error instanceof AskdocsError) return error;
  if (error instanceof DiscordjsError && error.code === 'TokenInvalid') {
    return new AskdocsError('config', `Discord rejected DISCORD_TOKEN while ${action}: check the bot token.`, { cause: error });
  }
  if (error instanceof DiscordAPIError) {
    if (error.status === 401) {
      return new AskdocsError('config', `Discord rejected DISCORD_TOKEN while ${action} (401 Unauthorized): check the bot token.`, {
        cause: error,
      });
    }
    if (error.status === 403 || error.status === 404) {
      return new AskdocsError(
        'config',
        `Discord refused ${action} (${error.status}: ${error.message}): check DISCORD_APPLICATION_ID and DISCORD_GUILD_ID, and that the bot was invited with the applications.commands scope.`,
        { cause: error },
      );
    }
    return new AskdocsError('config', `Discord refused ${action} (${error.status}: ${error.message}).`, { cause: error });
  }
  if (error instanceof HTTPError) {
    return new AskdocsError('config', `Discord answered ${error.status} while ${action}; try again later.`, { cause: error });
  }
  const reason = error instanceof Error ? redactSecrets(error.message) : String(error);
  return new AskdocsError('config', `Could not reach Discord while ${action}: ${reason}. Check DISCORD_API_URL and the network.`, {
    cause: error,
  });
}
