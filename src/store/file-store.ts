import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { BerthError, EXIT } from '../errors.js';
import { aliveIdentities } from '../platform/identity.js';
import { ensureBerthHome } from './berth-home.js';
import { lockApi, withFileLock } from './file-lock.js';
import { LeaseMirror } from './lease-mirror.js';
import { leaseLabel, leasePorts, stickyKey, type Lease, type LeaseView, type Leftover } from './lease.js';
import type { ClaimView, CommitResult, LeaseStore } from './lease-store.js';
import { moveAside, readPortsOfUnseen, readRegistry, writeRegistry, type Registry } from './registry-file.js';

export interface FileStoreOptions {
  /** The folder that holds registry.json (created 0700 when missing). */
  home: string;
  /** Where warnings go (a registry moved aside). Default: process.emitWarning. */
  warn?: (message: string) => void;
  /** Whether a lease's owner lives; default: untied reservations always, the others' owners in one batched check. */
  isAlive?: (lease: Lease) => boolean;
}

/**
 * Leases in `$BERTH_HOME/registry.json`. Every change runs under an exclusive lock on
 * `registry.lock`, synchronously, and is written by temp file + rename; snapshots read the file
 * without the lock (a rename never shows a half-written registry).
 */
export class FileLeaseStore implements LeaseStore {
  readonly home: string;
  readonly registryFile: string;
  readonly #lockFile: string;
  readonly #mirror: LeaseMirror;
  readonly #warn: (message: string) => void;
  /** Liveness of every lease at once: one batched identity check, not one per lease. */
  readonly #liveness: (leases: readonly Lease[]) => boolean[];

  constructor(options: FileStoreOptions) {
    this.home = options.home;
    this.registryFile = path.join(options.home, 'registry.json');
    this.#lockFile = path.join(options.home, 'registry.lock');
    this.#mirror = new LeaseMirror(options.home);
    this.#warn = options.warn ?? ((message) => process.emitWarning(message, { code: 'BERTH_REGISTRY' }));
    const isAlive = options.isAlive;
    this.#liveness = isAlive ? (leases) => leases.map((lease) => isAlive(lease)) : defaultLiveness;
    lockApi({ warn: this.#warn }); // choose the lock (load the addon) now, not inside the first claim
  }

  async snapshot(): Promise<ClaimView> {
    ensureBerthHome(this.home);
    let read = this.#guard(() => readRegistry(this.registryFile));
    if (read.corrupt || (read.missing && this.#mirrored())) read = { registry: await this.#transaction((registry) => ({ write: false, value: registry })), corrupt: false, repairs: [] };
    const { registry } = read;
    const alive = this.#liveness(registry.leases);
    return {
      seen: new Set(registry.leases.map((lease) => lease.id)),
      leases: registry.leases.filter((_, index) => alive[index] !== false),
      sticky: (root, env, instance) => registry.sticky[stickyKey(root, env, instance)],
    };
  }

  portsLeasedSince(view: ClaimView): Set<number> {
    return readPortsOfUnseen(this.registryFile, view.seen);
  }

  async commit(draft: Lease, options: { fixedInstance: boolean }): Promise<CommitResult> {
    return this.#transaction<CommitResult>((registry) => {
      const reclaimed = this.#dropStale(registry);
      const mine = new Set(leasePorts(draft));
      const conflicts = registry.leases.filter((lease) => leasePorts(lease).some((port) => mine.has(port)));
      if (conflicts.length > 0) return { write: reclaimed.length > 0, value: { ok: false, conflicts } };

      const siblings = registry.leases.filter((lease) => lease.project === draft.project && lease.env === draft.env);
      const lease = { ...draft };
      const holder = siblings.find((sibling) => sibling.instance === lease.instance);
      if (holder && options.fixedInstance) {
        const by = holder.reserved ? 'reserved (berth release frees it)' : `running (berth pid ${holder.owner.pid})`;
        throw new BerthError('INSTANCE_TAKEN', `instance ${lease.instance} of ${lease.project}/${lease.env} is already ${by}`, { exitCode: EXIT.failed });
      }
      if (holder) lease.instance = lowestFreeInstance(siblings);

      registry.leases.push(lease);
      const key = stickyKey(lease.root, lease.env, lease.instance);
      delete registry.sticky[key]; // re-inserted last: the most recent stays longest
      registry.sticky[key] = Object.fromEntries(lease.blocks.map((block) => [block.group, block.ports[0]]));
      return { write: true, value: { ok: true, lease } };
    });
  }

  async amend(id: string, change: Pick<Lease, 'services' | 'blocks'>): Promise<CommitResult> {
    return this.#transaction<CommitResult>((registry) => {
      const reclaimed = this.#dropStale(registry);
      const lease = registry.leases.find((candidate) => candidate.id === id);
      if (!lease) throw new BerthError('NO_LEASE', `lease ${id} is not in the registry`);
      const wanted = new Set(leasePorts(change));
      const conflicts = registry.leases.filter((other) => other !== lease && leasePorts(other).some((port) => wanted.has(port)));
      if (conflicts.length > 0) return { write: reclaimed.length > 0, value: { ok: false, conflicts } };
      lease.services = change.services;
      lease.blocks = change.blocks;
      return { write: true, value: { ok: true, lease } };
    });
  }

