import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { ListenerReading } from './listeners.js';

/**
 * Linux: the LISTEN sockets of /proc/net/tcp and tcp6 on the ports asked for, then every
 * process's open descriptors, to find which processes hold those sockets' inodes.
 */
export function procfsListeners(ports: ReadonlySet<number>, maxAgeMs = 0): ListenerReading {
  const listeners = new Map<number, number[]>();
  if (ports.size === 0) return { listeners };
  const inodes = new Map<string, number>();
  for (const [port, held] of listeningSockets(maxAgeMs)) if (ports.has(port)) for (const inode of held) inodes.set(inode, port);
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

let sockets: { at: number; byPort: Map<number, string[]> } | null = null;

/**
 * Port → inodes of every LISTEN socket, shared by the callers within `maxAgeMs` (a stack of 200
 * services being stopped asks once per check of each; the tables cost ~10 ms a read).
 */
function listeningSockets(maxAgeMs: number): Map<number, string[]> {
  const now = Date.now();
  if (sockets && maxAgeMs > 0 && now - sockets.at <= maxAgeMs) return sockets.byPort;
  const byPort = new Map<number, string[]>();
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
      if (!inode || inode === '0' || !Number.isInteger(port)) continue;
      const held = byPort.get(port);
      if (held) held.push(inode);
      else byPort.set(port, [inode]);
    }
  }
  sockets = { at: now, byPort };
  return byPort;
}
