import { runPosixCommand } from './posix-command.js';
import { RUN_MARKER, type ProcessEntry, type ProcessTable, type ProcessTableSource } from './process-table.js';

/**
 * Every other POSIX system (macOS, or Linux with BERTH_PLATFORM=posix): one `ps` call per
 * question, never one per pid, always under LC_ALL=C. The environment comes after the command
 * (`-E` on BSD/macOS, `e` on procps), so a run marker is found in the text after it.
 */
const ENV_FLAG = process.platform === 'linux' ? 'e' : '-E';
const MARKER = new RegExp(`(?:^| )${RUN_MARKER}=(\\S+)`);

/** ps's output (ps exits 1 when a selection matches nothing; what it printed still counts). */
function ps(args: string[]): string {
  const output = runPosixCommand('ps', args);
  return output.ok ? output.stdout : '';
}

export function parsePsLine(line: string): (ProcessEntry & { zombie: boolean }) | null {
  const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s?(.*)$/.exec(line);
  if (!match) return null;
  return {
    pid: Number(match[1]),
    ppid: Number(match[2]),
    pgid: Number(match[3]),
    zombie: (match[4] ?? '').startsWith('Z'),
    run: MARKER.exec(match[5] ?? '')?.[1] ?? null,
  };
}

export const posixProcesses: ProcessTableSource = {
  read(): ProcessTable {
    const entries: ProcessEntry[] = [];
    for (const line of ps(['-A', '-ww', ENV_FLAG, '-o', 'pid=,ppid=,pgid=,stat=,command=']).split('\n')) {
      const entry = parsePsLine(line);
      if (entry && !entry.zombie) entries.push({ pid: entry.pid, ppid: entry.ppid, pgid: entry.pgid, run: entry.run });
    }
    return { entries };
  },

  isAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    const state = ps(['-o', 'stat=', '-p', String(pid)]).trim();
    return state !== '' && !state.startsWith('Z');
  },

  ownerUid(pid: number): number | null {
    const uid = ps(['-o', 'uid=', '-p', String(pid)]).trim();
    return /^\d+$/.test(uid) ? Number(uid) : null;
  },
};
