import { randomBytes } from 'node:crypto';
import { formatRange, rangeSize, type PortRange } from '../config/port-range.js';
import type { BerthConfig, EnvironmentConfig, ServiceConfig } from '../config/types.js';
import { BerthError, EXIT, UsageError } from '../errors.js';
import { leaseLabel, leasePorts, type Lease, type LeaseBlock, type LeaseOwner } from '../store/lease.js';
import type { ClaimView, LeaseStore } from '../store/lease-store.js';
import { currentIdentity as currentOwner } from '../platform/identity.js';
import { findBlock, ProbeFindings, type Probe } from './find-block.js';
import { PortHolds } from './port-holds.js';
import { probePorts, type ProbeOutcome } from './bind-probe.js';

export interface AllocateOptions {
  store: LeaseStore;
  config: BerthConfig;
  env: EnvironmentConfig;
  /** Ask for this instance number; default: the lowest one not running. */
  instance?: number | undefined;
  /** Service name → first port, for this run only (`--port api=9000`). */
  pins?: Readonly<Record<string, number>> | undefined;
  /** Default: this process. */
  owner?: LeaseOwner;
  /**
   * A reservation (`berth reserve`): no supervisor, never stale; `'owner'` ties it to `owner`
   * (`berth reserve --owner PID`): stale once that process is gone.
   */
  reserved?: boolean | 'owner';
  /** Keep the probe sockets bound until the caller releases them (default true). */
  hold?: boolean;
  probe?: Probe;
}

export interface Allocation {
  lease: Lease;
  /** Probe sockets still bound on the lease's ports; release a service's just before spawning it. */
  holds: PortHolds;
}

export class NoBlockError extends BerthError {
  override name = 'NoBlockError';
  constructor(message: string, code = 'NO_BLOCK') {
    super(code, message, { exitCode: EXIT.noBlock });
  }
}

interface Group {
  key: string;
  services: ServiceConfig[];
  size: number;
  ranges: PortRange[];
  pinned?: number;
}

/**
 * Takes a lease for one instance of an environment: the shared block from the first of the
 * environment's ranges with room, a block per service with ranges of its own, and pinned ports,
 * all free of other leases and bindable. Ports are chosen and bound outside the store's lock (a
 * held bind keeps every other berth off them); the store then commits the lease atomically, and
 * a lease committed meanwhile on the same ports sends the allocation round again without them.
 */
export async function allocate(options: AllocateOptions): Promise<Allocation> {
  const { config, env, store } = options;
  const groups = planGroups(env, options.pins ?? {});
  const owner = options.owner ?? currentOwner();
  const probe = options.probe ?? probePorts;
  const committedMeanwhile = new Set<number>();

  for (let attempt = 1; ; attempt++) {
    const view = await store.snapshot();
    const instance = chooseInstance(view, config.project, env.name, options.instance);
    const leased = new Set([...view.leases.flatMap(leasePorts), ...committedMeanwhile]);
    const holds = new PortHolds();
    try {
      const draft = await planLease({ options, groups, owner, probe: skipLeasedSince(store, view, leased, probe), view, instance, leased, holds });
      const result = await store.commit(draft, { fixedInstance: options.instance !== undefined });
      if (result.ok) {
        if (options.hold === false) await holds.release();
        return { lease: result.lease, holds };
      }
      for (const port of result.conflicts.flatMap(leasePorts)) committedMeanwhile.add(port);
    } catch (error) {
      await holds.release();
      throw error;
    }
    await holds.release();
    if (attempt >= 100) throw new BerthError('CLAIM_CONTENDED', `gave up after ${attempt} attempts: other berths kept taking the ports chosen`);
  }
}

