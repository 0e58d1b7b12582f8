/**
 * askdocs on Discord (discord.js 14): `/askdocs`, "Ask askdocs about this message",
 * @-mentions, forum posts, thread follow-ups and DMs, answered with sources and 👍/👎.
 *
 *   const bot = createDiscordBot({ engine, config, logger, feedback });
 *   await bot.start();   // ...   await bot.stop();   // waits (bounded) for answers in flight
 *   await registerCommands(config);   // both commands, to DISCORD_GUILD_ID or globally
 */
export { createDiscordBot, type DiscordBot, type DiscordBotDeps, MESSAGE_CONTENT_WARNING } from './bot.ts';
export { askdocsCommands, COMMAND_NAME, MESSAGE_COMMAND_NAME, type RegisteredCommands, registerCommands } from './commands.ts';
export type { DiscordBotOptions } from './context.ts';
