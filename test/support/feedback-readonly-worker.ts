/**
 * Opens the feedback store at argv[2] the way a bot does (with a logger on stderr),
 * tries to record one vote, and prints { writable, error } on stdout. The feedback
 * tests run it as an unprivileged user, for whom a read-only file really is read-only.
 */
import { FeedbackStore } from '../../src/feedback/store.ts';
import { createLogger } from '../../src/logger.ts';

const store = FeedbackStore.open(process.argv[2] ?? '', { logger: createLogger({ level: 'warn' }) });
let error: string | undefined;
try {
  store.recordVote({ platform: 'slack', messageRef: 'C1:1.0', userId: 'U1', vote: 'up' });
} catch (caught) {
  error = caught instanceof Error ? caught.message : String(caught);
}
process.stdout.write(`${JSON.stringify({ writable: store.writable, error })}\n`);
store.close();
