/**
 * askdocs on Discord (discord.js 14): `/askdocs`, @-mentions, thread follow-ups and DMs,
 * answered in threads with sources and 👍/👎 feedback.
 *
 *   const bot = createDiscordBot({ engine, config, logger, feedback });
 *   await bot.start();   // ...
 *   await bot.stop();    // waits (bounded) for answers in flight
 *   await registerCommands(config);   // `/askdocs` to DISCORD_GUILD_ID, or globally
 */
export { createDiscordBot, type DiscordBot, type DiscordBotDeps, MESSAGE_CONTENT_WARNING } from './bot.ts';
export { gatewayIntents } from './client.ts';
export { askdocsCommand, COMMAND_NAME, type RegisteredCommands, registerCommands } from './commands.ts';
export type { DiscordBotOptions } from './context.ts';
