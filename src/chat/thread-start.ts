/**
 * The turns a thread's history starts with, on any platform whose threads have a title:
 * the question and answer the bot remembers opening it on or, after a restart, the
 * message it was started from. When that is the bot's own answer, the question it
 * answered is the thread's title (the bot names its threads after the question).
 */
import type { Turn } from '../engine/types.ts';
import type { ThreadStarter } from './threads.ts';

export function threadStartTurns(remembered: ThreadStarter | undefined, starter: Turn | undefined, title: string): Turn[] {
  if (remembered) {
    return [
      { role: 'user', content: remembered.question },
      { role: 'assistant', content: remembered.answer },
    ];
  }
  if (!starter) return [];
  return starter.role === 'assistant' ? [{ role: 'user', content: title }, starter] : [starter];
}
