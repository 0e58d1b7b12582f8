/**
 * Reading a Slack thread: whether the bot takes part in it, and its earlier turns as
 * engine history (`conversations.replies`), so follow-ups are answered in context.
 *
 *   readThread(client, { channel, threadTs, beforeTs, bot }) → { participates, history }
 *
 * What the bot remembers about threads without asking Slack (which it answered in, which
 * it recently found it is not part of) is src/state/thread-participation.ts, shared by
 * replicas through Redis.
 */
import type { webApi } from '@slack/bolt';

type WebClient = webApi.WebClient;

import { truncate } from '../../src/chat/sources.ts';
import type { Turn } from '../../src/engine/types.ts';
import { ANSWER_BLOCK_PREFIX, QUESTION_BLOCK, questionFromSlashBlock, SOURCES_BLOCK_PREFIX } from './blocks.ts';

export interface BotIdentity {
  userId?: string;
  botId?: string;
}

export interface ThreadView {
  participates: boolean;
  history: Turn[];
}

interface ApiMessage {
  ts?: string;
  user?: string;
  bot_id?: string;
  subtype?: string;
  text?: string;
  blocks?: { block_id?: string; text?: { text?: string } }[];
}

const MAX_TURNS = 12;
const MAX_TURN_CHARS = 2000;

export async function readThread(
  client: WebClient,
  input: { channel: string; threadTs: string; beforeTs?: string; bot: BotIdentity; placeholder?: string },
): Promise<ThreadView> {
  const response = await client.conversations.replies({ channel: input.channel, ts: input.threadTs, limit: 100 });
  const messages = (response.messages ?? []) as ApiMessage[];
  let participates = false;
  const turns: Turn[] = [];
  const before = input.beforeTs === undefined ? Number.POSITIVE_INFINITY : Number(input.beforeTs);
  for (const message of messages) {
    const fromBot = (input.bot.userId && message.user === input.bot.userId) || (input.bot.botId && message.bot_id === input.bot.botId);
    if (fromBot) participates = true;
    if (Number(message.ts) >= before) continue;
    if (fromBot) turns.push(...botTurns(message, input.placeholder));
    else if (!message.bot_id && !message.subtype && message.text) {
      turns.push({ role: 'user', content: stripMention(message.text, input.bot.userId) });
    }
  }
  return { participates, history: mergeTurns(turns).slice(-MAX_TURNS) };
}

function botTurns(message: ApiMessage, placeholder: string | undefined): Turn[] {
  const blocks = message.blocks ?? [];
  if (blocks.some((block) => block.block_id?.startsWith(SOURCES_BLOCK_PREFIX))) return [];
  const question = blocks.find((block) => block.block_id === QUESTION_BLOCK)?.text?.text;
  if (question !== undefined) {
    const answer = blocks
      .filter((block) => block.block_id?.startsWith(ANSWER_BLOCK_PREFIX))
      .map((block) => block.text?.text ?? '')
      .join('\n');
    return [
      { role: 'user', content: questionFromSlashBlock(question) },
      ...(answer && answer !== placeholder ? [{ role: 'assistant' as const, content: answer }] : []),
    ];
  }
  const text = message.text?.trim();
  if (!text || text === placeholder) return [];
  return [{ role: 'assistant', content: text }];
}

export function stripMention(text: string, botUserId: string | undefined): string {
  const withoutBot = botUserId ? text.split(`<@${botUserId}>`).join(' ') : text;
  return withoutBot.replace(/\s+/g, ' ').trim();
}

/** Joins consecutive turns of the same role (a multi-part answer is one turn). */
function mergeTurns(turns: Turn[]): Turn[] {
  const merged: Turn[] = [];
  for (const turn of turns) {
    const last = merged.at(-1);
    if (last && last.role === turn.role) last.content = `${last.content}\n\n${turn.content}`;
    else merged.push({ ...turn });
  }
  return merged.map((turn) => ({ role: turn.role, content: truncate(turn.content, MAX_TURN_CHARS) }));
}
