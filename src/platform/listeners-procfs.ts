import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { ListenerReading } from './listeners.js';

/**
 * Linux: the LISTEN sockets of /proc/net/tcp and tcp6 on the ports asked for, then every
 * process's open descriptors, to find which processes hold those sockets' inodes.
 */
export function procfsListeners(ports: ReadonlySet<number>): ListenerReading {
  const listeners = new Map<number, number[]>();
  if (ports.size === 0) return { listeners };
  const inodes = listeningInodes(ports);
  if (inodes.size === 0) return { listeners };
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone meanwhile, or not ours to read
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
      const pids = listeners.get(port) ?? [];
      if (!pids.includes(Number(entry))) pids.push(Number(entry));
      listeners.set(port, pids);
    }
  }
  return { listeners };
}

/** Socket inode → port, for LISTEN sockets on the ports asked for. */
function listeningInodes(ports: ReadonlySet<number>): Map<string, number> {
  const inodes = new Map<string, number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== '0A') continue; // LISTEN
      const port = Number.parseInt(fields[1]?.split(':')[1] ?? '', 16);
      const inode = fields[9];
      if (ports.has(port) && inode && inode !== '0') inodes.set(inode, port);
    }
  }
  return inodes;
}
