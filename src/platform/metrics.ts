import { platformName } from './index.js';
import { posixGroupTotals } from './metrics-posix.js';
import { procfsGroupTotals } from './metrics-procfs.js';

/** CPU and memory of a whole process group (a service with everything it started). */
export interface GroupUsage {
  /** Of one core, over the time since the previous sample. */
  cpuPercent: number;
  rssBytes: number;
}

/** What the members of a group have used so far: CPU time since they started, and memory now. */
export interface GroupTotals {
  cpuSeconds: number;
  rssBytes: number;
}

/** One read of the process table per call, summed by process group, for the groups asked for. */
export type GroupTotalsReader = (pgids: ReadonlySet<number>) => Map<number, GroupTotals>;

export function groupTotalsReader(): GroupTotalsReader {
  return platformName() === 'procfs' ? procfsGroupTotals : posixGroupTotals;
}

/**
 * Samples the groups asked for with one read of the process table per call (a /proc scan on
 * Linux, one `ps -A` elsewhere), summing every member's CPU time and resident memory. CPU is the
 * share of one core since the previous sample of that group (0 on its first sample).
 *
 * Not pidusage: it takes pids, not groups, so a group's members would need a table read of their
 * own first (two reads per tick instead of one), and its per-pid history cannot sum a tree whose
 * members come and go (measured in README, "Why not execa, get-port, pidusage").
 */
export class GroupMetrics {
  readonly #read: GroupTotalsReader;
  #previous = new Map<number, { cpuSeconds: number; at: number }>();

  constructor(read: GroupTotalsReader = groupTotalsReader()) {
    this.#read = read;
  }

  sample(pgids: ReadonlySet<number>, now = Date.now()): Map<number, GroupUsage> {
    const result = new Map<number, GroupUsage>();
    const totals = pgids.size === 0 ? new Map<number, GroupTotals>() : this.#read(pgids);
    for (const [pgid, total] of totals) {
      const before = this.#previous.get(pgid);
      const seconds = before ? (now - before.at) / 1000 : 0;
      // A member that exited takes its CPU time with it: never report less than nothing.
      const cpuPercent = before && seconds > 0 ? Math.max(0, ((total.cpuSeconds - before.cpuSeconds) / seconds) * 100) : 0;
      result.set(pgid, { cpuPercent, rssBytes: total.rssBytes });
      this.#previous.set(pgid, { cpuSeconds: total.cpuSeconds, at: now });
    }
    for (const pgid of this.#previous.keys()) if (!totals.has(pgid)) this.#previous.delete(pgid);
    return result;
  }
}
