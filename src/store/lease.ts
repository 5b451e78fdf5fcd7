import type { OwnerIdentity } from '../platform/identity.js';

/** One environment instance's ports, as kept in the store. */
export interface Lease {
  id: string;
  project: string;
  /** Folder of the ports.yaml the instance runs from. */
  root: string;
  env: string;
  instance: number;
  /** The environment's shared block, or the first block when every service has its own ranges; null with no ports. */
  ports: [number, number] | null;
  /** Every block of the lease: the shared one and one per service with `ranges:` of its own. */
  blocks: LeaseBlock[];
  /** Each service's ports, in declaration order. */
  services: Record<string, number[]>;
  owner: LeaseOwner;
  createdAt: string;
  /** Held by `berth reserve`: no supervisor, never stale (unless `ownerTied`), kept until `berth release`. */
  reserved?: boolean;
  /**
   * A reservation tied to its owner (`berth reserve --owner PID`): `owner` is that process, and
   * the lease goes stale when it dies (or its pid is reused), like a running berth's.
   */
  ownerTied?: boolean;
  /** Control socket of the supervisor that owns the lease. */
  socket?: string;
  /** The supervisor's service runs (process group, leader's start time, run marker, stop settings), to reap leftovers. */
  groups?: LeaseGroup[];
  /**
   * Set on a lease the registry holds but that is not one (wrong types, missing owner…): why.
   * Its ports (whatever can be read of them) stay taken and it is never stale, until `berth release`.
   */
  invalid?: string;
}

export interface LeaseBlock {
  /** The range the block was taken from (its name, or the literal). */
  range: string;
  ports: [number, number];
  /** 'shared', or the name of the service with a block of its own. */
  group: string;
}

/**
 * The lease's owner process: pid, start (a reused pid has another), the machine's stable id
 * as `host`, and its boot — see OwnerIdentity in src/platform/identity.ts for each field.
 */
export type LeaseOwner = OwnerIdentity;

/** A lease as listed: with whether its owner is gone. */
export type LeaseView = Lease & { stale: boolean };

export function leasePorts(lease: Pick<Lease, 'services'>): number[] {
  return Object.values(lease.services).flat();
}

/** `5001-5003`, or `5001` for a block of one port. */
export function formatBlock([first, last]: readonly [number, number]): string {
  return first === last ? `${first}` : `${first}-${last}`;
}

/** A service's consecutive ports as `4100-4101` (or `4300`), or `-` when it has none. */
export function formatPorts(ports: readonly number[]): string {
  return ports.length ? formatBlock([ports[0] as number, ports[ports.length - 1] as number]) : '-';
}

/** `api 4100-4101, web 4300`: the services that have ports, each with its ports. */
export function servicePortsSummary(lease: Pick<Lease, 'services'>): string {
  return Object.entries(lease.services)
    .filter(([, ports]) => ports.length > 0)
    .map(([name, ports]) => `${name} ${formatPorts(ports)}`)
    .join(', ');
}

export function leaseLabel(lease: Pick<Lease, 'project' | 'env' | 'instance'>): string {
  return `${lease.project}/${lease.env}#${lease.instance}`;
}

export function stickyKey(root: string, env: string, instance: number): string {
  return `${root}\u0000${env}\u0000${instance}`;
}

/** The process groups of a reclaimed lease, kept in the store until `berth gc` has ended them. */
export interface Leftover {
  /** The reclaimed lease's id and label (`shop/dev#1`). */
  lease: string;
  label: string;
  /** When the lease was reclaimed. */
  since: string;
  groups: LeaseGroup[];
}

/** One service run as recorded in its lease, for `berth gc` to end what a dead berth left. */
export interface LeaseGroup {
  pgid: number;
  startTime: number;
  /** The run's BERTH_RUN marker: finds its processes outside the group. */
  marker?: string;
  signal?: string;
  timeoutMs?: number;
}
