import { execFileSync } from 'node:child_process';
import { validPid, type IdentityBackend, type ProcessInfo, type ProcessStart, type RecordedStart } from './identity-backend.js';

/**
 * Every other POSIX system (macOS; Linux with BERTH_PLATFORM=posix): a process is (pid, `ps`'s
 * lstart at its real resolution of 1 s, the lstart of pid 1). One `ps` answers for every pid
 * asked about, always under LC_ALL=C and TZ=UTC: ps prints lstart in the locale's format
 * (`Di  2 Dez 02:50:00 2025` under de_DE on macOS, which Date.parse cannot read) and in local
 * time; under C and UTC it is `Tue Dec  2 02:50:00 2025`, read here field by field.
 *
 * Why pid 1 and not `sysctl kern.boottime`: macOS moves kern.boottime by the size of every step
 * of the wall clock (XNU's clock_set_calendar_microtime "also adjusts the boottime"), so
 * comparing it would make a clock step turn every live lease stale. What moves with the clock
 * differs by ps:
 *   - BSD/macOS ps prints each process's start as the kernel stored it at fork (p_starttime): a
 *     step changes no lstart. There the start of pid 1 is a boot identity that stays put.
 *   - procps (Linux) prints btime + ticks, with btime read from /proc/stat at each run: a step
 *     shifts every lstart, pid 1's too, by the same amount. There no boot identity can be had
 *     from ps; what stays put is how long after pid 1 a process started.
 * So: same process = same start relative to pid 1 (±1 s), and, where lstart is stored at fork
 * (not Linux), pid 1's start the same (±1 s). On Linux the posix backend is how the macOS code
 * path is tested; real Linux uses procfs, which has a boot id.
 */

export interface PosixIdentityOptions {
  /** The ps to run (default `ps` on PATH). */
  ps?: string;
  /** Whether ps's lstart is fixed at fork (BSD, macOS) rather than derived from the current boot time (procps). Default: not on Linux. */
  lstartFixedAtFork?: boolean;
}

const TOLERANCE_S = 1; // lstart has a resolution of one second
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Tue Dec  2 02:50:00 2025` (C locale, UTC) in ms since the epoch; NaN for anything else. */
export function parseLstart(text: string): number {
  const match = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/.exec(text.trim());
  const month = MONTHS.indexOf(match?.[1] ?? '');
  if (!match || month === -1) return NaN;
  return Date.UTC(Number(match[6]), month, Number(match[2]), Number(match[3]), Number(match[4]), Number(match[5]));
}

/** `init:SECONDS` ↔ the start of pid 1 in seconds. */
const bootOf = (initStartMs: number): string | null => (Number.isFinite(initStartMs) ? `init:${Math.round(initStartMs / 1000)}` : null);
const initSeconds = (boot: string | null | undefined): number | null => {
  const match = /^init:(\d+)$/.exec(boot ?? '');
  return match ? Number(match[1]) : null;
};

export function posixIdentity(options: PosixIdentityOptions = {}): IdentityBackend {
  const command = options.ps ?? 'ps';
  const fixedAtFork = options.lstartFixedAtFork ?? process.platform !== 'linux';

  /** ps's lines for these pids; throws when ps could not run at all (then nothing is known). */
  const ps = (columns: string, pids: readonly number[]): string[] => {
    let out: string;
    try {
      out = execFileSync(command, ['-o', columns, '-p', pids.join(',')], {
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' },
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 10_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      // ps exits 1 when some pid matches nothing; what it printed still counts.
      const failed = error as { status?: number | null; stdout?: unknown };
      if (failed.status !== 1) throw error;
      out = String(failed.stdout ?? '');
    }
    return out.split('\n');
  };

  return {
    name: 'posix',

    starts(pids: readonly number[]): (ProcessStart | null)[] {
      const asked = [...new Set(pids.filter(validPid))];
      if (asked.length === 0) return pids.map(() => null);
      const found = new Map<number, { zombie: boolean; start: number }>();
      for (const line of ps('pid=,stat=,lstart=', [1, ...asked])) {
        const match = /^\s*(\d+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
        if (match) found.set(Number(match[1]), { zombie: (match[2] ?? '').startsWith('Z'), start: parseLstart(match[3] ?? '') });
      }
      const boot = bootOf(found.get(1)?.start ?? NaN);
      return pids.map((pid) => {
        const entry = found.get(pid);
        return entry && !entry.zombie ? { pid, startTime: entry.start, boot } : null;
      });
    },

    same(recorded: RecordedStart, current: ProcessStart): boolean {
      // A date ps printed that cannot be read: the pid runs, and nothing more is known. Counting
      // it dead would hand its ports out again, so it counts as the same.
      if (!Number.isFinite(current.startTime)) return true;
      const recordedS = recorded.startTime / 1000;
      const currentS = current.startTime / 1000;
      const recordedInit = initSeconds(recorded.boot);
      const currentInit = initSeconds(current.boot);
      if (recordedInit === null || currentInit === null) return Math.abs(currentS - recordedS) <= TOLERANCE_S;
      if (fixedAtFork && Math.abs(currentInit - recordedInit) > TOLERANCE_S) return false; // another boot
      return Math.abs(currentS - currentInit - (recordedS - recordedInit)) <= TOLERANCE_S;
    },

    readProcess(pid: number): ProcessInfo | null {
      if (!validPid(pid)) return null;
      let lines: string[];
      try {
        lines = ps('pid=,stat=,ppid=,pgid=,lstart=', [pid]);
      } catch {
        return null; // no ps to ask
      }
      const line = lines.find((candidate) => candidate.trim() !== '');
      const match = /^\s*(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(.+?)\s*$/.exec(line ?? '');
      if (!match || Number(match[1]) !== pid) return null;
      return { state: match[2] ?? '?', ppid: Number(match[3]), pgid: Number(match[4]), startTime: parseLstart(match[5] ?? '') };
    },
  };
}
