/**
 * Test support: the embedded Milvus engine as a process, seen from /proc, for tests
 * that check it runs under askdocs and ends with it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The engine process under askdocs: a child named `milvus` of that pid, with its port. */
export function engineOf(parentPid: number): { pid: number; port: number } | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (!stat.includes('(milvus)') || Number(fields[1]) !== parentPid || fields[0] === 'Z') continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const port = Number(/^127\.0\.0\.1:(\d+)$/.exec(args[2] ?? '')?.[1]);
      return { pid: Number(entry), port };
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

/** Whether a process runs; a zombie (exited, not yet reaped) counts as gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
