/**
 * A message in a thread without a mention is a follow-up only in threads the bot takes
 * part in. The thread memory (shared by replicas) settles most messages without asking
 * the platform; otherwise the platform's thread is read, and what it says is remembered.
 * At most one answer per message (its claim), tracked as an answer in flight.
 *
 *   await answerFollowUp(delivery, { thread, claim, read, answer, refuse, logger });
 */
import type { Turn } from '../engine/types.ts';
import { SHUTTING_DOWN_MESSAGE } from '../lifecycle.ts';
import type { Logger } from '../logger.ts';
import type { ChatDelivery } from './delivery.ts';

export interface FollowUp {
  /** The thread's key in the thread memory. */
  thread: string;
  /** The claim that makes one answer of this message. */
  claim: string;
  /** Reads the thread on the platform: does the bot take part, and its earlier turns. */
  read(): Promise<{ participates: boolean; history: Turn[] }>;
  answer(history: () => Promise<Turn[]>): Promise<void>;
  /** Tells the asker privately why not (shutting down). */
  refuse(text: string): Promise<unknown>;
  logger: Logger;
}

export async function answerFollowUp(delivery: ChatDelivery, input: FollowUp): Promise<void> {
  if (delivery.claims.seenHere(input.claim)) return;
  const known = await delivery.threads.status(input.thread);
  if (known === false) return;
  if (!delivery.accepting()) {
    if (known) await input.refuse(SHUTTING_DOWN_MESSAGE);
    return;
  }
  delivery.start(async () => {
    let thread: { participates: boolean; history: Turn[] };
    try {
      thread = await input.read();
    } catch (error) {
      // Unknown participation: stay quiet unless we know we answered in this thread.
      input.logger.warn({ err: error }, 'could not read a thread');
      thread = { participates: known === true, history: [] };
    }
    if (!thread.participates) return delivery.threads.markNotJoined(input.thread);
    await delivery.threads.markJoined(input.thread);
    if (await delivery.claims.claim(input.claim)) await input.answer(async () => thread.history);
  });
}