  async release(id: string): Promise<Lease | null> {
    return this.#transaction((registry) => {
      const index = registry.leases.findIndex((lease) => lease.id === id);
      if (index === -1) return { write: false, value: null };
      const [removed] = registry.leases.splice(index, 1);
      return { write: true, value: removed ?? null };
    });
  }

  async list(): Promise<LeaseView[]> {
    const { leases } = await this.#readUnlocked();
    const alive = this.#liveness(leases);
    return leases.map((lease, index) => ({ ...lease, stale: alive[index] === false }));
  }

  async reclaimStale(): Promise<Lease[]> {
    return this.#transaction((registry) => {
      const reclaimed = this.#dropStale(registry);
      return { write: reclaimed.length > 0, value: reclaimed };
    });
  }

  async update(id: string, patch: Partial<Pick<Lease, 'socket' | 'groups'>>): Promise<Lease | null> {
    return this.#transaction((registry) => {
      const lease = registry.leases.find((candidate) => candidate.id === id);
      if (!lease) return { write: false, value: null };
      Object.assign(lease, patch);
      return { write: true, value: lease };
    });
  }

  async ensure(lease: Lease): Promise<'present' | 'restored' | 'conflict'> {
    return this.#transaction((registry) => {
      if (registry.leases.some((candidate) => candidate.id === lease.id)) return { write: false, value: 'present' as const };
      const reclaimed = this.#dropStale(registry);
      const mine = new Set(leasePorts(lease));
      const clash = registry.leases.some((other) => leasePorts(other).some((port) => mine.has(port)));
      if (clash) return { write: reclaimed.length > 0, value: 'conflict' as const };
      registry.leases.push(lease);
      return { write: true, value: 'restored' as const };
    });
  }

  async #readUnlocked(): Promise<Registry> {
    ensureBerthHome(this.home);
    const read = this.#guard(() => readRegistry(this.registryFile));
    if (!read.corrupt && !(read.missing && this.#mirrored())) return read.registry;
    return this.#transaction((registry) => ({ write: false, value: registry }));
  }

  #dropStale(registry: Registry): Lease[] {
    const alive = this.#liveness(registry.leases);
    const stale = registry.leases.filter((_, index) => alive[index] === false);
    if (stale.length > 0) registry.leases = registry.leases.filter((lease) => !stale.includes(lease));
    // Whoever reclaims, the groups are not forgotten: `berth gc` ends them.
    const since = new Date().toISOString();
    for (const lease of stale) {
      if (lease.groups?.length) (registry.leftovers ??= []).push({ lease: lease.id, label: leaseLabel(lease), since, groups: lease.groups });
    }
    return stale;
  }

  async leftovers(): Promise<Leftover[]> {
    return this.#transaction((registry) => ({ write: false, value: registry.leftovers ?? [] }));
  }

  async forgetLeftovers(leaseIds: readonly string[]): Promise<void> {
    const forget = new Set(leaseIds);
    await this.#transaction((registry) => {
      const before = registry.leftovers ?? [];
      const kept = before.filter((leftover) => !forget.has(leftover.lease));
      const write = kept.length !== before.length;
      registry.leftovers = kept;
      return { write, value: undefined };
    });
  }

  /** Runs `fn` on the registry under the lock; writes it back when `fn` says it changed it. */
  async #transaction<T>(fn: (registry: Registry) => { write: boolean; value: T }): Promise<T> {
    ensureBerthHome(this.home);
    return withFileLock(this.#lockFile, () => {
      const read = readRegistry(this.registryFile);
      const lost = read.corrupt || read.missing === true;
      if (read.corrupt) {
        const aside = moveAside(this.registryFile);
        this.#warn(`${this.registryFile} was not a valid registry; moved it to ${aside} and started a new one from the leases' own copies`);
      }
      // Rebuilt in this same locked step: no claim can be given a running instance's ports meanwhile.
      if (lost) {
        read.registry.leases = this.#mirror.readAll();
        read.registry.leftovers = this.#mirror.readLeftovers();
      }
      const repaired = !read.corrupt && read.repairs.length > 0;
      if (repaired) this.#warn(`${this.registryFile}: ${read.repairs.join('; ')}`);
      const before = new Map(read.registry.leases.map((lease) => [lease.id, JSON.stringify(lease)]));
      const leftoversBefore = [...(read.registry.leftovers ?? [])];
      const firstUse = !this.#mirrored();
      const result = fn(read.registry);
      if (result.write || lost || repaired) writeRegistry(this.registryFile, read.registry);
      if (firstUse) this.#mirror.sync(read.registry.leases, read.registry.leftovers ?? []);
      else {
        this.#mirrorChanges(before, read.registry.leases);
        this.#mirror.syncLeftovers(leftoversBefore, read.registry.leftovers ?? []);
      }
      return result.value;
    }).catch((error: unknown) => {
      throw this.#storeError(error);
    });
  }

  /** Writes the copies of the leases `fn` added or changed, removes those of the leases it dropped. */
  #mirrorChanges(before: ReadonlyMap<string, string>, after: readonly Lease[]): void {
    const kept = new Set<string>();
    for (const lease of after) {
      kept.add(lease.id);
      if (before.get(lease.id) !== JSON.stringify(lease)) this.#mirror.write(lease);
    }
    for (const id of before.keys()) if (!kept.has(id)) this.#mirror.remove(id);
  }

  #mirrored(): boolean {
    return existsSync(this.#mirror.dir);
  }

  /** Runs a filesystem step, turning its failure into a BerthError that names BERTH_HOME. */
  #guard<T>(step: () => T): T {
    try {
      return step();
    } catch (error) {
      throw this.#storeError(error);
    }
  }

  #storeError(error: unknown): unknown {
    if (error instanceof BerthError || !(error instanceof Error) || !('code' in error)) return error;
    return new BerthError('STORE_UNAVAILABLE', `cannot use the lease registry in ${this.home} (BERTH_HOME): ${error.message}`, { cause: error });
  }
}

function lowestFreeInstance(siblings: readonly Lease[]): number {
  const used = new Set(siblings.map((lease) => lease.instance));
  let instance = 1;
  while (used.has(instance)) instance += 1;
  return instance;
}

/**
 * Reservations live until released, unless tied to an owner (`reserve --owner PID`); every
 * other lease's owner is checked, in one batch.
 */
function defaultLiveness(leases: readonly Lease[]): boolean[] {
  const owned = leases.filter((lease) => lease.reserved !== true || lease.ownerTied === true);
  const alive = aliveIdentities(owned.map((lease) => lease.owner));
  const byLease = new Map(owned.map((lease, index) => [lease, alive[index] ?? true]));
  return leases.map((lease) => byLease.get(lease) ?? true);
}
