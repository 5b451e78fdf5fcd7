/**
 * The process table as berth needs it: who runs, in which group, under which parent, and which
 * service run started it. A run is marked by `BERTH_RUN=<id>` in the environment berth gives a
 * service; every process the service starts inherits it, in its group or not, so a process that
 * left the group (a `setsid` daemon, a helper spawned `detached`) is still found.
 */
export const RUN_MARKER = 'BERTH_RUN';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgid: number;
  /** The run marker from the process's environment, when it has one (and berth may read it). */
  run: string | null;
}

/** Live processes only: zombies are dead for every purpose here. */
export interface ProcessTable {
  readonly entries: readonly ProcessEntry[];
}

export interface ProcessTableSource {
  /** A fresh read of every live process, with run markers. */
  read(): ProcessTable;
  /** Whether this one process is alive and not a zombie (cheap: no table read). */
  isAlive(pid: number): boolean;
  /** The user id a process runs as, or null when it is gone. */
  ownerUid(pid: number): number | null;
}
