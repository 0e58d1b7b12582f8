/**
 * A thread's title from the question it answers, on any platform: one line, without
 * mentions (`<@123>`, `<#C1|general>`, `<!here>`, @everyone) or Markdown noise, cut to
 * the platform's limit.
 */
import { truncate } from '../engine/source-label.ts';

export function threadTitle(question: string, maxChars: number, fallback = 'Question about the docs'): string {
  const line = question
    .replace(/<[@#!][^>]*>|@(everyone|here)\b/g, '')
    .replace(/[`*_~>#|]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return truncate(line, maxChars) || fallback;
}
