/**
 * Links 👍/👎 from the feedback store to logged questions. Both carry the request
 * id of the answer, so the link is made when the report is built: the adapters and
 * the feedback store need no change, and a vote cast after the question was logged
 * (or after a restart) still counts.
 */
import { FeedbackStore, type Vote } from '../feedback/store.ts';

/** The verdict per request id: 'down' when any user's current vote is 👎, else 'up'. */
export function votesByRequest(feedbackDb: string): Map<string, Vote> {
  const store = FeedbackStore.openExisting(feedbackDb);
  if (!store) return new Map();
  try {
    const out = new Map<string, Vote>();
    for (const record of store.list({ limit: 1_000_000 })) {
      if (!record.requestId) continue;
      if (record.vote === 'down' || !out.has(record.requestId)) out.set(record.requestId, record.vote);
    }
    return out;
  } finally {
    store.close();
  }
}
