// A node:test reporter that prints each test file's wall time, in the format of
// test/support/file-weights.txt ("<seconds> <path>", longest first), which
// scripts/test.sh orders the files by. To record it again:
//   ASKDOCS_TEST_WEIGHTS_OUT=/tmp/weights.txt npm test
// then copy the lines into that file (keeping its comments).
import { relative } from 'node:path';

export default async function* weightsReporter(source) {
  const seconds = new Map();
  for await (const event of source) {
    const { file, name, nesting, details } = event.data ?? {};
    // A file's own entry: the test named by its path at the top level, with its duration.
    if (event.type === 'test:complete' && nesting === 0 && file && name === file && details?.duration_ms !== undefined) {
      seconds.set(relative(process.cwd(), file), details.duration_ms / 1000);
    }
  }
  const rows = [...seconds].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [path, s] of rows) yield `${Math.round(s)} ${path}\n`;
}
