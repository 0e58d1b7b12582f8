/** "1 file", "2 files": a count with its noun, for messages people read. */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
