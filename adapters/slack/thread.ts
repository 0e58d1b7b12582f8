/**
 * Reading a Slack thread: whether the bot takes part in it, and its earlier turns as
 * engine history (`conversations.replies`), so follow-ups are answered in context.
 *
 *   readThread(client, { channel, threadTs, beforeTs, bot }) → { participates, history }
 *   (the sources reply, an assistant thread's greeting and placeholders are not turns)
 */
import type { webApi } from '@slack/bolt';
import { mergeTurns, stripMention } from '../../src/chat/conversation.ts';
import { retryBriefly } from '../../src/chat/rate-limit.ts';
import type { Turn } from '../../src/engine/types.ts';
import {
  ANSWER_BLOCK_PREFIX,
  GREETING_BLOCK,
  PLACEHOLDER,
  QUESTION_BLOCK,
  questionFromSlashBlock,
  SOURCES_BLOCK_PREFIX,
} from './blocks.ts';
import { retryAfterMs } from './slack-errors.ts';

export interface BotIdentity {
  userId?: string;
  botId?: string;
}

/** The message fields askdocs reads, in events (app_mention, message) and in a thread's replies. */
export interface IncomingMessage {
  channel: string;
  user?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  bot_id?: string;
  subtype?: string;
  channel_type?: string;
  team?: string;
  blocks?: { block_id?: string; text?: { text?: string } }[];
}

const MAX_TURNS = 12;
const MAX_TURN_CHARS = 2000;

export async function readThread(
  client: webApi.WebClient,
  input: { channel: string; threadTs: string; beforeTs?: string; bot: BotIdentity },
): Promise<{ participates: boolean; history: Turn[] }> {
  // A brief rate limit is waited out (the client rejects them, index.ts): without the thread a follow-up loses its context.
  const response = await retryBriefly(
    () => client.conversations.replies({ channel: input.channel, ts: input.threadTs, limit: 100 }),
    retryAfterMs,
  );
  const messages = (response.messages ?? []) as Partial<IncomingMessage>[];
  const { bot } = input;
  let participates = false;
  const turns: Turn[] = [];
  const before = input.beforeTs === undefined ? Number.POSITIVE_INFINITY : Number(input.beforeTs);
  for (const message of messages) {
    const fromBot = (bot.userId && message.user === bot.userId) || (bot.botId && message.bot_id === bot.botId);
    if (fromBot) participates = true;
    if (Number(message.ts) >= before) continue;
    if (fromBot) turns.push(...botTurns(message));
    else if (!message.bot_id && !message.subtype && message.text)
      turns.push({ role: 'user', content: stripMention(message.text, bot.userId) });
  }
  return { participates, history: mergeTurns(turns, MAX_TURN_CHARS).slice(-MAX_TURNS) };
}

function botTurns(message: Partial<IncomingMessage>): Turn[] {
  const blocks = message.blocks ?? [];
  if (blocks.some((block) => block.block_id?.startsWith(SOURCES_BLOCK_PREFIX) || block.block_id === GREETING_BLOCK)) return [];
  const question = blocks.find((block) => block.block_id === QUESTION_BLOCK)?.text?.text;
  if (question !== undefined) {
    const answer = blocks
      .filter((block) => block.block_id?.startsWith(ANSWER_BLOCK_PREFIX))
      .map((block) => block.text?.text ?? '')
      .join('\n');
    return [
      { role: 'user', content: questionFromSlashBlock(question) },
      ...(answer && answer !== PLACEHOLDER ? [{ role: 'assistant' as const, content: answer }] : []),
    ];
  }
  const text = message.text?.trim();
  if (!text || text === PLACEHOLDER) return [];
  return [{ role: 'assistant', content: text }];
}
