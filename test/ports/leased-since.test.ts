import { describe, expect, it } from 'vitest';
import { probePorts } from '../../src/ports/bind-probe.js';
import { allocate } from '../../src/ports/allocate.js';
import type { Probe } from '../../src/ports/find-block.js';
import { currentIdentity } from '../../src/platform/identity.js';
import { FileLeaseStore } from '../../src/store/file-store.js';
import type { Lease } from '../../src/store/lease.js';
import { setup } from '../helpers/config.js';

// This file's ports: 29900-29909.

describe('a lease committed between a claim\'s snapshot and its probe', () => {
  it('is never bound by the claim, not even for a moment: its service may be binding it right now', async () => {
    const { store, config, env, home } = setup(`version: 1
project: shop
ranges: { dev: 29900-29909 }
environments:
  dev:
    services: { api: { cmd: a, ports: 2 } }
`);
    const other = new FileLeaseStore({ home });
    const theirs: Lease = {
      id: 'theirs01',
      project: 'other',
      root: '/elsewhere',
      env: 'dev',
      instance: 1,
      ports: [29900, 29901],
      blocks: [{ range: 'dev', ports: [29900, 29901], group: 'shared' }],
      services: { web: [29900, 29901] },
      owner: currentIdentity(),
      createdAt: new Date().toISOString(),
    };
    // Another berth commits right after this claim took its snapshot.
    const snapshot = store.snapshot.bind(store);
    let first = true;
    store.snapshot = async () => {
      const view = await snapshot();
      if (first) {
        first = false;
        expect((await other.commit(theirs, { fixedInstance: false })).ok).toBe(true);
      }
      return view;
    };
    const probed: number[] = [];
    const probe: Probe = (ports, options) => {
      probed.push(...ports);
      return probePorts(ports, options);
    };
    const { lease, holds } = await allocate({ store, config, env, probe });
    await holds.release();
    expect(lease.services.api).toEqual([29902, 29903]);
    expect(probed).not.toContain(29900);
    expect(probed).not.toContain(29901);
  });

  it('committed while the probe ran: the claim closes what it bound there at once and takes the next block', async () => {
    const { store, config, env, home } = setup(`version: 1
project: shop
ranges: { dev: 29904-29909 }
environments:
  dev:
    services: { api: { cmd: a, ports: 2 } }
`);
    const other = new FileLeaseStore({ home });
    const theirs: Lease = {
      id: 'theirs02',
      project: 'other',
      root: '/elsewhere',
      env: 'dev',
      instance: 1,
      ports: [29904, 29905],
      blocks: [{ range: 'dev', ports: [29904, 29905], group: 'shared' }],
      services: { web: [29904, 29905] },
      owner: currentIdentity(),
      createdAt: new Date().toISOString(),
    };
    // The other berth commits (and lets go of its ports) just as this claim's probe binds them.
    let first = true;
    let closed = 0;
    const probe: Probe = async (ports, options) => {
      const outcomes = await probePorts(ports, options);
      if (first) {
        first = false;
        expect((await other.commit(theirs, { fixedInstance: false })).ok).toBe(true);
        for (const outcome of outcomes) for (const server of outcome.free ? outcome.hold ?? [] : []) server.once('close', () => closed++);
      }
      return outcomes;
    };
    // By the time this claim commits, nothing of it may be left on the other berth's ports
    // (whose service would be binding them then).
    const commit = store.commit.bind(store);
    const atCommit: boolean[] = [];
    store.commit = async (draft, options) => {
      atCommit.push((await probePorts([29904, 29905], { hold: false })).every((outcome) => outcome.free));
      return commit(draft, options);
    };
    const { lease, holds } = await allocate({ store, config, env, probe });
    try {
      expect(lease.services.api).toEqual([29906, 29907]);
      expect(closed).toBeGreaterThanOrEqual(2); // a socket per port, or two where one wildcard does not cover both families
      expect(atCommit).toEqual([true]);
    } finally {
      await holds.release();
    }
  });
});
