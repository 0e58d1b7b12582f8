/**
 * A one-line suggestion of what to write for a gap cluster: from the LLM when a
 * key is set, else (or when the LLM fails) from a template.
 */
import type { LlmClient } from '../answer/llm.ts';
import type { Logger } from '../logger.ts';

export interface SuggestionInput {
  representative: string;
  examples: string[];
  /** The closest existing page, when one is close enough to extend. */
  closest?: { path: string; heading: string };
  /** Nothing in the docs is anywhere near: probably not a docs question at all. */
  offTopic?: boolean;
}

export function templateSuggestion(input: SuggestionInput): string {
  const topic = input.representative
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[?.!]+$/, '');
  if (input.offTopic) return `Probably off-topic for these docs (nothing close): no page needed for "${topic}"`;
  return input.closest
    ? `Extend ${input.closest.path}${input.closest.heading ? ` (${input.closest.heading})` : ''} to answer: "${topic}?"`
    : `Write a page that answers: "${topic}?"`;
}

export async function llmSuggestion(llm: LlmClient, input: SuggestionInput, logger?: Logger): Promise<string> {
  try {
    const completion = await llm.complete({
      maxTokens: 80,
      temperature: 0.2,
      maxRetries: 1,
      messages: [
        {
          role: 'system',
          content:
            'You help a documentation team. Users asked the questions below and the docs could not answer them. ' +
            'Reply with ONE line (at most 25 words) saying what page or section to write or extend. No preamble, no quotes.',
        },
        {
          role: 'user',
          content: [
            ...input.examples.map((q) => `- ${q}`),
            input.closest ? `Closest existing page: ${input.closest.path} (${input.closest.heading})` : 'No existing page is close.',
            ...(input.offTopic ? ['The questions look unrelated to the product; if so, say that no page is needed.'] : []),
          ].join('\n'),
        },
      ],
    });
    const line = completion.text.replace(/\s+/g, ' ').trim().slice(0, 300);
    if (line.length === 0) return templateSuggestion(input);
    // Cut at the token limit: the reader should see that the line does not end there.
    return completion.finish === 'length' ? `${line}…` : line;
  } catch (error) {
    logger?.warn({ code: (error as { code?: unknown }).code }, 'gaps: the LLM suggestion failed; using the template');
    return templateSuggestion(input);
  }
}
