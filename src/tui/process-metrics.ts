import { readdirSync, readFileSync } from 'node:fs';
import { statFields } from '../store/process-identity.js';

/** CPU and memory of a whole process group (a service with everything it started). */
export interface GroupUsage {
  /** Of one core, over the time since the previous sample. */
  cpuPercent: number;
  rssBytes: number;
}

const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

/**
 * Samples the groups asked for with one /proc scan, summing every member's CPU time and
 * resident memory (Linux). pidusage cannot sum a live tree and spawning `ps` per call is slow,
 * so this reads /proc itself; elsewhere it reports nothing and the dashboard shows "-".
 */
export class GroupMetrics {
  #previous = new Map<number, { ticks: number; at: number }>();

  sample(pgids: ReadonlySet<number>, now = Date.now()): Map<number, GroupUsage> {
    const result = new Map<number, GroupUsage>();
    if (process.platform !== 'linux' || pgids.size === 0) return result;
    const totals = new Map<number, { ticks: number; rss: number }>();
    for (const entry of readdirSync('/proc')) {
      if (entry.charCodeAt(0) > 57) continue;
      let fields: string[];
      try {
        fields = statFields(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      } catch {
        continue;
      }
      const pgid = Number(fields[2]);
      if (!pgids.has(pgid)) continue;
      const total = totals.get(pgid) ?? { ticks: 0, rss: 0 };
      total.ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
      total.rss += Number(fields[21]) * PAGE_BYTES;
      totals.set(pgid, total);
    }
    for (const [pgid, total] of totals) {
      const before = this.#previous.get(pgid);
      const seconds = before ? (now - before.at) / 1000 : 0;
      const cpuPercent = before && seconds > 0 ? Math.max(0, ((total.ticks - before.ticks) / TICKS_PER_SECOND / seconds) * 100) : 0;
      result.set(pgid, { cpuPercent, rssBytes: total.rss });
      this.#previous.set(pgid, { ticks: total.ticks, at: now });
    }
    for (const pgid of this.#previous.keys()) if (!totals.has(pgid)) this.#previous.delete(pgid);
    return result;
  }
}
