import { EXIT } from '../../errors.js';
import { leaseLabel } from '../../store/lease.js';
import { reapGroups } from '../../supervisor/reap.js';
import { openStore } from '../context.js';
import { printJson, printLine, type CliIo } from '../io.js';

/**
 * `berth gc`: remove the leases whose owners are gone, and end the service process groups such
 * a berth left running (possible only if its watchdog died with it).
 */
export async function gcCommand(io: CliIo, options: { json?: boolean }): Promise<number> {
  const reclaimed = await openStore(io).reclaimStale();
  const reaped = await Promise.all(reclaimed.map((lease) => reapGroups(lease.groups ?? [])));
  if (options.json) {
    printJson(io, { reclaimed: reclaimed.map((lease, index) => ({ ...lease, reapedGroups: reaped[index] })) });
    return EXIT.ok;
  }
  if (reclaimed.length === 0) printLine(io.stdout, 'no stale leases');
  reclaimed.forEach((lease, index) => {
    const groups = reaped[index] ?? [];
    const ended = groups.length ? `; ended ${groups.length} leftover process group${groups.length === 1 ? '' : 's'} (${groups.join(', ')})` : '';
    printLine(io.stdout, `reclaimed ${leaseLabel(lease)} (lease ${lease.id}, owner pid ${lease.owner.pid} is gone)${ended}`);
  });
  return EXIT.ok;
}
