import { allocate } from '../../ports/allocate.js';
import { EXIT } from '../../errors.js';
import { formatBlock, leaseLabel, servicePortsSummary, type Lease } from '../../store/lease.js';
import { loadEnvironment, openStore, parseInstance, parsePins } from '../context.js';
import { printJson, printLine, type CliIo } from '../io.js';

/** `berth reserve [ENV]`: hold a block with no supervisor, until `berth release`. */
export async function reserveCommand(
  io: CliIo,
  envName: string | undefined,
  options: { file?: string; instance?: string; port?: string[]; json?: boolean },
): Promise<number> {
  const { config, env } = loadEnvironment(io, options.file, envName);
  const { lease } = await allocate({
    store: openStore(io),
    config,
    env,
    instance: parseInstance(options.instance),
    pins: parsePins(options.port),
    reserved: true,
    hold: false,
  });
  if (options.json) printJson(io, lease);
  else printLine(io.stdout, `reserved ${describeLease(lease)}`);
  return EXIT.ok;
}

export function describeLease(lease: Lease): string {
  const block = lease.ports ? formatBlock(lease.ports) : 'no ports';
  return `${leaseLabel(lease)} ${block} (${servicePortsSummary(lease) || 'no services with ports'}) — lease ${lease.id}`;
}
