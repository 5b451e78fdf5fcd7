import { afterEach, describe, expect, it } from 'vitest';
import { allocate, NoBlockError, release, type Allocation } from '../../src/ports/allocate.js';
import type { Lease } from '../../src/store/lease.js';
import { setup } from '../helpers/config.js';
import { listenOn } from '../helpers/processes.js';

// This file's ports: 20200-20599.

const held: Allocation[] = [];
afterEach(async () => {
  for (const allocation of held.splice(0)) await allocation.holds.release();
});
async function take(...args: Parameters<typeof allocate>): Promise<Allocation> {
  const allocation = await allocate(...args);
  held.push(allocation);
  return allocation;
}

const stack = (range: string, extra = '') => `version: 1
project: shop
ranges:
  main: ${range}
${extra}environments:
  dev:
    ranges: [main]
    services:
      api: { cmd: a, ports: [http, ws] }
      worker: { cmd: b, ports: 0 }
      db: { cmd: c }
`;

describe('allocate', () => {
  it('gives the lowest block, ports in declaration order', async () => {
    const { store, config, env } = setup(stack('20200-20219'));
    const { lease } = await take({ store, config, env });
    expect(lease).toMatchObject({ project: 'shop', env: 'dev', instance: 1, ports: [20200, 20202], services: { api: [20200, 20201], worker: [], db: [20202] } });
    expect((await store.list()).map((entry) => entry.id)).toEqual([lease.id]);
  });

  it('a second instance gets the next block; a released instance number is reused', async () => {
    const { store, config, env } = setup(stack('20220-20239'));
    const first = await take({ store, config, env });
    const second = await take({ store, config, env });
    expect(second.lease.instance).toBe(2);
    expect(second.lease.ports).toEqual([20223, 20225]);
    await release(store, first.lease);
    const third = await take({ store, config, env });
    expect(third.lease.instance).toBe(1);
  });

  it.each([
    ['127.0.0.1', 20240],
    ['0.0.0.0', 20241],
    ['::', 20242],
  ])('skips a block with a foreign listener on %s', async (host, port) => {
    const { store, config, env } = setup(stack('20240-20259'));
    await listenOn(port, host);
    const { lease } = await take({ store, config, env });
    expect(lease.ports).toEqual([port + 1, port + 3]);
  });

  it('keeps the block bound until released, so nothing takes it in between', async () => {
    const { store, config, env } = setup(stack('20260-20269'));
    const { lease, holds } = await take({ store, config, env });
    expect(holds.ports).toEqual([20260, 20261, 20262]);
    await expect(listenOn(20261, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await holds.release(lease.services.api);
    await expect(listenOn(20261, '127.0.0.1')).resolves.toBeTruthy();
  });

  it('falls back through the ranges in order', async () => {
    const { store, config, env } = setup(`version: 1
ranges: { a: 20270-20272, b: 20280-20289 }
environments:
  dev:
    ranges: [a, b]
    services: { api: { cmd: a, ports: 3 } }
`);
    expect((await take({ store, config, env })).lease.blocks).toEqual([{ range: 'a', ports: [20270, 20272], group: 'shared' }]);
    expect((await take({ store, config, env })).lease.blocks).toEqual([{ range: 'b', ports: [20280, 20282], group: 'shared' }]);
  });

  it('gives a service with ranges of its own a block of its own', async () => {
    const { store, config, env } = setup(`version: 1
ranges: { back: 20290-20299, front: 20300-20309 }
environments:
  dev:
    ranges: [back]
    services:
      api: { cmd: a }
      web: { cmd: b, ranges: [front], ports: [http, hmr] }
      db: { cmd: c }
`);
    const { lease } = await take({ store, config, env });
    expect(lease.services).toEqual({ api: [20290], web: [20300, 20301], db: [20291] });
    expect(lease.blocks).toEqual([
      { range: 'back', ports: [20290, 20291], group: 'shared' },
      { range: 'front', ports: [20300, 20301], group: 'web' },
    ]);
  });

  it('is sticky: the same instance gets its block again when it is still free', async () => {
    const { store, config, env } = setup(stack('20310-20339'));
    const one = await take({ store, config, env });
    const two = await take({ store, config, env });
    await release(store, one.lease);
    await release(store, two.lease);
    await one.holds.release();
    await two.holds.release();
    // Instance 2 alone now: the lowest block is free, but instance 2 gets its own block back.
    const again = await take({ store, config, env, instance: 2 });
    expect(again.lease.ports).toEqual(two.lease.ports);
  });

  it('pins one service with --port, and says when a pinned port is taken (exit 3)', async () => {
    const { store, config, env } = setup(stack('20340-20359'));
    const { lease } = await take({ store, config, env, pins: { db: 20355 } });
    expect(lease.services).toEqual({ api: [20340, 20341], worker: [], db: [20355] });
    await listenOn(20350, '0.0.0.0');
    const error = await allocate({ store, config, env, pins: { db: 20350 } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NoBlockError);
    expect(error).toMatchObject({ exitCode: 3, code: 'PORT_TAKEN', message: '--port db=20350: port 20350 is taken: bound by another process' });
    const leased = await allocate({ store, config, env, pins: { db: 20341 } }).catch((caught: unknown) => caught);
    expect(leased).toMatchObject({ exitCode: 3, message: '--port db=20341: port 20341 is taken: leased by shop/dev#1' });
  });

  it('with no room anywhere: exit 3 naming each range, its use and its holders; nothing claimed', async () => {
    const { store, config, env } = setup(`version: 1
project: shop
ranges: { a: 20360-20365, b: 20370-20372 }
environments:
  dev:
    ranges: [a, b]
    services: { api: { cmd: a, ports: 3 } }
`);
    await take({ store, config, env });
    await take({ store, config, env });
    await listenOn(20371, '127.0.0.1');
    const before = await store.list();
    const error = await allocate({ store, config, env }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NoBlockError);
    expect((error as NoBlockError).exitCode).toBe(3);
    expect((error as Error).message).toBe(
      [
        'no block of 3 consecutive free ports for environment dev of shop/dev#3 in any of its ranges:',
        '  a (20360-20365): 6 of 6 in use — shop/dev#1 (20360-20362), shop/dev#2 (20363-20365)',
        '  b (20370-20372): 1 of 3 in use — 1 bound by other processes (20371)',
      ].join('\n'),
    );
    expect(await store.list()).toEqual(before);
  });

  it('refuses an instance number that is already running', async () => {
    const { store, config, env } = setup(stack('20380-20399'));
    await take({ store, config, env, instance: 3 });
    await expect(allocate({ store, config, env, instance: 3 })).rejects.toMatchObject({ code: 'INSTANCE_TAKEN', exitCode: 1 });
  });

  it('goes round again when a lease committed meanwhile overlaps the chosen block', async () => {
    const { store, config, env } = setup(stack('20400-20419'));
    // A lease on 20400-20402 that appears after the snapshot, on ports nothing holds bound.
    const other: Lease = {
      id: 'other',
      project: 'other',
      root: '/elsewhere',
      env: 'dev',
      instance: 1,
      ports: [20400, 20402],
      blocks: [{ range: 'x', ports: [20400, 20402], group: 'shared' }],
      services: { x: [20400, 20401, 20402] },
      owner: { pid: process.pid, startTime: 0, host: 'h' },
      createdAt: new Date().toISOString(),
      reserved: true,
    };
    let commits = 0;
    const racing = {
      ...store,
      snapshot: () => store.snapshot(),
      commit: async (draft: Lease, options: { fixedInstance: boolean }) => {
        commits += 1;
        if (commits === 1) await store.ensure(other);
        return store.commit(draft, options);
      },
    } as unknown as typeof store;
    const { lease } = await take({ store: racing, config, env });
    expect(commits).toBe(2);
    expect(lease.ports).toEqual([20403, 20405]);
  });
});
