/**
 * `askdocs discord` and `askdocs discord register`. discord.js is loaded only when
 * one of them runs, so other commands start without it.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function register(program: Command, ctx: CliContext): void {
  const discord = program
    .command('discord')
    .description('Run the Discord bot: /askdocs, the message command, @-mentions, thread follow-ups, DMs and forum posts')
    .action(async () => {
      const { runBot } = await import('./discord-bot.ts');
      await runBot(ctx);
    });

  discord
    .command('register')
    .description('Register /askdocs and "Ask askdocs about this message" (in DISCORD_GUILD_ID if set, otherwise globally)')
    .action(async () => {
      // Only the command module: registering needs no engine, metrics or gateway client.
      const { registerCommands, REGISTER_SETTINGS } = await import('../../../adapters/discord/commands.ts');
      const config = ctx.loadConfig(REGISTER_SETTINGS);
      try {
        const result = await registerCommands(config);
        // Slash commands as typed (/askdocs), message commands as the menu shows them.
        const names = result.names.map((name) => (name.includes(' ') ? `"${name}"` : `/${name}`)).join(', ');
        process.stdout.write(
          result.scope === 'guild'
            ? `Registered ${names} in guild ${result.guildId}: usable there now.\n`
            : `Registered ${names} globally: Discord may take up to an hour to show them everywhere.\n`,
        );
      } catch (error) {
        ctx.fail(error);
      }
    });
}
