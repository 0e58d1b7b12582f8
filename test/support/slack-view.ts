/**
 * Reads what a Slack user would see from the fake Web API: messages in a channel or
 * thread, the sources reply and its entries, ephemeral notices.
 */
import type { FakeMessage, FakeSlackApi } from '../fakes/slack-api.ts';

export interface BlockLike {
  type: string;
  block_id?: string;
  text?: { text?: string };
  elements?: { action_id?: string; value?: string; text?: { text?: string } }[];
}

export const blocksOf = (message: FakeMessage | undefined): BlockLike[] => (message?.blocks ?? []) as BlockLike[];

export function isSourcesMessage(message: FakeMessage): boolean {
  return blocksOf(message).some((block) => block.block_id === 'askdocs_sources_header');
}

/** The sources reply in a thread, once it exists. */
export function sourcesReply(api: FakeSlackApi, channel: string, threadTs: string): FakeMessage | undefined {
  return api.threadReplies(channel, threadTs).find(isSourcesMessage);
}

export function waitForSources(api: FakeSlackApi, channel: string, threadTs: string, timeoutMs = 10_000): Promise<FakeMessage> {
  return api.waitFor(() => sourcesReply(api, channel, threadTs), timeoutMs, `sources in ${channel}/${threadTs}`);
}

/** Source lines of a sources reply, e.g. "*[1]* <https://…|Title › Heading>". */
export function sourceLines(message: FakeMessage): string[] {
  return blocksOf(message)
    .filter((block) => block.block_id?.startsWith('askdocs_sources_') && block.block_id !== 'askdocs_sources_header')
    .map((block) => block.text?.text ?? '');
}

export function feedbackButtons(message: FakeMessage): { action_id?: string; value?: string }[] {
  return blocksOf(message).find((block) => block.type === 'actions')?.elements ?? [];
}

export interface NativeFeedbackButtons {
  type: string;
  action_id: string;
  positive_button: { value: string };
  negative_button: { value: string };
}

/** Slack's own 👍/👎 (`feedback_buttons` in a `context_actions` block) that end a streamed answer. */
export function nativeFeedbackButtons(message: FakeMessage | undefined): NativeFeedbackButtons | undefined {
  const actions = blocksOf(message).find((block) => block.type === 'context_actions');
  return actions?.elements?.[0] as NativeFeedbackButtons | undefined;
}

/** Answer messages in a thread (not the sources reply), oldest first, as a user reads them. */
export function answerTexts(api: FakeSlackApi, channel: string, threadTs: string): string[] {
  return api
    .threadReplies(channel, threadTs)
    .filter((message) => message.bot_id && !isSourcesMessage(message))
    .map((message) => api.visibleText(message));
}

export function ephemeralTexts(api: FakeSlackApi, channel: string): string[] {
  return api
    .callsTo('chat.postEphemeral')
    .filter((call) => call.args.channel === channel)
    .map((call) => String(call.args.text));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
