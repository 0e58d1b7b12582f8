/**
 * A logger whose JSON lines a test can read: what an operator would find in the bot's log
 * (levels as labels: 'debug', 'info', 'warn', 'error').
 */
import { PassThrough } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.ts';

export interface CapturedLog {
  logger: Logger;
  lines: Record<string, unknown>[];
}

export function capturedLogger(level = 'info'): CapturedLog {
  const destination = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  destination.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { logger: createLogger({ level, destination }), lines };
}
