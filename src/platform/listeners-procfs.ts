import { closeSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import type { ListenerReading } from './listeners.js';
import { SharedReading } from './shared-reading.js';

/**
 * Linux: the LISTEN sockets of /proc/net/tcp and tcp6 on the ports asked for, then every
 * process's open descriptors, to find which processes hold those sockets' inodes.
 */
export function procfsListeners(ports: ReadonlySet<number>, maxAgeMs = 0): ListenerReading {
  const listeners = new Map<number, number[]>();
  if (ports.size === 0) return { listeners };
  const inodes = new Map<string, number>();
  for (const [port, held] of socketReading.get(maxAgeMs)) if (ports.has(port)) for (const inode of held) inodes.set(inode, port);
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

/**
 * Port → inodes of every LISTEN socket, shared by the callers within `maxAgeMs` (a stack of 200
 * services being stopped asks once per check of each).
 */
const socketReading = new SharedReading(() => {
  const byPort = new Map<number, string[]>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let fd: number;
    try {
      fd = openSync(table, 'r');
    } catch {
      continue; // no IPv6
    }
    let text: string;
    try {
      text = readListeningSection((buffer) => readSync(fd, buffer, 0, buffer.length, null));
    } finally {
      closeSync(fd);
    }
    for (const [port, inode] of parseListenLines(text)) {
      const held = byPort.get(port);
      if (held) held.push(inode);
      else byPort.set(port, [inode]);
    }
  }
  return byPort;
});

/**
 * The start of a socket table, up to its last listening socket. The kernel lists the listening
 * sockets first (its listening hash, then the established one, TIME_WAIT included: tcp_seq_start
 * in net/ipv4/tcp_ipv4.c), so the read stops at the first whole line in another state: after a
 * burst of connections the table holds tens of thousands of TIME_WAIT lines (megabytes) that say
 * nothing about who listens. Only whole lines are returned.
 */
export function readListeningSection(read: (buffer: Buffer) => number, chunkSize = 64 * 1024): string {
  const buffer = Buffer.allocUnsafe(chunkSize);
  let text = '';
  for (;;) {
    const count = read(buffer);
    if (count === 0) break;
    text += buffer.toString('latin1', 0, count);
    if (pastListening(text)) break;
  }
  return text.slice(0, text.lastIndexOf('\n') + 1);
}

/** Whether the last whole line of `text` (past the header) is a socket in a state other than LISTEN. */
function pastListening(text: string): boolean {
  const end = text.lastIndexOf('\n');
  if (end === -1) return false;
  const line = text.slice(text.lastIndexOf('\n', end - 1) + 1, end);
  const state = STATE.exec(line);
  return state !== null && state[1] !== '0A';
}

const STATE = /^ *\d+: +[0-9A-F]+:[0-9A-F]{4} +[0-9A-F]+:[0-9A-F]{4} +([0-9A-F]{2}) /;

/**
 * `sl: local rem st tx:rx tr:when retrnsmt uid timeout inode`: the local port and the inode of
 * each line in state 0A (LISTEN), skipping inode 0 (a socket being torn down). Only the lines
 * holding ` 0A ` are parsed (no other field of a line can be those two characters alone).
 */
const LISTEN_LINE = /^ *\d+: +[0-9A-F]+:([0-9A-F]{4}) +[0-9A-F]+:[0-9A-F]{4} +0A +[0-9A-F]+:[0-9A-F]+ +[0-9A-F]+:[0-9A-F]+ +[0-9A-F]+ +\d+ +\d+ +(\d+)/;

export function parseListenLines(text: string): Array<[port: number, inode: string]> {
  const found: Array<[number, string]> = [];
  for (let at = text.indexOf(' 0A '); at !== -1; ) {
    const start = text.lastIndexOf('\n', at) + 1;
    let end = text.indexOf('\n', at);
    if (end === -1) end = text.length;
    const match = LISTEN_LINE.exec(text.slice(start, end));
    if (match && match[2] !== '0') found.push([Number.parseInt(match[1] as string, 16), match[2] as string]);
    at = text.indexOf(' 0A ', end);
  }
  return found;
}
