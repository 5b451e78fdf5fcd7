import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocate } from '../../src/ports/allocate.js';
import { FileLeaseStore } from '../../src/store/file-store.js';
import type { Lease } from '../../src/store/lease.js';
import { readProcess } from '../../src/store/process-identity.js';
import { writeRegistry } from '../../src/store/registry-file.js';
import { setup } from '../helpers/config.js';
import { ROOT, waitFor } from '../helpers/processes.js';
import { exited, spawnUntilLine } from '../helpers/spawn-line.js';

// This file's ports: 20600-20799.

const yaml = (range: string) => `version: 1
project: shop
ranges: { main: ${range} }
environments:
  dev:
    ranges: [main]
    services: { api: { cmd: a, ports: 2 } }
`;

function leaseOwnedBy(pid: number, startTime: number, ports: [number, number]): Lease {
  return {
    id: `l${pid}`,
    project: 'other',
    root: '/elsewhere',
    env: 'dev',
    instance: 1,
    ports,
    blocks: [{ range: 'main', ports, group: 'shared' }],
    services: { x: [ports[0], ports[1]] },
    owner: { pid, startTime, host: os.hostname() },
    createdAt: new Date().toISOString(),
  };
}

describe('file lease store', () => {
  it('a lease whose owner was SIGKILLed is stale and reclaimed by the next claim, which gets the same block', async () => {
    const { store, config, env, home, root } = setup(yaml('20600-20619'));
    const { child, line } = await spawnUntilLine(path.join(ROOT, 'test/fixtures/hold-lease.mjs'), ['dev'], { cwd: root, env: { BERTH_HOME: home } });
    const held = JSON.parse(line) as Lease;
    expect(held.owner.pid).toBe(child.pid);
    expect((await store.list()).map((lease) => [lease.id, lease.stale])).toEqual([[held.id, false]]);

    child.kill('SIGKILL');
    await exited(child);
    expect((await store.list()).map((lease) => [lease.id, lease.stale])).toEqual([[held.id, true]]);

    const { lease, holds } = await allocate({ store, config, env, hold: false });
    await holds.release();
    expect(lease.ports).toEqual(held.ports); // sticky, and free again
    expect((await store.list()).map((entry) => entry.id)).toEqual([lease.id]);
  });

  it('a lease whose pid now belongs to another process (other start time) is stale', async () => {
    const { store, home } = setup(yaml('20620-20639'));
    const me = readProcess(process.pid);
    expect(me).not.toBeNull();
    mkdirSync(home, { recursive: true });
    writeRegistry(path.join(home, 'registry.json'), {
      version: 1,
      sticky: {},
      leases: [
        leaseOwnedBy(process.pid, (me?.startTime ?? 0) - 10_000, [20620, 20621]),
        leaseOwnedBy(process.ppid, readProcess(process.ppid)?.startTime ?? 0, [20622, 20623]),
      ],
    });
    const listed = await store.list();
    expect(listed.map((lease) => [lease.owner.pid, lease.stale])).toEqual([
      [process.pid, true],
      [process.ppid, false],
    ]);
    expect((await store.reclaimStale()).map((lease) => lease.owner.pid)).toEqual([process.pid]);
  });

  it('a registry that is not valid JSON is moved aside with a warning; claims go on and leases can be re-registered', async () => {
    const { store, config, env, home, warnings } = setup(yaml('20640-20659'));
    // The first instance keeps its ports bound, as its running services would.
    const first = await allocate({ store, config, env });
    writeFileSync(path.join(home, 'registry.json'), '{"version": 1, "leases": [tru');
    const second = await allocate({ store, config, env, hold: false });
    await first.holds.release();
    expect(second.lease.ports).toEqual([20642, 20643]);
    const aside = readdirSync(home).filter((name) => name.startsWith('registry.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(home, aside[0] as string), 'utf8')).toBe('{"version": 1, "leases": [tru');
    expect(warnings[0]).toEqual(expect.stringContaining(`moved it to ${path.join(home, aside[0] as string)}`));
    // The lost lease is back at once, rebuilt from its own copy in the same locked step.
    expect(await store.ensure(first.lease)).toBe('present');
    expect((await store.list()).map((lease) => lease.id).sort()).toEqual([first.lease.id, second.lease.id].sort());
    // With its copy lost too, it comes back when its supervisor re-registers it.
    rmSync(path.join(home, 'leases', `${first.lease.id}.json`));
    writeFileSync(path.join(home, 'registry.json'), 'not json');
    expect((await store.list()).map((lease) => lease.id)).toEqual([second.lease.id]);
    expect(await store.ensure(first.lease)).toBe('restored');
    expect(await store.ensure(first.lease)).toBe('present');
  });

  it('a registry of the wrong shape is treated the same way', async () => {
    const { store, home } = setup(yaml('20660-20669'));
    writeFileSync(path.join(home, 'registry.json'), '[1, 2, 3]');
    expect(await store.list()).toEqual([]);
    expect(existsSync(path.join(home, 'registry.json'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8'))).toMatchObject({ version: 1, leases: [] });
  });

  it('the lock of a SIGKILLed holder is released by the kernel: the next claim proceeds at once', async () => {
    const { store, config, env, home, root } = setup(yaml('20670-20689'));
    mkdirSync(home, { recursive: true });
    const { child } = await spawnUntilLine(path.join(ROOT, 'test/fixtures/hold-lock.mjs'), [], { cwd: root, env: { BERTH_HOME: home } });
    const { tryLock } = createRequire(import.meta.url)('fs-native-extensions') as { tryLock(fd: number): boolean };
    const fd = openSync(path.join(home, 'registry.lock'), 'a+');
    try {
      expect(tryLock(fd)).toBe(false); // held by the child
    } finally {
      closeSync(fd);
    }
    let settled = false;
    const claim = allocate({ store, config, env, hold: false }).finally(() => (settled = true));
    expect(settled).toBe(false);
    child.kill('SIGKILL');
    await waitFor(() => settled, 2000, 'the claim to finish once the lock holder died');
    expect((await claim).lease.ports).toEqual([20670, 20671]);
  });

  it('keeps sticky blocks after release', async () => {
    const { store, config, env } = setup(yaml('20690-20709'));
    const a = await allocate({ store, config, env, hold: false, instance: 1 });
    const b = await allocate({ store, config, env, hold: false, instance: 2 });
    await store.release(a.lease.id);
    await store.release(b.lease.id);
    const again = await allocate({ store, config, env, hold: false, instance: 2 });
    expect(again.lease.ports).toEqual(b.lease.ports);
  });

  it('refuses a registry written by a newer berth instead of overwriting it', async () => {
    const { store, home } = setup(yaml('20710-20719'));
    writeFileSync(path.join(home, 'registry.json'), JSON.stringify({ version: 99, leases: [] }));
    await expect(store.list()).rejects.toMatchObject({ code: 'REGISTRY_TOO_NEW' });
    expect(JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8')).version).toBe(99);
  });

  it('creates BERTH_HOME with mode 0700', async () => {
    const { home } = setup(yaml('20720-20729'));
    const nested = path.join(home, 'deeper', 'berth');
    await new FileLeaseStore({ home: nested }).reclaimStale();
    expect(statSync(nested).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(nested, 'registry.lock')).mode & 0o777).toBe(0o600);
  });
});
