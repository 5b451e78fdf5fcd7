import { readFileSync } from 'node:fs';
import { platformName } from './index.js';
import { runPosixCommand } from './posix-command.js';
import { statFields } from './procfs.js';

/**
 * Whether process `pid` has a controlling terminal and is in that terminal's foreground
 * process group — that is, whether a Ctrl-C typed there reaches it (and every process of its
 * group) straight from the terminal. Linux reads /proc/PID/stat (pgrp, tty_nr, tpgid); other
 * systems ask `ps -o pgid=,tpgid=`. Unknown counts as not in the foreground.
 */
export function inTerminalForeground(pid: number = process.pid): boolean {
  const groups = platformName() === 'procfs' ? fromProcfs(pid) : fromPs(pid);
  return groups !== null && groups.tpgid > 0 && groups.tpgid === groups.pgid;
}

interface Groups {
  pgid: number;
  /** The terminal's foreground process group; 0 or -1 when there is no controlling terminal. */
  tpgid: number;
}

function fromProcfs(pid: number): Groups | null {
  try {
    // After the command name: [0] state, [1] ppid, [2] pgrp, [3] session, [4] tty_nr, [5] tpgid.
    const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    if (Number(fields[4]) === 0) return null;
    return { pgid: Number(fields[2]), tpgid: Number(fields[5]) };
  } catch {
    return null;
  }
}

function fromPs(pid: number): Groups | null {
  const output = runPosixCommand('ps', ['-o', 'pgid=,tpgid=', '-p', String(pid)], { timeoutMs: 2000 });
  if (!output.ok) return null;
  const [pgid, tpgid] = output.stdout.trim().split(/\s+/).map(Number);
  if (!Number.isInteger(pgid) || !Number.isInteger(tpgid)) return null;
  return { pgid: pgid as number, tpgid: tpgid as number };
}
