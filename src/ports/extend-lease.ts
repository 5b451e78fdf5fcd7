import type { PortRange } from '../config/port-range.js';
import { BerthError, EXIT } from '../errors.js';
import { leasePorts, type Lease } from '../store/lease.js';
import type { LeaseStore } from '../store/lease-store.js';
import { findBlock, ProbeFindings } from './find-block.js';
import type { PortHolds } from './port-holds.js';

/**
 * Gives a running lease a further block for a service added to ports.yaml: `size` consecutive
 * ports from `ranges`, free of every lease and bindable, held in `holds` until the service
 * starts. The lease in the store is amended atomically; returns the service's ports.
 */
export async function extendLease(store: LeaseStore, lease: Lease, service: string, size: number, ranges: readonly PortRange[], holds: PortHolds): Promise<number[]> {
  const committedMeanwhile = new Set<number>();
  for (let attempt = 1; attempt <= 100; attempt++) {
    const view = await store.snapshot();
    const leased = new Set([...view.leases.flatMap(leasePorts), ...leasePorts(lease), ...committedMeanwhile]);
    const found = await findBlock({ size, ranges, leased }, holds, new ProbeFindings());
    if (!found) {
      throw new BerthError('NO_BLOCK', `no block of ${size} free ports for ${service} in ${ranges.map((range) => range.name).join(', ')}`, { exitCode: EXIT.noBlock });
    }
    const ports = Array.from({ length: size }, (_, i) => found.first + i);
    const services = { ...lease.services, [service]: ports };
    const blocks = [...lease.blocks, { range: found.range.name, ports: [found.first, found.last] as [number, number], group: service }];
    const result = await store.amend(lease.id, { services, blocks });
    if (result.ok) {
      lease.services = services;
      lease.blocks = blocks;
      return ports;
    }
    for (const port of result.conflicts.flatMap(leasePorts)) committedMeanwhile.add(port);
    await holds.release(ports);
  }
  throw new BerthError('CLAIM_CONTENDED', `gave up finding ports for ${service}: other berths kept taking them`);
}

/** Takes a removed service's ports out of the lease (its block goes too, when it had its own). */
export async function shrinkLease(store: LeaseStore, lease: Lease, service: string): Promise<void> {
  const { [service]: _removed, ...services } = lease.services;
  const blocks = lease.blocks.filter((block) => block.group !== service);
  const result = await store.amend(lease.id, { services, blocks });
  if (result.ok) {
    lease.services = services;
    lease.blocks = blocks;
  }
}
