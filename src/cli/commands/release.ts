import { BerthError, EXIT, UsageError } from '../../errors.js';
import { leaseLabel, type LeaseView } from '../../store/lease.js';
import { findInstanceLease, loadEnvironment, openStore, parseInstance } from '../context.js';
import { printJson, printLine, type CliIo } from '../io.js';

/** `berth release LEASE|ENV [--instance N] [--json]`: give a reserved (or stale) block back. */
export async function releaseCommand(io: CliIo, target: string | undefined, options: { file?: string; instance?: string; json?: boolean }): Promise<number> {
  const store = openStore(io);
  const leases = await store.list();
  let lease: LeaseView | undefined;
  if (target !== undefined && options.instance === undefined) {
    const byId = leases.filter((candidate) => candidate.id === target || (target.length >= 4 && candidate.id.startsWith(target)));
    if (byId.length > 1) throw new UsageError(`lease id "${target}" is ambiguous: ${byId.map((candidate) => candidate.id).join(', ')}`);
    lease = byId[0];
  }
  if (!lease) {
    const { config, env } = loadEnvironment(io, options.file, target);
    lease = await findInstanceLease(store, config, env.name, parseInstance(options.instance));
  }
  if (!lease.reserved && !lease.stale) {
    throw new BerthError(
      'LEASE_IN_USE',
      `${leaseLabel(lease)} is held by a running berth (pid ${lease.owner.pid}); stop it with \`berth down\` instead`,
      { exitCode: EXIT.failed },
    );
  }
  const released = await store.release(lease.id);
  if (options.json) printJson(io, { released: released ? [released] : [] });
  else printLine(io.stdout, `released ${leaseLabel(lease)} (lease ${lease.id})`);
  return EXIT.ok;
}
