import { allocate } from '../../ports/allocate.js';
import { EXIT, UsageError } from '../../errors.js';
import { identityOf } from '../../platform/identity.js';
import { formatBlock, leaseLabel, servicePortsSummary, type Lease, type LeaseOwner } from '../../store/lease.js';
import { loadEnvironment, openStore, parseInstance, parsePins } from '../context.js';
import { printJson, printLine, type CliIo } from '../io.js';

/**
 * `berth reserve [ENV] [--owner PID]`: hold a block with no supervisor, until `berth release` —
 * or, with `--owner`, until that process is gone (then the lease is stale and reclaimed).
 */
export async function reserveCommand(
  io: CliIo,
  envName: string | undefined,
  options: { file?: string; instance?: string; port?: string[]; owner?: string; json?: boolean },
): Promise<number> {
  const owner = options.owner === undefined ? undefined : parseOwner(options.owner);
  const { config, env } = loadEnvironment(io, options.file, envName);
  const { lease } = await allocate({
    store: openStore(io),
    config,
    env,
    instance: parseInstance(options.instance),
    pins: parsePins(options.port),
    reserved: owner ? 'owner' : true,
    ...(owner ? { owner } : {}),
    hold: false,
  });
  if (options.json) printJson(io, lease);
  else printLine(io.stdout, `reserved ${describeLease(lease)}${owner ? `, while pid ${owner.pid} runs` : ''}`);
  return EXIT.ok;
}

/** `--owner PID`: the identity of a running process (pid, start, machine), as a lease records it. */
function parseOwner(value: string): LeaseOwner {
  const pid = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(pid) || pid < 1) throw new UsageError(`--owner takes a process id, not "${value}"`, 'BAD_OWNER');
  const identity = identityOf(pid);
  if (!identity) throw new UsageError(`--owner ${pid}: no process with pid ${pid} is running`, 'NO_OWNER');
  return identity;
}

export function describeLease(lease: Lease): string {
  const block = lease.ports ? formatBlock(lease.ports) : 'no ports';
  return `${leaseLabel(lease)} ${block} (${servicePortsSummary(lease) || 'no services with ports'}) — lease ${lease.id}`;
}
