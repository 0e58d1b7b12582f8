/**
 * Who is listening on a loopback TCP port: a given process, another one, or nobody.
 *
 * The embedded engine is given a port that was free a moment earlier, and anything
 * may take it in between. A successful connect alone would then pass readiness
 * against someone else's server, and askdocs' requests would go there. On Linux the
 * kernel says which process owns the listening socket: the socket's inode is in the
 * port's row of /proc/<pid>/net/tcp (or tcp6) and among the process's file descriptors.
 * Elsewhere (no /proc) the owner is 'unknown' and readiness trusts the connect.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export type PortOwner = 'process' | 'other' | 'none' | 'unknown';

const LISTEN = '0A';

export function loopbackListenerOwner(pid: number, port: number): PortOwner {
  let listening: string[];
  let sockets: Set<string>;
  try {
    // gRPC listens on an IPv6 socket even for 127.0.0.1 (as ::ffff:127.0.0.1), so both tables.
    listening = ['tcp', 'tcp6'].flatMap((table) => listeningInodes(readFileSync(`/proc/${pid}/net/${table}`, 'utf8'), port));
    sockets = socketInodes(pid);
  } catch {
    return 'unknown';
  }
  if (listening.length === 0) return 'none';
  return listening.some((inode) => sockets.has(inode)) ? 'process' : 'other';
}

/** Inodes of the sockets listening on `port` (any local address), from a /proc net/tcp or tcp6 table. */
function listeningInodes(table: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const fields = line.trim().split(/\s+/);
    const [, local, , state] = fields;
    if (local?.split(':')[1] === hexPort && state === LISTEN && fields[9]) inodes.push(fields[9]);
  }
  return inodes;
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed since the listing
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  return inodes;
}
