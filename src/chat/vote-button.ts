/**
 * The id a 👍/👎 button carries on surfaces whose buttons hold one string (Discord's
 * custom_id): the vote and the answer it rates, so a click needs no lookup, even after
 * a restart or on another replica.
 */
import type { Vote } from '../feedback/store.ts';

const PREFIX = 'askdocs:feedback:';

export function voteButtonId(vote: Vote, answerRef: string): string {
  return `${PREFIX}${vote}:${answerRef}`;
}

/** The vote a button id carries; undefined for any other id. */
export function parseVoteButtonId(id: string): { vote: Vote; answerRef: string } | undefined {
  if (!id.startsWith(PREFIX)) return undefined;
  const [vote, ...rest] = id.slice(PREFIX.length).split(':');
  const answerRef = rest.join(':');
  if ((vote !== 'up' && vote !== 'down') || answerRef === '') return undefined;
  return { vote, answerRef };
}
