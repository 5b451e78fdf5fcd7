import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { allocate } from '../../src/ports/allocate.js';
import { identityOf } from '../../src/platform/identity.js';
import type { LeaseOwner } from '../../src/store/lease.js';
import { setup } from '../helpers/config.js';
import { track } from '../helpers/processes.js';
import { exited } from '../helpers/spawn-line.js';

// This file's ports: 31400-31499.

const yaml = (range: string) => `version: 1
project: shop
ranges: { main: ${range} }
environments:
  dev:
    ranges: [main]
    services: { api: { cmd: a, ports: 2 } }
`;

/** A process that only waits; the test kills it by pid. */
function idleProcess() {
  const child = track(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' }));
  const identity = identityOf(child.pid as number);
  if (!identity) throw new Error('the idle process has no identity');
  return { child, identity };
}

async function killed(child: ReturnType<typeof idleProcess>['child']): Promise<void> {
  process.kill(child.pid as number, 'SIGKILL');
  await exited(child);
}

describe('reservations and their owners', () => {
  it('an untied reservation never goes stale, even when the process that took it is gone', async () => {
    const { store, config, env } = setup(yaml('31400-31419'));
    const { child, identity } = idleProcess();
    try {
      await allocate({ store, config, env, reserved: true, owner: identity, hold: false });
    } finally {
      await killed(child);
    }
    expect((await store.list()).map((lease) => lease.stale)).toEqual([false]);
    expect(await store.reclaimStale()).toEqual([]);
  });

  it('a reservation tied to its owner lives while the owner does, and is reclaimed once it is gone', async () => {
    const { store, config, env } = setup(yaml('31420-31439'));
    const { child, identity } = idleProcess();
    try {
      const { lease } = await allocate({ store, config, env, reserved: 'owner', owner: identity, hold: false });
      expect(lease).toMatchObject({ reserved: true, ownerTied: true, owner: { pid: child.pid } });
      expect((await store.list()).map((entry) => entry.stale)).toEqual([false]);
      expect(await store.reclaimStale()).toEqual([]);
      // A live owner keeps the block: the next claim gets another one.
      const next = await allocate({ store, config, env, hold: false });
      expect(next.lease.instance).toBe(2);
      expect(next.lease.ports).not.toEqual(lease.ports);
      await store.release(next.lease.id);

      await killed(child);
      expect((await store.list()).map((entry) => [entry.id, entry.stale])).toEqual([[lease.id, true]]);
      // The next claim reclaims it and, sticky, gets the same block.
      const again = await allocate({ store, config, env, hold: false });
      expect(again.lease).toMatchObject({ instance: 1, ports: lease.ports });
      expect((await store.list()).map((entry) => entry.id)).toEqual([again.lease.id]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) await killed(child);
    }
  });

  it('a tied reservation whose pid now belongs to another process (other start) is stale', async () => {
    const { store, config, env } = setup(yaml('31440-31459'));
    const me = identityOf(process.pid) as LeaseOwner;
    const reused: LeaseOwner = { ...me, startTime: me.startTime - 100_000 }; // 1000 s earlier in ticks, 100 s in ms (posix)
    const untied = await allocate({ store, config, env, reserved: true, owner: reused, hold: false });
    const live = await allocate({ store, config, env, reserved: 'owner', owner: me, hold: false });
    const tied = await allocate({ store, config, env, reserved: 'owner', owner: reused, hold: false }); // last: a claim reclaims it
    const stale = Object.fromEntries((await store.list()).map((lease) => [lease.id, lease.stale]));
    expect(stale).toEqual({ [tied.lease.id]: true, [untied.lease.id]: false, [live.lease.id]: false });
    expect((await store.reclaimStale()).map((lease) => lease.id)).toEqual([tied.lease.id]);
  });
});
