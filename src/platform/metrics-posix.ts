import type { GroupTotals } from './metrics.js';
import { runPosixCommand } from './posix-command.js';

/**
 * Every other POSIX system: one `ps -A -o pid=,pgid=,rss=,time=` (LC_ALL=C) per sample; rss is
 * in KiB, time the cumulative CPU time (centiseconds on macOS, whole seconds on procps).
 */
export function posixGroupTotals(pgids: ReadonlySet<number>): Map<number, GroupTotals> {
  const totals = new Map<number, GroupTotals>();
  const output = runPosixCommand('ps', ['-A', '-o', 'pid=,pgid=,rss=,time=']);
  if (!output.ok) return totals;
  for (const line of output.stdout.split('\n')) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s*$/.exec(line);
    if (!match) continue;
    const pgid = Number(match[2]);
    const cpuSeconds = parseCpuTime(match[4] as string);
    if (!pgids.has(pgid) || cpuSeconds === null) continue;
    const total = totals.get(pgid) ?? { cpuSeconds: 0, rssBytes: 0 };
    total.cpuSeconds += cpuSeconds;
    total.rssBytes += Number(match[3]) * 1024;
    totals.set(pgid, total);
  }
  return totals;
}

/** `ps`'s `time`: `[[dd-]hh:]mm:ss[.cc]` → seconds, or null when it is something else. */
export function parseCpuTime(text: string): number | null {
  const match = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(text);
  if (!match) return null;
  const [, days, hours, minutes, seconds] = match;
  return Number(days ?? 0) * 86_400 + Number(hours ?? 0) * 3600 + Number(minutes) * 60 + Number(seconds);
}
