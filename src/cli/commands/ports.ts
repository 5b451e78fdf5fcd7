import { checkConfigFile } from '../../config/load-config.js';
import type { PortRange } from '../../config/port-range.js';
import { EXIT } from '../../errors.js';
import { findListeners } from '../../platform/listeners.js';
import { findConflicts, rangeUse } from '../../ports/lease-report.js';
import { formatBlock, leaseLabel, leasePorts, type LeaseView } from '../../store/lease.js';
import { openStore } from '../store-access.js';
import { printJson, printLine, table, warn, type CliIo } from '../io.js';

/**
 * `berth ports [--json]`: every lease (stale ones marked, then reclaimed), leased ports bound by
 * a process outside their lease, and how full each range of the nearest ports.yaml is.
 */
export async function portsCommand(io: CliIo, options: { file?: string; json?: boolean }): Promise<number> {
  const store = openStore(io);
  const leases = await store.list();
  if (leases.some((lease) => lease.stale)) await store.reclaimStale();
  const conflicts = findConflicts(leases, findListeners(new Set(leases.flatMap(leasePorts)), { warn: (message) => warn(io, message) }));
  const ranges = rangeUse(projectRanges(io, options.file), leases);

  if (options.json) {
    printJson(io, { leases, conflicts, ranges });
    return EXIT.ok;
  }
  if (leases.length === 0) printLine(io.stdout, 'no leases');
  else {
    const rows = [['LEASE', 'INSTANCE', 'PORTS', 'SERVICES', 'OWNER', 'SINCE']];
    for (const lease of leases) rows.push(leaseRow(lease));
    for (const line of table(rows)) printLine(io.stdout, line);
  }
  if (conflicts.length > 0) {
    printLine(io.stdout);
    printLine(io.stdout, 'conflicts (leased ports bound by a process outside the lease):');
    for (const conflict of conflicts) printLine(io.stdout, `  ${conflict.port} of ${conflict.label}: bound by pid ${conflict.pids.join(', ')}`);
  }
  if (ranges.length > 0) {
    printLine(io.stdout);
    printLine(io.stdout, 'ranges:');
    const rows = ranges.map((range) => [
      `  ${range.name}`,
      `${range.first}-${range.last}`,
      `${range.leased}/${range.size} leased`,
      range.holders.map((holder) => `${holder.label} ${holder.ports}`).join(', '),
    ]);
    for (const line of table(rows)) printLine(io.stdout, line);
  }
  return EXIT.ok;
}

function leaseRow(lease: LeaseView): string[] {
  const services = Object.entries(lease.services)
    .filter(([, ports]) => ports.length > 0)
    .map(([name, ports]) => `${name}:${ports.join(',')}`)
    .join(' ');
  const owner = lease.invalid
    ? `INVALID (${lease.invalid}); berth release ${lease.id}`
    : lease.stale
      ? `pid ${lease.owner.pid} (gone: stale, reclaimed)`
      : lease.reserved
        ? lease.ownerTied ? `reserved for pid ${lease.owner.pid}` : 'reserved'
        : `pid ${lease.owner.pid}`;
  const blocks = lease.blocks.map((block) => formatBlock(block.ports)).join(' ') || '-';
  return [lease.id, leaseLabel(lease), blocks, services || '-', owner, lease.createdAt.replace('T', ' ').slice(0, 19)];
}

/** The ranges of the nearest ports.yaml, if there is a valid one; `ports` works without it. */
function projectRanges(io: CliIo, file: string | undefined): PortRange[] {
  try {
    const { config } = checkConfigFile({ file, cwd: io.cwd, vars: io.env, ephemeral: null });
    if (!config) return [];
    const ranges = new Map<string, PortRange>(config.ranges);
    for (const env of config.environments.values()) for (const range of env.ranges) ranges.set(range.name, range);
    return [...ranges.values()];
  } catch {
    return [];
  }
}
