/** "1 file", "2 files" ("1 person", "2 people" with `many`): a count with its noun, for messages people read. */
export function counted(n: number, noun: string, many = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : many}`;
}

/** "a", "a and b", "a, b and c": items listed in a sentence. */
export function listed(items: string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items.at(-1)}` : (items[0] ?? '');
}

/**
 * "a minute", or the whole minutes of a longer wait ("3 minutes"): when to try again, from
 * a Retry-After. Whole seconds first: a client's few ms of safety margin on "retry after
 * 120 s" is not a third minute.
 */
export function inMinutes(waitMs: number | undefined): string {
  const minutes = Math.max(1, Math.ceil(Math.round((waitMs ?? 0) / 1000) / 60));
  return minutes === 1 ? 'a minute' : `${minutes} minutes`;
}
