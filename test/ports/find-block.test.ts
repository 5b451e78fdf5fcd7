import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { findBlock, type Probe } from '../../src/ports/find-block.js';
import { PortHolds } from '../../src/ports/port-holds.js';

// This file's ports: 20190-20199 (held on 127.0.0.1 by real sockets the fake probe hands out).

function listening(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('findBlock', () => {
  it('a probe that fails midway (out of descriptors) leaves none of the ports it already held bound', async () => {
    const servers: net.Server[] = [];
    let calls = 0;
    // First window 20190-20192: 20190 taken, 20191-20192 held for the next window, whose probe of 20193 throws.
    const probe: Probe = async (ports) => {
      calls += 1;
      if (calls > 1) throw new Error('out of file descriptors');
      return Promise.all(
        ports.map(async (port) => {
          if (port === 20190) return { port, free: false as const, reason: 'in-use' as const, address: '::' };
          const server = await listening(port);
          servers.push(server);
          return { port, free: true as const, hold: [server] };
        }),
      );
    };
    const holds = new PortHolds();
    await expect(findBlock({ size: 3, ranges: [{ name: 'test', first: 20190, last: 20199 }], leased: new Set() }, holds, undefined, probe)).rejects.toThrow('out of file descriptors');
    expect(servers.length).toBeGreaterThan(0);
    expect(servers.every((server) => !server.listening)).toBe(true);
    expect(holds.ports).toEqual([]);
  });

  it('a probe that reports ports free without holding them, or says nothing of some, ends the search (it looped forever)', async () => {
    const ranges = [{ name: 'dev', first: 20190, last: 20199 }];
    const unheld: Probe = async (ports) => ports.map((port) => ({ port, free: true as const, hold: null }));
    expect(await findBlock({ size: 3, ranges, leased: new Set() }, new PortHolds(), undefined, unheld)).toMatchObject({ first: 20190, last: 20192 });
    let calls = 0;
    const silent: Probe = async () => ((calls += 1), []);
    expect(await findBlock({ size: 3, ranges, leased: new Set() }, new PortHolds(), undefined, silent)).toBeNull();
    expect(calls).toBe(8); // one window per start, 20190 to 20197
  });
});
