import { EXIT } from '../../errors.js';
import { leaseLabel } from '../../store/lease.js';
import { openStore } from '../context.js';
import { printJson, printLine, type CliIo } from '../io.js';

/** `berth gc`: remove the leases whose owners are gone. */
export async function gcCommand(io: CliIo, options: { json?: boolean }): Promise<number> {
  const reclaimed = await openStore(io).reclaimStale();
  if (options.json) {
    printJson(io, { reclaimed });
    return EXIT.ok;
  }
  if (reclaimed.length === 0) printLine(io.stdout, 'no stale leases');
  for (const lease of reclaimed) printLine(io.stdout, `reclaimed ${leaseLabel(lease)} (lease ${lease.id}, owner pid ${lease.owner.pid} is gone)`);
  return EXIT.ok;
}
