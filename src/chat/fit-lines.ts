/**
 * Lines joined within a character budget (an embed description, a section's text):
 * when they do not all fit, the last line says how many were left out, and it always
 * fits too.
 */
export function fitLines(lines: string[], maxChars: number, more = (left: number) => `…and ${left} more`): string {
  const kept: string[] = [];
  let length = 0;
  for (const [index, line] of lines.entries()) {
    const note = more(lines.length - index);
    // Keep room for the note in case a later line does not fit.
    if (length + line.length + 1 + note.length + 1 > maxChars) return [...kept, note].join('\n');
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join('\n');
}
