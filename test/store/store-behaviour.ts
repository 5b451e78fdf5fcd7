import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { selectEnvironment } from '../../src/config/select-environment.js';
import { identityOf } from '../../src/platform/identity.js';
import { allocate } from '../../src/ports/allocate.js';
import { leasePorts, type Lease } from '../../src/store/lease.js';
import type { LeaseStore } from '../../src/store/lease-store.js';
import { track } from '../helpers/processes.js';
import { exited } from '../helpers/spawn-line.js';
import { projectWith } from '../helpers/temp.js';

/** A fresh, empty store of the kind under test. */
export type StoreFactory = () => LeaseStore | Promise<LeaseStore>;

const yaml = (range: string, services = '{ api: { cmd: a, ports: 2 } }') => `version: 1
project: shop
ranges: { main: ${range} }
environments:
  dev:
    ranges: [main]
    services: ${services}
`;

async function setup(makeStore: StoreFactory, range: string, services?: string) {
  const root = projectWith(yaml(range, services));
  const config = loadConfig({ cwd: root, vars: {}, ephemeral: null });
  const env = selectEnvironment(config, 'dev');
  return { config, env, store: await makeStore() };
}

/** A process that only waits; killed by pid. */
function idleProcess() {
  const child = track(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' }));
  const identity = identityOf(child.pid as number);
  if (!identity) throw new Error('the idle process has no identity');
  return {
    identity,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid as number, 'SIGKILL');
      await exited(child);
    },
  };
}

function expectDisjoint(leases: readonly Lease[]): void {
  const owner = new Map<number, string>();
  for (const lease of leases) {
    for (const port of leasePorts(lease)) {
      expect(owner.get(port), `port ${port} in ${lease.id} and ${owner.get(port)}`).toBeUndefined();
      owner.set(port, lease.id);
    }
  }
}

/**
 * What every lease store does the same way. `base` is the first of 200 ports the cases may use
 * (each case takes its own 20).
 */
