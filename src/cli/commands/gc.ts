import { EXIT } from '../../errors.js';
import { leaseLabel } from '../../store/lease.js';
import { WrittenRecords } from '../../store/written-record.js';
import { reapGroups } from '../../supervisor/reap.js';
import { removeOrphanedFiles } from '../../supervisor/written-files.js';
import { openStore } from '../context.js';
import { printJson, printLine, type CliIo } from '../io.js';

/**
 * `berth gc`: remove the leases whose owners are gone, and end the service process groups such
 * a berth left running (possible only if its watchdog died with it).
 */
export async function gcCommand(io: CliIo, options: { json?: boolean }): Promise<number> {
  const store = openStore(io);
  const reclaimed = await store.reclaimStale();
  const reaped = await Promise.all(reclaimed.map((lease) => reapGroups(lease.groups ?? [])));
  // The files (write_env, templates) of instances whose berth is gone: removed when still as berth wrote them.
  const files = removeOrphanedFiles(new WrittenRecords(store.home));
  if (options.json) {
    printJson(io, {
      reclaimed: reclaimed.map((lease, index) => ({ ...lease, reapedGroups: reaped[index] })),
      removedFiles: files.removed.map((record) => record.path),
      leftFiles: files.left.map(({ record, reason }) => ({ path: record.path, reason })),
    });
    return EXIT.ok;
  }
  for (const record of files.removed) printLine(io.stdout, `removed ${record.path} (written by ${record.label}, whose berth is gone)`);
  for (const { record, reason } of files.left) printLine(io.stdout, `left ${record.path} (written by ${record.label}): ${reason}`);
  if (reclaimed.length === 0) printLine(io.stdout, 'no stale leases');
  reclaimed.forEach((lease, index) => {
    const groups = reaped[index] ?? [];
    const ended = groups.length ? `; ended ${groups.length} leftover process group${groups.length === 1 ? '' : 's'} (${groups.join(', ')})` : '';
    printLine(io.stdout, `reclaimed ${leaseLabel(lease)} (lease ${lease.id}, owner pid ${lease.owner.pid} is gone)${ended}`);
  });
  return EXIT.ok;
}
