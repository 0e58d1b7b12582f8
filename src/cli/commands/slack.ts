/**
 * `askdocs slack`. The bot itself (Bolt and everything behind it) is loaded only
 * when this command runs, so other commands start without it.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('slack')
    .description(
      'Run the Slack bot: /askdocs, @-mentions, thread follow-ups, DMs and the AI-app pane (Socket Mode if SLACK_APP_TOKEN is set, else HTTP on PORT)',
    )
    .action(async () => {
      const { runBot } = await import('./slack-bot.ts');
      await runBot(ctx);
    });
}
