import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Which processes listen on which TCP ports, read from /proc (Linux). Used to tell a leased
 * port that a stranger has bound from one bound by the lease's own services. Elsewhere it
 * returns an empty map: the bind probe still sees the port as taken, only not by whom.
 */
export function findListeners(ports: ReadonlySet<number>): Map<number, number[]> {
  const result = new Map<number, number[]>();
  if (process.platform !== 'linux' || ports.size === 0) return result;
  const inodes = new Map<string, number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== '0A') continue; // LISTEN
      const port = Number.parseInt(fields[1]?.split(':')[1] ?? '', 16);
      const inode = fields[9];
      if (ports.has(port) && inode && inode !== '0') inodes.set(inode, port);
    }
  }
  if (inodes.size === 0) return result;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const match = /^socket:\[(\d+)\]$/.exec(target);
      const port = match ? inodes.get(match[1] as string) : undefined;
      if (port === undefined) continue;
      const pids = result.get(port) ?? [];
      if (!pids.includes(Number(entry))) pids.push(Number(entry));
      result.set(port, pids);
    }
  }
  return result;
}