export function storeBehaviour(makeStore: StoreFactory, base: number): void {
  const range = (index: number) => `${base + index * 20}-${base + index * 20 + 19}`;
  const first = (index: number) => base + index * 20;

  it('gives the lowest free block and the lowest free instance number; both come back after release', async () => {
    const { store, config, env } = await setup(makeStore, range(0));
    const a = await allocate({ store, config, env, hold: false });
    const b = await allocate({ store, config, env, hold: false });
    expect([a.lease.instance, a.lease.ports, b.lease.instance, b.lease.ports]).toEqual([1, [first(0), first(0) + 1], 2, [first(0) + 2, first(0) + 3]]);
    expect(await store.release(a.lease.id)).toMatchObject({ id: a.lease.id });
    expect(await store.release(a.lease.id)).toBeNull();
    const c = await allocate({ store, config, env, hold: false });
    expect([c.lease.instance, c.lease.ports]).toEqual([1, [first(0), first(0) + 1]]);
    expect((await store.list()).map((lease) => [lease.id, lease.stale]).sort()).toEqual([[b.lease.id, false], [c.lease.id, false]].sort());
  });

  it('keeps sticky blocks: the same instance gets its block again once it is free', async () => {
    const { store, config, env } = await setup(makeStore, range(1));
    const a = await allocate({ store, config, env, hold: false, instance: 1 });
    const b = await allocate({ store, config, env, hold: false, instance: 2 });
    await store.release(a.lease.id);
    await store.release(b.lease.id);
    const again = await allocate({ store, config, env, hold: false, instance: 2 });
    expect(again.lease.ports).toEqual(b.lease.ports);
  });

  it('a requested instance that is taken is INSTANCE_TAKEN; a racing commit without one gets the next number', async () => {
    const { store, config, env } = await setup(makeStore, range(2));
    const a = await allocate({ store, config, env, hold: false, instance: 1, reserved: true });
    await expect(allocate({ store, config, env, hold: false, instance: 1 })).rejects.toMatchObject({ code: 'INSTANCE_TAKEN', message: expect.stringContaining('reserved') });
    // A draft planned as instance 1 (a stale snapshot) is renumbered by the commit.
    const draft: Lease = { ...a.lease, id: 'draft1', ports: [first(2) + 10, first(2) + 11], blocks: [{ range: 'main', ports: [first(2) + 10, first(2) + 11], group: 'shared' }], services: { api: [first(2) + 10, first(2) + 11] } };
    const result = await store.commit(draft, { fixedInstance: false });
    expect(result).toMatchObject({ ok: true, lease: { id: 'draft1', instance: 2 } });
    await expect(store.commit({ ...draft, id: 'draft2', ports: [first(2) + 12, first(2) + 13], services: { api: [first(2) + 12, first(2) + 13] } }, { fixedInstance: true })).rejects.toMatchObject({ code: 'INSTANCE_TAKEN' });
  });

  it('tells a claim the ports of leases committed after its snapshot, and not those it saw', async () => {
    const { store, config, env } = await setup(makeStore, `${first(3) + 10}-${first(3) + 19}`);
    const seen = await allocate({ store, config, env, hold: false });
    const view = await store.snapshot();
    expect(store.portsLeasedSince).toBeDefined();
    expect([...(await store.portsLeasedSince!(view))]).toEqual([]);
    const later = await allocate({ store, config, env, hold: false });
    expect([...(await store.portsLeasedSince!(view))].sort()).toEqual(leasePorts(later.lease).sort());
    expect(leasePorts(seen.lease).some((port) => leasePorts(later.lease).includes(port))).toBe(false);
  });

  it('a commit overlapping a live lease is refused with that lease as the conflict', async () => {
    const { store, config, env } = await setup(makeStore, range(3));
    const a = await allocate({ store, config, env, hold: false });
    const result = await store.commit({ ...a.lease, id: 'other', instance: 5 }, { fixedInstance: false });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.conflicts.map((lease) => lease.id)).toEqual([a.lease.id]);
  });

  it('20 claims at once in one process get disjoint blocks and distinct instances', async () => {
    const { store, config, env } = await setup(makeStore, `${first(4)}-${first(4) + 59}`);
    const claims = await Promise.all(Array.from({ length: 20 }, () => allocate({ store, config, env, hold: false })));
    const leases = claims.map((claim) => claim.lease);
    expectDisjoint(leases);
    expect(new Set(leases.map((lease) => lease.instance)).size).toBe(20);
    expect((await store.list()).length).toBe(20);
  });

  it('an untied reservation never goes stale; one tied to a dead owner is stale at once and reclaimed by the next claim, which gets its block', async () => {
    const { store, config, env } = await setup(makeStore, `${first(7)}-${first(7) + 19}`);
    const untiedOwner = idleProcess();
    const tiedOwner = idleProcess();
    try {
      const untied = await allocate({ store, config, env, reserved: true, owner: untiedOwner.identity, hold: false });
      const tied = await allocate({ store, config, env, reserved: 'owner', owner: tiedOwner.identity, hold: false });
      expect(tied.lease).toMatchObject({ reserved: true, ownerTied: true });
      expect((await store.list()).map((lease) => lease.stale)).toEqual([false, false]);
      await untiedOwner.kill();
      await tiedOwner.kill();
      const listed = Object.fromEntries((await store.list()).map((lease) => [lease.id, lease.stale]));
      expect(listed).toEqual({ [untied.lease.id]: false, [tied.lease.id]: true });
      const next = await allocate({ store, config, env, hold: false, instance: 2 });
      expect(next.lease.ports).toEqual(tied.lease.ports); // sticky, and free again
      expect((await store.list()).map((lease) => lease.id).sort()).toEqual([untied.lease.id, next.lease.id].sort());
      expect(await store.reclaimStale()).toEqual([]);
    } finally {
      await untiedOwner.kill();
      await tiedOwner.kill();
    }
  });

  it('a reclaimed lease keeps its process groups as leftovers until they are forgotten', async () => {
    const { store, config, env } = await setup(makeStore, range(8));
    const owner = idleProcess();
    try {
      const { lease } = await allocate({ store, config, env, reserved: 'owner', owner: owner.identity, hold: false });
      const groups = [{ pgid: 4242, startTime: 7, marker: 'm1', signal: 'SIGTERM', timeoutMs: 5000 }];
      expect(await store.update(lease.id, { groups, socket: '/tmp/x.sock' })).toMatchObject({ id: lease.id, groups, socket: '/tmp/x.sock' });
      expect(await store.update('nope', { socket: '/y' })).toBeNull();
      await owner.kill();
      expect((await store.reclaimStale()).map((entry) => entry.id)).toEqual([lease.id]);
      expect(await store.leftovers()).toEqual([{ lease: lease.id, label: 'shop/dev#1', since: expect.any(String), groups }]);
      await store.forgetLeftovers([lease.id]);
      expect(await store.leftovers()).toEqual([]);
    } finally {
      await owner.kill();
    }
  });

  it('amend changes services and blocks unless another live lease holds a port it gains', async () => {
    const { store, config, env } = await setup(makeStore, range(9));
    const a = await allocate({ store, config, env, hold: false });
    const b = await allocate({ store, config, env, hold: false });
    const p = first(9);
    const grown = { services: { api: [p, p + 1], web: [p + 10] }, blocks: [...a.lease.blocks, { range: 'main', ports: [p + 10, p + 10] as [number, number], group: 'web' }] };
    expect(await store.amend(a.lease.id, grown)).toMatchObject({ ok: true, lease: { services: grown.services } });
    const clash = await store.amend(a.lease.id, { services: { api: [p, p + 1], web: [p + 2] }, blocks: a.lease.blocks });
    expect(clash.ok).toBe(false);
    expect(!clash.ok && clash.conflicts.map((lease) => lease.id)).toEqual([b.lease.id]);
    expect((await store.list()).find((lease) => lease.id === a.lease.id)?.services).toEqual(grown.services);
    await expect(store.amend('nope', grown)).rejects.toMatchObject({ code: 'NO_LEASE' });
  });

  it('ensure: present, restored when missing, conflict when another lease took its ports', async () => {
    const { store, config, env } = await setup(makeStore, range(5));
    const a = await allocate({ store, config, env, hold: false });
    expect(await store.ensure(a.lease)).toBe('present');
    await store.release(a.lease.id);
    expect(await store.ensure(a.lease)).toBe('restored');
    expect((await store.list()).map((lease) => lease.id)).toEqual([a.lease.id]);
    await store.release(a.lease.id);
    const b = await allocate({ store, config, env, hold: false });
    expect(b.lease.ports).toEqual(a.lease.ports);
    expect(await store.ensure(a.lease)).toBe('conflict');
  });

  it('lists every lease in the lease shape, the owner with its host', async () => {
    const { store, config, env } = await setup(makeStore, range(6));
    const a = await allocate({ store, config, env, hold: false });
    const [listed] = await store.list();
    expect(listed).toEqual({ ...a.lease, stale: false });
    expect(listed?.owner.host).toMatch(/^[0-9a-f]{32}$/);
  });
}
