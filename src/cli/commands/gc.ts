import { EXIT } from '../../errors.js';
import { leaseLabel } from '../../store/lease.js';
import { WrittenRecords } from '../../store/written-record.js';
import { reapGroups } from '../../supervisor/reap.js';
import { removeOrphanedFiles } from '../../supervisor/written-files.js';
import { openStore } from '../store-access.js';
import { printJson, printLine, type CliIo } from '../io.js';

/**
 * `berth gc`: remove the leases whose owners are gone, and end the service process groups such
 * a berth left running (possible only if its watchdog died with it) — those of the leases it
 * reclaims now and those of leases another command reclaimed earlier.
 */
export async function gcCommand(io: CliIo, options: { json?: boolean }): Promise<number> {
  const store = openStore(io);
  const reclaimed = await store.reclaimStale();
  const leftovers = await store.leftovers();
  const reaped = new Map(await Promise.all(leftovers.map(async (leftover) => [leftover.lease, await reapGroups(leftover.groups)] as const)));
  // Ended, or found gone: either way nothing of them is left to end.
  await store.forgetLeftovers(leftovers.map((leftover) => leftover.lease));
  const reclaimedIds = new Set(reclaimed.map((lease) => lease.id));
  const earlier = leftovers.filter((leftover) => !reclaimedIds.has(leftover.lease));
  // The files (write_env, templates) of instances whose berth is gone: removed when still as berth wrote them.
  const files = removeOrphanedFiles(new WrittenRecords(store.home));

  if (options.json) {
    printJson(io, {
      reclaimed: reclaimed.map((lease) => ({ ...lease, reapedGroups: reaped.get(lease.id) ?? [] })),
      leftovers: earlier.map((leftover) => ({ ...leftover, reapedGroups: reaped.get(leftover.lease) ?? [] })),
      removedFiles: files.removed.map((record) => record.path),
      leftFiles: files.left.map(({ record, reason }) => ({ path: record.path, reason })),
    });
    return EXIT.ok;
  }
  for (const record of files.removed) printLine(io.stdout, `removed ${record.path} (written by ${record.label}, whose berth is gone)`);
  for (const { record, reason } of files.left) printLine(io.stdout, `left ${record.path} (written by ${record.label}): ${reason}`);
  const ended = (groups: readonly number[]) => `ended ${groups.length} leftover process group${groups.length === 1 ? '' : 's'} (${groups.join(', ')})`;
  if (reclaimed.length === 0 && !earlier.some((leftover) => reaped.get(leftover.lease)?.length)) printLine(io.stdout, 'no stale leases');
  for (const lease of reclaimed) {
    const groups = reaped.get(lease.id) ?? [];
    printLine(io.stdout, `reclaimed ${leaseLabel(lease)} (lease ${lease.id}, owner pid ${lease.owner.pid} is gone)${groups.length ? `; ${ended(groups)}` : ''}`);
  }
  for (const leftover of earlier) {
    const groups = reaped.get(leftover.lease) ?? [];
    if (groups.length) printLine(io.stdout, `${ended(groups)} of ${leftover.label} (lease ${leftover.lease}, reclaimed ${leftover.since.replace('T', ' ').slice(0, 19)})`);
  }
  return EXIT.ok;
}
