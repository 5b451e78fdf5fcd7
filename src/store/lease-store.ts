import type { Lease, LeaseView, Leftover } from './lease.js';

/** The store as a claim sees it: the live leases and the remembered blocks. */
export interface ClaimView {
  /** Leases whose owners live. */
  readonly leases: readonly Lease[];
  /** First port of each block group last given to (root, env, instance), if remembered. */
  sticky(root: string, env: string, instance: number): Readonly<Record<string, number>> | undefined;
  /** Ids of every lease the snapshot saw, stale ones too. */
  readonly seen?: ReadonlySet<string>;
}

export type CommitResult =
  | { ok: true; lease: Lease }
  /** Leases committed since the snapshot that overlap the draft: plan again without their ports. */
  | { ok: false; conflicts: Lease[] };

/**
 * Where leases live. Claims are optimistic: take a `snapshot`, choose and bind ports outside any
 * lock, then `commit`, which atomically checks the draft against every live lease and stores it.
 * The file store commits under a file lock; a shared store (Redis) can commit with a script.
 */
export interface LeaseStore {
  snapshot(): Promise<ClaimView>;
  /**
   * Ports of the leases committed since `view` was taken: a cheap read without the lock,
   * checked just before each probe, so a claim never binds (even briefly) a port another berth
   * has just leased and is about to hand to its service.
   */
  portsLeasedSince?(view: ClaimView): Set<number> | Promise<Set<number>>;
  /**
   * Stores `draft` unless a live lease overlaps its ports. With `fixedInstance` false, a taken
   * instance number is replaced by the lowest free one; with true, it is an INSTANCE_TAKEN error.
   */
  commit(draft: Lease, options: { fixedInstance: boolean }): Promise<CommitResult>;
  /** Removes the lease; null when there was none with that id. */
  release(id: string): Promise<Lease | null>;
  /** Every lease, stale ones marked (and left in place). */
  list(): Promise<LeaseView[]>;
  /**
   * Removes the leases whose owners are gone and returns them. Their process groups stay in
   * the store as leftovers (every reclaim does this, not only gc's) until `forgetLeftovers`.
   */
  reclaimStale(): Promise<Lease[]>;
  /** Process groups of reclaimed leases that `berth gc` has not ended yet. */
  leftovers(): Promise<Leftover[]>;
  /** Drops the leftovers of these leases once their groups are ended (or gone). */
  forgetLeftovers(leaseIds: readonly string[]): Promise<void>;
  /**
   * Replaces a lease's services and blocks (ports.yaml reloaded: services added or removed),
   * unless a port it gains is held by another live lease.
   */
  amend(id: string, change: Pick<Lease, 'services' | 'blocks'>): Promise<CommitResult>;
  /** Records facts learnt after the claim (control socket, process groups). */
  update(id: string, patch: Partial<Pick<Lease, 'socket' | 'groups'>>): Promise<Lease | null>;
  /** Puts a lease back when it is missing (after a corrupt registry was set aside). */
  ensure(lease: Lease): Promise<'present' | 'restored' | 'conflict'>;
}
