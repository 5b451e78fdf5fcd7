/**
 * What an identity backend answers: when a process started, in a form that no clock step and no
 * locale changes, and whether a recorded start is the process running now.
 */

/** A process's start as a backend reads it. */
export interface ProcessStart {
  pid: number;
  /** procfs: clock ticks since boot; posix: ms since the epoch (1 s resolution); NaN when ps printed a date it could not read. */
  startTime: number;
  /** procfs: the kernel's boot id; posix: `init:SECONDS`, when pid 1 started (see identity-posix.ts); null when unknown. */
  boot: string | null;
}

/** A start as recorded in a lease (or a lease's process group, which has no boot). */
export interface RecordedStart {
  startTime: number;
  boot?: string | null | undefined;
}

/** Start time, state, parent and group of one live process. */
export interface ProcessInfo {
  startTime: number;
  state: string;
  ppid: number;
  pgid: number;
}

export interface IdentityBackend {
  readonly name: 'procfs' | 'posix';
  /** One read for all of `pids`: each one's start, or null when it does not run (gone, or a zombie). */
  starts(pids: readonly number[]): (ProcessStart | null)[];
  /** Whether `current` (running now, same pid) is the process that `recorded` describes. */
  same(recorded: RecordedStart, current: ProcessStart): boolean;
  /** One process, with its parent and group; null when there is none. */
  readProcess(pid: number): ProcessInfo | null;
}

/**
 * Start times below this are clock ticks since boot (10^11 ticks at USER_HZ 100 is 31 years of
 * uptime); above, ms since the epoch (10^11 ms is 1973). A lease's process group records only a
 * start time, so this is how its kind is told.
 */
export const TICKS_LIMIT = 1e11;

export function validPid(pid: unknown): pid is number {
  return typeof pid === 'number' && Number.isInteger(pid) && pid > 0;
}
