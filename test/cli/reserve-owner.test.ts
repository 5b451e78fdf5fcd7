import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Lease, LeaseView } from '../../src/store/lease.js';
import { runCli, track } from '../helpers/processes.js';
import { exited } from '../helpers/spawn-line.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 31000-31099.

const stack = (range: string) => `version: 1
project: shop
ranges:
  dev: ${range}
environments:
  dev:
    ranges: [dev]
    services:
      api: { cmd: node api.js, ports: 2 }
      web: { cmd: node web.js }
`;

function project(range: string) {
  const cwd = projectWith(stack(range));
  const env = { BERTH_HOME: tempDir('berth-home-') };
  const berth = (...args: string[]) => runCli(args, { cwd, env });
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await berth(...args);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  return { berth, json };
}

/** A process that only waits (a test runner that asked for ports, say). */
function owner(): ChildProcess {
  return track(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' }));
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  process.kill(child.pid as number, 'SIGKILL');
  await exited(child);
}

describe('berth reserve --owner PID', () => {
  it('holds the block while PID runs; once it is gone the next reserve gets the same block', async () => {
    const { json } = project('31000-31019');
    const child = owner();
    try {
      const held = await json<Lease>('reserve', '--owner', String(child.pid), '--json');
      expect(held).toMatchObject({ instance: 1, ports: [31000, 31002], reserved: true, ownerTied: true, owner: { pid: child.pid } });
      expect(held.owner.startTime).toEqual(expect.any(Number));

      // A live owner keeps it: another reserve gets another block.
      const second = await json<Lease>('reserve', '--json');
      expect(second).toMatchObject({ instance: 2, ports: [31003, 31005] });
      const ports = await json<{ leases: LeaseView[] }>('ports', '--json');
      expect(ports.leases.map((lease) => [lease.id, lease.stale])).toEqual([
        [held.id, false],
        [second.id, false],
      ]);

      await kill(child);
      const again = await json<Lease>('reserve', '--json');
      expect(again).toMatchObject({ instance: 1, ports: held.ports, services: held.services });
      expect(again.id).not.toBe(held.id);
    } finally {
      await kill(child);
    }
  });

  it('berth gc reclaims it once PID is gone', async () => {
    const { berth, json } = project('31020-31039');
    const child = owner();
    let held: Lease;
    try {
      held = await json<Lease>('reserve', '--owner', String(child.pid), '--json');
      expect((await json<{ reclaimed: Lease[] }>('gc', '--json')).reclaimed).toEqual([]);
      const listed = (await berth('ports')).stdout;
      expect(listed).toContain(`reserved for pid ${child.pid}`);
    } finally {
      await kill(child);
    }
    const gc = await berth('gc');
    expect(gc).toMatchObject({ code: 0, stderr: '' });
    expect(gc.stdout).toBe(`reclaimed shop/dev#1 (lease ${held.id}, owner pid ${child.pid} is gone)\n`);
    expect((await json<{ leases: Lease[] }>('ports', '--json')).leases).toEqual([]);
  });

  it('berth ports marks it stale once PID is gone, and reclaims it', async () => {
    const { json } = project('31020-31039');
    const child = owner();
    let held: Lease;
    try {
      held = await json<Lease>('reserve', '--owner', String(child.pid), '--json');
    } finally {
      await kill(child);
    }
    const first = await json<{ leases: LeaseView[] }>('ports', '--json');
    expect(first.leases.map((lease) => [lease.id, lease.stale, lease.owner.pid])).toEqual([[held.id, true, child.pid]]);
    expect((await json<{ leases: LeaseView[] }>('ports', '--json')).leases).toEqual([]);
  });

  it('a reservation without --owner outlives the berth that took it', async () => {
    const { json } = project('31040-31059');
    const held = await json<Lease>('reserve', '--json');
    expect(held.ownerTied).toBeUndefined();
    expect((await json<{ reclaimed: Lease[] }>('gc', '--json')).reclaimed).toEqual([]);
    expect((await json<{ leases: LeaseView[] }>('ports', '--json')).leases.map((lease) => [lease.id, lease.stale])).toEqual([[held.id, false]]);
  });

  it('berth env and berth release work on it', async () => {
    const { berth, json } = project('31060-31079');
    const child = owner();
    try {
      const held = await json<Lease>('reserve', '--owner', String(child.pid), '--json');
      expect(await json('env', '--format', 'json')).toEqual({ API_PORT: 31060, WEB_PORT: 31062 });
      expect((await berth('env')).stdout).toBe('export API_PORT=31060\nexport WEB_PORT=31062\n');
      const released = await json<{ released: Lease[] }>('release', 'dev', '--json');
      expect(released.released.map((lease) => lease.id)).toEqual([held.id]);
      expect((await json<{ leases: Lease[] }>('ports', '--json')).leases).toEqual([]);
    } finally {
      await kill(child);
    }
  });

  it('a PID that is not a number, or that no process has, is a usage error naming it; nothing is reserved', async () => {
    const { berth, json } = project('31080-31099');
    const word = await berth('reserve', '--owner', 'abc');
    expect(word).toMatchObject({ code: 2, stdout: '' });
    expect(word.stderr).toBe('berth: --owner takes a process id, not "abc"\n');
    expect((await berth('reserve', '--owner', '-5')).code).toBe(2);

    const child = owner();
    await kill(child); // its pid is free now (reused within a test: not a real risk)
    const gone = await berth('reserve', '--owner', String(child.pid));
    expect(gone).toMatchObject({ code: 2, stdout: '' });
    expect(gone.stderr).toBe(`berth: --owner ${child.pid}: no process with pid ${child.pid} is running\n`);
    expect((await json<{ leases: Lease[] }>('ports', '--json')).leases).toEqual([]);
  });
});
