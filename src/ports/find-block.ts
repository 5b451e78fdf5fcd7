import { rangeSize, type PortRange } from '../config/port-range.js';
import { probePorts, type ProbeOutcome } from './bind-probe.js';
import { PortHolds } from './port-holds.js';

export interface BlockSearch {
  size: number;
  /** Tried in order: the first range with room gives the block. */
  ranges: readonly PortRange[];
  /** Ports of other leases (and of blocks already taken by this allocation). */
  leased: ReadonlySet<number>;
  /** First port to try before searching (the block remembered for this instance). */
  preferred?: number | undefined;
}

export interface FoundBlock {
  range: PortRange;
  first: number;
  last: number;
}

export type Probe = (ports: readonly number[], options: { hold: boolean }) => Promise<ProbeOutcome[]>;

/** What the search learnt about ports bound by other processes, for an exit-3 message. */
export class ProbeFindings {
  readonly bound = new Set<number>();
  readonly denied = new Set<number>();
}

/**
 * The lowest block of `size` consecutive ports, in the first range that has one, whose every
 * port is free of leases and binds on this machine. The ports of the block stay bound in
 * `holds`. Windows move past the highest unusable port, and probe sockets of ports that stay
 * inside the next window are kept, so each port is bound at most once per search.
 */
export async function findBlock(search: BlockSearch, holds: PortHolds, findings = new ProbeFindings(), probe: Probe = probePorts): Promise<FoundBlock | null> {
  const unusable = (port: number) => search.leased.has(port) || findings.bound.has(port) || findings.denied.has(port);

  if (search.preferred !== undefined) {
    const first = search.preferred;
    const range = search.ranges.find((candidate) => first >= candidate.first && first + search.size - 1 <= candidate.last);
    if (range) {
      const found = await tryWindow(range, first, search.size, unusable, holds, findings, probe);
      if (found) return found;
    }
  }

  for (const range of search.ranges) {
    if (rangeSize(range) < search.size) continue;
    const local = new PortHolds();
    let start = range.first;
    while (start + search.size - 1 <= range.last) {
      const last = start + search.size - 1;
      let blocked = -1;
      for (let port = last; port >= start; port--) {
        if (unusable(port)) {
          blocked = port;
          break;
        }
      }
      if (blocked !== -1) {
        start = blocked + 1;
        await local.release(local.ports.filter((port) => port < start));
        continue;
      }
      const toProbe: number[] = [];
      for (let port = start; port <= last; port++) if (!local.has(port)) toProbe.push(port);
      await probeInto(probe, toProbe, local, findings);
      if (toProbe.every((port) => local.has(port))) {
        holds.absorb(local);
        return { range, first: start, last };
      }
      // A probe that neither held a port nor said why not: move on rather than ask again forever.
      if (!toProbe.some(unusable)) start += 1;
    }
    await local.release();
  }
  return null;
}

async function tryWindow(
  range: PortRange,
  first: number,
  size: number,
  unusable: (port: number) => boolean,
  holds: PortHolds,
  findings: ProbeFindings,
  probe: Probe,
): Promise<FoundBlock | null> {
  const ports = Array.from({ length: size }, (_, i) => first + i);
  if (ports.some(unusable)) return null;
  const local = new PortHolds();
  await probeInto(probe, ports, local, findings);
  if (ports.every((port) => local.has(port))) {
    holds.absorb(local);
    return { range, first, last: first + size - 1 };
  }
  await local.release();
  return null;
}

/** Probes and holds `ports` into `local`; when the probe fails (out of descriptors), nothing stays held. */
async function probeInto(probe: Probe, ports: number[], local: PortHolds, findings: ProbeFindings): Promise<void> {
  let outcomes: ProbeOutcome[];
  try {
    outcomes = await probe(ports, { hold: true });
  } catch (error) {
    await local.release();
    throw error;
  }
  record(outcomes, local, findings);
}

function record(outcomes: ProbeOutcome[], local: PortHolds, findings: ProbeFindings): void {
  for (const outcome of outcomes) {
    if (outcome.free) {
      // Free but not held (a probe asked not to hold, or one that cannot): free all the same.
      local.add(outcome.port, outcome.hold ?? []);
    } else if (outcome.reason === 'denied') {
      findings.denied.add(outcome.port);
    } else {
      findings.bound.add(outcome.port);
    }
  }
}
