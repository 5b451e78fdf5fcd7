import path from 'node:path';
import { findConfig } from '../config/find-config.js';
import type { InstanceControl } from '../control/instance-control.js';
import type { InstanceSnapshot } from '../control/protocol.js';
import { BerthError, EXIT, UsageError } from '../errors.js';
import { machineId } from '../platform/machine-id.js';
import { leaseLabel, type LeaseView } from '../store/lease.js';
import { openStore } from './store-access.js';
import type { CliIo } from './io.js';

/** A supervisor's lease and what its control socket answered (null: it did not answer). */
export interface Instance {
  lease: LeaseView;
  client: InstanceControl | null;
  snapshot: InstanceSnapshot | null;
  /** Run by a berth on another machine (leases shared through Redis): listed, not reachable from here. */
  remote?: boolean;
}

/**
 * The running instances of this project (the nearest ports.yaml), or of every project with
 * `all`. An instance whose socket does not answer is stale, never running.
 */
export async function listInstances(io: CliIo, options: { all?: boolean; file?: string | undefined }): Promise<Instance[]> {
  const store = openStore(io);
  let leases = (await store.list()).filter((lease) => !lease.reserved);
  if (!options.all) {
    // Only where ports.yaml is matters here, not whether it is valid: a stack keeps running
    // (and stays reachable) while its ports.yaml is being edited.
    const file = options.file === undefined ? findConfig(io.cwd) : path.resolve(io.cwd, options.file);
    if (file === undefined) {
      throw new UsageError(`no ports.yaml in ${io.cwd} or any parent folder: give -f FILE, or --all for every instance on this machine`);
    }
    const root = path.dirname(file);
    leases = leases.filter((lease) => lease.root === root);
  }
  return Promise.all(
    leases.map(async (lease) => {
      if (!lease.stale && onAnotherMachine(lease)) return { lease, client: null, snapshot: null, remote: true };
      if (lease.stale || !lease.socket) return { lease, client: null, snapshot: null };
      // The socket client (and node:http) loads only when there is an instance to ask.
      const { ControlClient } = await import('../control/control-client.js');
      const client = new ControlClient(lease.socket, { timeoutMs: 2000 });
      const snapshot = await client.instance().catch(() => null);
      return snapshot ? { lease, client, snapshot } : { lease: { ...lease, stale: true }, client: null, snapshot: null };
    }),
  );
}

/** A lease whose owner records another machine's id (leases of berth 0.1, without `boot`, are this machine's). */
function onAnotherMachine(lease: LeaseView): boolean {
  return lease.owner.boot !== undefined && lease.owner.host !== machineId();
}

/** The one running instance the command is about: by ENV and --instance when there are several. */
export async function pickInstance(
  io: CliIo,
  options: { env?: string | undefined; instance?: number | undefined; file?: string | undefined },
): Promise<Instance & { client: InstanceControl; snapshot: InstanceSnapshot }> {
  const running = (await listInstances(io, { file: options.file })).filter(
    (candidate): candidate is Instance & { client: InstanceControl; snapshot: InstanceSnapshot } => candidate.client !== null && candidate.snapshot !== null,
  );
  const matching = running.filter(
    (candidate) => (options.env === undefined || candidate.lease.env === options.env) && (options.instance === undefined || candidate.lease.instance === options.instance),
  );
  if (matching.length === 1) return matching[0] as Instance & { client: InstanceControl; snapshot: InstanceSnapshot };
  if (matching.length === 0) {
    const others = running.length ? ` (running: ${running.map((candidate) => leaseLabel(candidate.lease)).join(', ')})` : '';
    throw new BerthError('NO_INSTANCE', `no running instance${options.env ? ` of ${options.env}` : ''}${options.instance ? ` #${options.instance}` : ''} of this project${others}`, { exitCode: EXIT.failed });
  }
  throw new UsageError(`several running instances: ${matching.map((candidate) => leaseLabel(candidate.lease)).join(', ')}; pick one with ENV and --instance N`, 'AMBIGUOUS_INSTANCE');
}
