import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RestartBackoff } from '../../src/supervisor/backoff.js';
import { ServiceRunner } from '../../src/supervisor/service-runner.js';
import type { ServiceConfig } from '../../src/config/types.js';
import type { SpawnService } from '../../src/supervisor/spawn-process.js';
import { VirtualClock } from '../helpers/virtual-clock.js';
import { serviceConfig } from '../helpers/service-config.js';

describe('RestartBackoff', () => {
  it('doubles from 250 ms to a cap of 10 s, and starts over after a run of 10 s', () => {
    const backoff = new RestartBackoff();
    const delays = Array.from({ length: 8 }, (_, i) => backoff.next(i * 100, i * 100 + 50));
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 10000, 10000]);
    expect(backoff.next(0, 10_000)).toBe(250);
    expect(backoff.next(0, 10)).toBe(500);
  });
});

/** A fake child that exits with `code` as soon as it is spawned. */
function failingSpawn(code: number, spawned: number[]): SpawnService {
  return () => {
    const child = new EventEmitter() as ChildProcess;
    const pid = 4_000_000 + spawned.length; // beyond pid_max: no real group is ever signalled
    Object.assign(child, { pid, stdout: new PassThrough(), stderr: new PassThrough() });
    spawned.push(pid);
    setImmediate(() => {
      (child.stdout as PassThrough).end();
      (child.stderr as PassThrough).end();
      child.emit('exit', code, null);
    });
    return { child, spawnError: new Promise(() => {}) };
  };
}

const service = (overrides: Partial<ServiceConfig>): ServiceConfig => serviceConfig({ restart: 'on-failure', ...overrides });

describe('ServiceRunner restarts, in virtual time', () => {
  it('restarts a failing service with 250, 500, 1000 ms and gives up after max_restarts', async () => {
    const clock = new VirtualClock();
    const spawned: number[] = [];
    const notes: string[] = [];
    const runner = new ServiceRunner(service({ maxRestarts: 3 }), { file: 'x', args: [], shell: false, cwd: process.cwd(), env: {}, ports: [], readyExec: null }, {
      spawn: failingSpawn(1, spawned),
      clock,
      watchdog: null,
      root: process.cwd(),
      beforeFirstSpawn: async () => {},
      output: () => true,
      note: (_name, message) => notes.push(message),
      changed: () => {},
    });
    runner.start();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await waitUntil(() => clock.timers.some((timer) => timer.at > clock.time && runner.state === 'backoff'));
      delays.push(clock.fireNext());
    }
    await runner.whenEnded();
    expect(delays).toEqual([250, 500, 1000]);
    expect(spawned).toHaveLength(4);
    expect(runner.snapshot()).toMatchObject({ state: 'failed', restarts: 3, reason: 'exited with code 1; gave up after 3 restarts in a row' });
  });

  it('restart: always restarts even after exit 0; never does not restart', async () => {
    for (const [restart, expected] of [['always', 'backoff'], ['never', 'exited']] as const) {
      const clock = new VirtualClock();
      const runner = new ServiceRunner(service({ restart }), { file: 'x', args: [], shell: false, cwd: process.cwd(), env: {}, ports: [], readyExec: null }, {
        spawn: failingSpawn(0, []),
        clock,
        watchdog: null,
        root: process.cwd(),
        beforeFirstSpawn: async () => {},
        output: () => true,
        note: () => {},
        changed: () => {},
      });
      runner.start();
      await waitUntil(() => runner.state === expected);
      await runner.stop();
      expect(runner.state).toBe(expected === 'backoff' ? 'stopped' : 'exited');
    }
  });
});

/** Lets the event loop turn until `check` holds (bounded). */
async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition never held');
}
