import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { probePort, probePorts } from '../../src/ports/bind-probe.js';
import { PortHolds } from '../../src/ports/port-holds.js';
import { listenOn } from '../helpers/processes.js';

// This file's ports: 20100-20199.

describe('bind probe', () => {
  it('sees a free port as free', async () => {
    expect(await probePort(20100)).toEqual({ port: 20100, free: true, hold: null });
  });

  it.each([
    ['127.0.0.1', 20110],
    ['0.0.0.0', 20111],
    ['::', 20112],
    ['::1', 20113],
  ])('sees a listener on %s', async (host, port) => {
    await listenOn(port, host);
    const outcome = await probePort(port);
    expect(outcome.free).toBe(false);
    expect(outcome).toMatchObject({ reason: 'in-use' });
  });

  it('probes many ports at once and tells them apart', async () => {
    await listenOn(20121, '127.0.0.1');
    await listenOn(20123, '0.0.0.0');
    const outcomes = await probePorts([20120, 20121, 20122, 20123, 20124]);
    expect(outcomes.map((outcome) => outcome.free)).toEqual([true, false, true, false, true]);
  });

  it('a held port keeps every other binder out until released', async () => {
    const outcome = await probePort(20130, { hold: true });
    expect(outcome.free).toBe(true);
    const holds = new PortHolds();
    if (outcome.free && outcome.hold) holds.add(20130, outcome.hold);
    for (const host of ['127.0.0.1', '0.0.0.0', '::']) {
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        const server = net.createServer();
        server.once('error', resolve);
        server.listen(20130, host, () => server.close(() => resolve(null)));
      });
      expect(error?.code, host).toBe('EADDRINUSE');
    }
    await holds.release([20130]);
    const server = await listenOn(20130, '127.0.0.1');
    expect(server.listening).toBe(true);
  });
});
