/**
 * Links 👍/👎 from the feedback store to logged questions. Both carry the request
 * id of the answer, so the link is made when the report is built: the adapters and
 * the feedback store need no change, and a vote cast after the question was logged
 * (or after a restart) still counts.
 */
import type { Config } from '../config.ts';
import { readFeedback } from '../feedback/reader.ts';
import { type FeedbackRecord, FeedbackStore, type Vote } from '../feedback/store.ts';

/** The verdict per request id: 'down' when any user's current vote is 👎, else 'up'. */
export function votesByRequest(feedbackDb: string): Map<string, Vote> {
  const store = FeedbackStore.openExisting(feedbackDb);
  if (!store) return new Map();
  try {
    return verdicts(store.list({ limit: ALL }));
  } finally {
    store.close();
  }
}

/**
 * The same, from wherever FEEDBACK_DB keeps feedback (the SQLite file or Redis). With
 * `since` (the report's window), only votes cast since then are read: a vote on a question
 * asked in the window is cast after it, and Redis may hold years of votes.
 */
export async function votesFromConfig(config: Config, options: { since?: Date } = {}): Promise<Map<string, Vote>> {
  return verdicts(await readFeedback(config, { limit: ALL, since: options.since }));
}

const ALL = 1_000_000;

function verdicts(records: FeedbackRecord[]): Map<string, Vote> {
  const out = new Map<string, Vote>();
  for (const record of records) {
    if (!record.requestId) continue;
    if (record.vote === 'down' || !out.has(record.requestId)) out.set(record.requestId, record.vote);
  }
  return out;
}
