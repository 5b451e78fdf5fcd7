import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { LeaseOwner } from './lease.js';

/**
 * Who owns a lease, and whether that process still lives. A pid alone is not enough: pids are
 * reused, so the owner's start time is recorded too, and a pid whose process started at
 * another time is somebody else.
 */

let bootTimeMs: number | undefined;
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ; 100 on every Linux build in use

function linuxBootTimeMs(): number {
  if (bootTimeMs === undefined) {
    const line = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    bootTimeMs = Number(line?.[1] ?? 0) * 1000;
  }
  return bootTimeMs;
}

/**
 * The fields of /proc/PID/stat after the command name, which is in parentheses and may itself
 * hold spaces: [0] state, [1] ppid, [2] pgid, … [19] start time in clock ticks.
 */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export interface ProcessInfo {
  startTime: number;
  state: string;
  ppid: number;
  pgid: number;
}

/** Start time (ms since epoch), state, parent and group of a live process; null when there is none. */
export function readProcess(pid: number): ProcessInfo | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (process.platform === 'linux') {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return null;
    }
    const fields = statFields(stat);
    const ticks = Number(fields[19]);
    return {
      state: fields[0] ?? '?',
      ppid: Number(fields[1]),
      pgid: Number(fields[2]),
      startTime: linuxBootTimeMs() + Math.round((ticks * 1000) / CLOCK_TICKS_PER_SECOND),
    };
  }
  try {
    const out = execFileSync('ps', ['-o', 'stat=,ppid=,pgid=,lstart=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    const match = /^(\S+)\s+(\d+)\s+(\d+)\s+(.+)$/.exec(out);
    if (!match) return null;
    return { state: match[1] ?? '?', ppid: Number(match[2]), pgid: Number(match[3]), startTime: Date.parse(match[4] ?? '') };
  } catch {
    return null;
  }
}

/** True when `pid` runs and is the same process that started at `startTime` (not a zombie). */
export function isProcessAlive(pid: number, startTime: number): boolean {
  const info = readProcess(pid);
  if (!info || info.state.startsWith('Z')) return false;
  // ps reports start times to the second on macOS.
  const tolerance = process.platform === 'linux' ? 0 : 1000;
  return Math.abs(info.startTime - startTime) <= tolerance;
}

export function currentOwner(): LeaseOwner {
  const self = readProcess(process.pid);
  return { pid: process.pid, startTime: self?.startTime ?? Date.now(), host: os.hostname() };
}

/** A lease owner is alive when its process is; owners on another host cannot be checked and count as alive. */
export function isOwnerAlive(owner: LeaseOwner): boolean {
  if (owner.host !== os.hostname()) return true;
  return isProcessAlive(owner.pid, owner.startTime);
}
