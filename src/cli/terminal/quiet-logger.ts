/**
 * `ask` and `chat` talk to a person on stdout/stderr: a failure is reported as one
 * plain line, so JSON log lines would only be noise there. They log only when
 * LOG_LEVEL is set explicitly (e.g. LOG_LEVEL=debug askdocs ask ... to investigate).
 */
import type { Logger } from '../../logger.ts';

export function interactiveLogger(logger: Logger, env: NodeJS.ProcessEnv = process.env): Logger {
  return env.LOG_LEVEL ? logger : logger.child({}, { level: 'silent' });
}