async function planLease(input: {
  options: AllocateOptions;
  groups: Group[];
  owner: LeaseOwner;
  probe: Probe;
  view: ClaimView;
  instance: number;
  leased: Set<number>;
  holds: PortHolds;
}): Promise<Lease> {
  const { options, groups, view, instance, leased, holds } = input;
  const { config, env } = options;
  const sticky = view.sticky(config.root, env.name, instance) ?? {};
  const findings = new ProbeFindings();
  const services: Record<string, number[]> = {};
  const blocks: LeaseBlock[] = [];
  for (const group of groups) {
    if (group.size === 0) continue;
    const found =
      group.pinned !== undefined
        ? await findBlock({ size: group.size, ranges: [pinnedRange(group)], leased }, holds, findings, input.probe)
        : await findBlock({ size: group.size, ranges: group.ranges, leased, preferred: sticky[group.key] }, holds, findings, input.probe);
    if (!found) throw noBlock(group, view, config.project, env.name, instance, findings);
    blocks.push({ range: found.range.name, ports: [found.first, found.last], group: group.key });
    let next = found.first;
    for (const service of group.services) {
      services[service.name] = Array.from({ length: service.portCount }, (_, i) => next + i);
      next += service.portCount;
    }
    for (let port = found.first; port <= found.last; port++) leased.add(port);
  }
  const main = blocks.find((block) => block.group === 'shared') ?? blocks[0];
  return {
    id: randomBytes(4).toString('hex'),
    project: config.project,
    root: config.root,
    env: env.name,
    instance,
    ports: main ? [...main.ports] : null,
    blocks,
    services: Object.fromEntries(env.services.map((service) => [service.name, services[service.name] ?? []])),
    owner: input.owner,
    createdAt: new Date().toISOString(),
    ...(options.reserved ? { reserved: true } : {}),
    ...(options.reserved === 'owner' ? { ownerTied: true } : {}),
  };
}

/**
 * The probe, but first re-reading which ports were leased since the snapshot: those are not
 * bound at all (another berth may be about to start its service on them, and even a brief probe
 * socket there would make that service fail to bind); they count as leased from then on.
 * Read once more after the probe: a berth that committed in between had held those ports until
 * then, so a hold that got one anyway is closed at once, not kept until this claim's commit.
 */
function skipLeasedSince(store: LeaseStore, view: ClaimView, leased: Set<number>, probe: Probe): Probe {
  if (!store.portsLeasedSince) return probe;
  const leasedSince = async () => {
    const now = await (store.portsLeasedSince as (view: ClaimView) => Set<number> | Promise<Set<number>>).call(store, view);
    for (const port of now) leased.add(port);
    return now;
  };
  return async (ports, options) => {
    const before = await leasedSince();
    const outcomes = await probe(ports.filter((port) => !before.has(port)), options);
    const after = outcomes.some((outcome) => outcome.free) ? await leasedSince() : before;
    const checked = outcomes.map((outcome) => {
      if (!outcome.free || !after.has(outcome.port)) return outcome;
      for (const server of outcome.hold ?? []) server.close();
      return leasedMeanwhile(outcome.port);
    });
    return [...checked, ...ports.filter((port) => before.has(port)).map(leasedMeanwhile)];
  };
}

function leasedMeanwhile(port: number): ProbeOutcome {
  return { port, free: false, reason: 'in-use', address: 'leased meanwhile' };
}

/** Gives a lease back. */
export async function release(store: LeaseStore, lease: Lease | string): Promise<Lease | null> {
  return store.release(typeof lease === 'string' ? lease : lease.id);
}

function planGroups(env: EnvironmentConfig, pins: Readonly<Record<string, number>>): Group[] {
  for (const [name, port] of Object.entries(pins)) {
    const service = env.services.find((candidate) => candidate.name === name);
    if (!service) throw new UsageError(`--port ${name}=${port}: no service "${name}" in environment ${env.name}`);
    if (service.portCount === 0) throw new UsageError(`--port ${name}=${port}: service ${name} has no ports`);
    if (!Number.isInteger(port) || port < 1 || port + service.portCount - 1 > 65535) {
      throw new UsageError(`--port ${name}=${port}: not a port number`);
    }
  }
  const groups: Group[] = [];
  const shared = env.services.filter((service) => service.ranges === null && pins[service.name] === undefined);
  groups.push({ key: 'shared', services: shared, size: sum(shared), ranges: env.ranges });
  for (const service of env.services) {
    const pinned = pins[service.name];
    if (pinned !== undefined) {
      groups.push({ key: service.name, services: [service], size: service.portCount, ranges: [], pinned });
    } else if (service.ranges !== null) {
      groups.push({ key: service.name, services: [service], size: service.portCount, ranges: service.ranges });
    }
  }
  return groups;
}

