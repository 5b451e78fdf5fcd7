import { readdirSync, readFileSync, statSync } from 'node:fs';
import { RUN_MARKER, type ProcessEntry, type ProcessTable, type ProcessTableSource } from './process-table.js';

/** Linux: everything from /proc. */

/**
 * The fields of /proc/PID/stat after the command name, which is in parentheses and may itself
 * hold spaces: [0] state, [1] ppid, [2] pgid, … [19] start time in clock ticks.
 */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

const MARKER = Buffer.from(`${RUN_MARKER}=`);

/** The value of BERTH_RUN in a NUL-separated environ block, or null. */
export function markerIn(environ: Buffer): string | null {
  let at = environ.indexOf(MARKER);
  while (at > 0 && environ[at - 1] !== 0) at = environ.indexOf(MARKER, at + 1);
  if (at === -1) return null;
  const end = environ.indexOf(0, at);
  return environ.toString('latin1', at + MARKER.length, end === -1 ? environ.length : end);
}

function readOrNull(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch {
    return null; // gone meanwhile, or not ours to read
  }
}

export const procfsProcesses: ProcessTableSource = {
  read(): ProcessTable {
    const entries: ProcessEntry[] = [];
    for (const name of readdirSync('/proc')) {
      if (name.charCodeAt(0) > 57) continue; // not a pid
      const stat = readOrNull(`/proc/${name}/stat`);
      if (!stat) continue;
      const fields = statFields(stat.toString('latin1'));
      if (fields[0] === 'Z' || fields[0] === 'X') continue;
      const environ = readOrNull(`/proc/${name}/environ`);
      entries.push({ pid: Number(name), ppid: Number(fields[1]), pgid: Number(fields[2]), run: environ ? markerIn(environ) : null });
    }
    return { entries };
  },

  isAlive(pid: number): boolean {
    const stat = readOrNull(`/proc/${pid}/stat`);
    if (!stat) return false;
    const state = statFields(stat.toString('latin1'))[0];
    return state !== 'Z' && state !== 'X';
  },

  ownerUid(pid: number): number | null {
    try {
      return statSync(`/proc/${pid}`).uid;
    } catch {
      return null;
    }
  },
};
