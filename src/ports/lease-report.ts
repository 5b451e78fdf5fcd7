import type { PortRange } from '../config/port-range.js';
import { leaseLabel, leasePorts, type LeaseView } from '../store/lease.js';
import { readProcess } from '../platform/identity.js';
import { findListeners } from '../platform/listeners.js';

/** A leased port that a process outside the lease has bound. */
export interface Conflict {
  port: number;
  lease: string;
  label: string;
  pids: number[];
}

/** How much of a range the leases use. */
export interface RangeUse {
  name: string;
  first: number;
  last: number;
  size: number;
  leased: number;
  holders: { lease: string; label: string; ports: number }[];
}

/**
 * Leased ports bound by a process that is not the lease's owner or one of its descendants.
 * A reservation has no supervisor, so whoever binds its ports is the user's own doing.
 */
export function findConflicts(leases: readonly LeaseView[], listeners = findListeners(new Set(leases.flatMap(leasePorts)))): Conflict[] {
  const conflicts: Conflict[] = [];
  for (const lease of leases) {
    if (lease.reserved) continue;
    const groups = new Set((lease.groups ?? []).map((group) => group.pgid));
    for (const port of leasePorts(lease)) {
      const outsiders = (listeners.get(port) ?? []).filter((pid) => lease.stale || !belongsTo(pid, lease.owner.pid, groups));
      if (outsiders.length > 0) conflicts.push({ port, lease: lease.id, label: leaseLabel(lease), pids: outsiders });
    }
  }
  return conflicts;
}

function belongsTo(pid: number, owner: number, groups: ReadonlySet<number>): boolean {
  let current = pid;
  for (let depth = 0; depth < 64 && current > 1; depth++) {
    if (current === owner) return true;
    const info = readProcess(current);
    if (!info) return false;
    if (groups.has(info.pgid)) return true;
    current = info.ppid;
  }
  return false;
}

export function rangeUse(ranges: readonly PortRange[], leases: readonly LeaseView[]): RangeUse[] {
  return ranges.map((range) => {
    const holders = leases
      .filter((lease) => !lease.stale)
      .map((lease) => ({ lease: lease.id, label: leaseLabel(lease), ports: leasePorts(lease).filter((port) => port >= range.first && port <= range.last).length }))
      .filter((holder) => holder.ports > 0);
    return {
      name: range.name,
      first: range.first,
      last: range.last,
      size: range.last - range.first + 1,
      leased: holders.reduce((total, holder) => total + holder.ports, 0),
      holders,
    };
  });
}