function pinnedRange(group: Group): PortRange {
  const first = group.pinned as number;
  const last = first + group.size - 1;
  return { name: `--port ${group.key}`, first, last };
}

function sum(services: ServiceConfig[]): number {
  return services.reduce((total, service) => total + service.portCount, 0);
}

function chooseInstance(view: ClaimView, project: string, env: string, requested: number | undefined): number {
  const running = view.leases.filter((lease) => lease.project === project && lease.env === env);
  const used = new Set(running.map((lease) => lease.instance));
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1) throw new UsageError(`--instance must be 1 or more, not ${requested}`);
    const holder = running.find((lease) => lease.instance === requested);
    if (holder) {
      const by = holder.reserved ? 'reserved (berth release frees it)' : `running (berth pid ${holder.owner.pid})`;
      throw new BerthError('INSTANCE_TAKEN', `instance ${requested} of ${project}/${env} is already ${by}`, { exitCode: EXIT.failed });
    }
    return requested;
  }
  let instance = 1;
  while (used.has(instance)) instance += 1;
  return instance;
}

function noBlock(group: Group, view: ClaimView, project: string, env: string, instance: number, findings: ProbeFindings): NoBlockError {
  const who = `${project}/${env}#${instance}`;
  if (group.pinned !== undefined) {
    const ports = Array.from({ length: group.size }, (_, i) => (group.pinned as number) + i);
    const holder = view.leases.find((lease) => leasePorts(lease).some((port) => ports.includes(port)));
    const reason = holder
      ? `leased by ${leaseLabel(holder)}`
      : ports.some((port) => findings.denied.has(port))
        ? 'not allowed to bind (a privileged port?)'
        : 'bound by another process';
    return new NoBlockError(`--port ${group.key}=${group.pinned}: port${ports.length > 1 ? 's' : ''} ${ports.join(', ')} ${ports.length > 1 ? 'are' : 'is'} taken: ${reason}`, 'PORT_TAKEN');
  }
  const lines = group.ranges.map((range) => {
    const holders = view.leases
      .map((lease) => ({ lease, ports: leasePorts(lease).filter((port) => port >= range.first && port <= range.last) }))
      .filter((entry) => entry.ports.length > 0);
    const leasedCount = holders.reduce((total, entry) => total + entry.ports.length, 0);
    const bound = [...findings.bound, ...findings.denied].filter((port) => port >= range.first && port <= range.last);
    const parts = holders.map((entry) => `${leaseLabel(entry.lease)} (${span(entry.ports)})`);
    if (bound.length > 0) parts.push(`${bound.length} bound by other processes (${span(bound)})`);
    const size = rangeSize(range);
    const fill = size < group.size ? `holds only ${size}` : `${leasedCount + bound.length} of ${size} in use`;
    return `  ${formatRange(range)}: ${fill}${parts.length ? ` — ${parts.join(', ')}` : ''}`;
  });
  const what = group.key === 'shared' ? `environment ${env}` : `service ${group.key}`;
  return new NoBlockError(`no block of ${group.size} consecutive free ports for ${what} of ${who} in any of its ranges:\n${lines.join('\n')}`);
}

function span(ports: number[]): string {
  const sorted = [...ports].sort((a, b) => a - b);
  const runs: string[] = [];
  let start = sorted[0];
  let previous = sorted[0];
  for (const port of [...sorted.slice(1), Number.NaN]) {
    if (port === (previous as number) + 1) {
      previous = port;
      continue;
    }
    runs.push(start === previous ? `${start}` : `${start}-${previous}`);
    start = port;
    previous = port;
  }
  return runs.length > 4 ? `${runs.slice(0, 4).join(', ')}, …` : runs.join(', ');
}
