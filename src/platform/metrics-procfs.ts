import { readdirSync, readFileSync } from 'node:fs';
import type { GroupTotals } from './metrics.js';
import { pageSize } from './page-size.js';
import { statFields } from './procfs.js';

/** USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux architecture berth runs on. */
const TICKS_PER_SECOND = 100;

/** Linux: one /proc scan; utime + stime (clock ticks) and rss (pages × the real page size). */
export function procfsGroupTotals(pgids: ReadonlySet<number>): Map<number, GroupTotals> {
  const totals = new Map<number, GroupTotals>();
  const page = pageSize();
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid
    let fields: string[];
    try {
      fields = statFields(readFileSync(`/proc/${entry}/stat`, 'latin1'));
    } catch {
      continue; // gone meanwhile
    }
    const pgid = Number(fields[2]);
    if (!pgids.has(pgid)) continue;
    const total = totals.get(pgid) ?? { cpuSeconds: 0, rssBytes: 0 };
    total.cpuSeconds += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    total.rssBytes += Number(fields[21]) * page;
    totals.set(pgid, total);
  }
  return totals;
}
