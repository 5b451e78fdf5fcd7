import { parseRangeText } from '../../config/port-range.js';
import { EXIT, UsageError } from '../../errors.js';
import { probePorts } from '../../ports/bind-probe.js';
import { leaseLabel, leasePorts } from '../../store/lease.js';
import { openStore } from '../store-access.js';
import { printJson, printLine, type CliIo } from '../io.js';

interface PortCheck {
  port: number;
  free: boolean;
  lease?: string;
  reason?: string;
}

/** `berth check PORT...`: exit 0 when every port is free, 1 when any is leased or bound. */
export async function checkCommand(io: CliIo, args: string[], options: { json?: boolean }): Promise<number> {
  if (args.length === 0) throw new UsageError('berth check needs at least one PORT (or FIRST-LAST)');
  const ports: number[] = [];
  for (const arg of args) {
    const parsed = parseRangeText(arg);
    if (!parsed.ok) throw new UsageError(parsed.message);
    if (parsed.last - parsed.first >= 10_000) throw new UsageError(`"${arg}" spans too many ports to check (at most 10000)`);
    for (let port = parsed.first; port <= parsed.last; port++) ports.push(port);
  }
  const leases = (await openStore(io).list()).filter((lease) => !lease.stale);
  const outcomes = await probePorts(ports);
  const results: PortCheck[] = outcomes.map((outcome) => {
    const lease = leases.find((candidate) => leasePorts(candidate).includes(outcome.port));
    const label = lease ? leaseLabel(lease) : undefined;
    if (!outcome.free) {
      const reason = outcome.reason === 'denied' ? `not allowed to bind (${outcome.address})` : `bound on ${outcome.address}`;
      return { port: outcome.port, free: false, reason, ...(label ? { lease: label } : {}) };
    }
    if (label) return { port: outcome.port, free: false, lease: label, reason: 'leased' };
    return { port: outcome.port, free: true };
  });
  if (options.json) {
    printJson(io, { ports: results });
  } else {
    for (const result of results) {
      const detail = result.free ? 'free' : `in use: ${[result.reason, result.lease && `by lease ${result.lease}`].filter(Boolean).join(', ')}`;
      printLine(io.stdout, `${result.port} ${detail}`);
    }
  }
  return results.every((result) => result.free) ? EXIT.ok : EXIT.failed;
}
