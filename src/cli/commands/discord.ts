/**
 * `askdocs discord` and `askdocs discord register`. discord.js is loaded only when
 * one of them runs, so other commands start without it.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function register(program: Command, ctx: CliContext): void {
  const discord = program
    .command('discord')
    .description('Run the Discord bot: /askdocs, @-mentions, thread follow-ups and DMs')
    .action(async () => {
      const { runBot } = await import('./discord-bot.ts');
      await runBot(ctx);
    });

  discord
    .command('register')
    .description('Register the /askdocs slash command (in DISCORD_GUILD_ID if set, otherwise globally)')
    .action(async () => {
      const config = ctx.loadConfig();
      try {
        // Only the command module: registering needs no engine, metrics or gateway client.
        const { registerCommands } = await import('../../../adapters/discord/commands.ts');
        const result = await registerCommands(config);
        process.stdout.write(
          result.scope === 'guild'
            ? `Registered /${result.names.join(', /')} in guild ${result.guildId}: usable there now.\n`
            : `Registered /${result.names.join(', /')} globally: Discord may take up to an hour to show it everywhere.\n`,
        );
      } catch (error) {
        ctx.fail(error);
      }
    });
}
