import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../src/config/types.js';
import type { ProcessOps } from '../../src/supervisor/process-tree.js';
import { ServiceRunner } from '../../src/supervisor/service-runner.js';
import type { SpawnService } from '../../src/supervisor/spawn-process.js';
import { VirtualClock } from '../helpers/virtual-clock.js';
import { serviceConfig } from '../helpers/service-config.js';

/**
 * Stop and restart sequences against a fake OS in virtual time: the runner's process trees see
 * only fake processes, which die a set time after the signals they heed.
 */

interface FakeProcess {
  pgid: number;
  run: string | null;
  /** ms from a heeded signal to its death; 'ignore' for a signal it ignores. */
  onTerm: number | 'ignore';
  die: () => void;
}

class FakeOs implements ProcessOps {
  readonly processes = new Map<number, FakeProcess>();
  readonly signals: { at: number; pid: number; group: boolean; signal: string }[] = [];
  readonly deaths = new Map<number, number>();
  constructor(readonly clock: VirtualClock) {}

  table() {
    return { entries: [...this.processes].map(([pid, process]) => ({ pid, ppid: 1, pgid: process.pgid, run: process.run })) };
  }

  isRunning(pid: number): boolean {
    return this.processes.has(pid);
  }

  signal(target: { pid: number; group?: boolean }, signal: NodeJS.Signals): void {
    this.signals.push({ at: this.clock.time, pid: target.pid, group: target.group === true, signal });
    const victims = target.group ? [...this.processes].filter(([, process]) => process.pgid === target.pid) : [[target.pid, this.processes.get(target.pid)] as const];
    for (const [pid, process] of victims) {
      if (!process) continue;
      const delay = signal === 'SIGKILL' ? 0 : process.onTerm;
      if (delay === 'ignore') continue;
      this.clock.setTimeout(() => {
        if (!this.processes.delete(pid)) return;
        this.deaths.set(pid, this.clock.time);
        process.die();
      }, delay);
    }
  }

  listeners(): Map<number, number[]> {
    return new Map();
  }

  ownerUid(): number | null {
    return 0;
  }

  add(pid: number, process: Omit<FakeProcess, 'die'> & { die?: () => void }): void {
    this.processes.set(pid, { die: () => {}, ...process });
  }
}

/**
 * Each spawn: a leader (the wrapper) and, in its group, a server that outlives it; with
 * `escaped`, a helper in a group of its own that carries the run's marker and holds stdout.
 */
function fakeSpawn(os: FakeOs, spawns: { pid: number; at: number }[], shape: { leaderTerm: number | 'ignore'; serverTerm: number; escaped?: boolean }): SpawnService {
  return (launch) => {
    const pid = 1000 + spawns.length * 10;
    spawns.push({ pid, at: os.clock.time });
    const child = new EventEmitter() as ChildProcess;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    Object.assign(child, { pid, stdout, stderr });
    const run = launch.marker ?? null;
    // The server logs elsewhere: only the tree, not the pipe, says whether it is gone.
    let holders = shape.escaped ? 2 : 1;
    const release = () => {
      if (--holders === 0) {
        stdout.end();
        stderr.end();
      }
    };
    os.add(pid, { pgid: pid, run, onTerm: shape.leaderTerm, die: () => {
      release();
      child.emit('exit', null, 'SIGTERM');
    } });
    os.add(pid + 1, { pgid: pid, run, onTerm: shape.serverTerm });
    // The escaped helper dies on its signal, but a process of its own keeps the pipe: it is never released.
    if (shape.escaped) os.add(pid + 2, { pgid: pid + 2, run, onTerm: 10 });
    return { child, spawnError: new Promise(() => {}) };
  };
}

const service = (overrides: Partial<ServiceConfig> = {}): ServiceConfig => serviceConfig({ name: 'web', ...overrides });

function runner(config: ServiceConfig, os: FakeOs, spawn: SpawnService, notes: string[] = []) {
  return new ServiceRunner(config, { file: 'x', args: [], shell: false, cwd: process.cwd(), env: {}, ports: [], readyExec: null }, {
    spawn,
    clock: os.clock,
    watchdog: null,
    root: process.cwd(),
    beforeFirstSpawn: async () => {},
    output: () => true,
    note: (_name, message) => notes.push(message),
    changed: () => {},
    processes: os,
  });
}

describe('ServiceRunner stop and restart sequences, in virtual time', () => {
  it('restart of a wrapper that exits before its server: the next run spawns only after the server is gone, and is ready', async () => {
    const clock = new VirtualClock();
    const os = new FakeOs(clock);
    const spawns: { pid: number; at: number }[] = [];
    const web = runner(service(), os, fakeSpawn(os, spawns, { leaderTerm: 10, serverTerm: 300 }));
    web.start();
    await clock.runUntil(() => web.state === 'ready');
    let restarted = false;
    void web.restart().then(() => (restarted = true));
    await clock.runUntil(() => restarted);
    expect(spawns).toHaveLength(2);
    const [first, second] = spawns as [{ pid: number; at: number }, { pid: number; at: number }];
    expect(os.deaths.get(first.pid)).toBe(10);
    expect(os.deaths.get(first.pid + 1)).toBe(300);
    expect(second.at).toBeGreaterThanOrEqual(300);
    expect(web.snapshot()).toMatchObject({ state: 'ready', pid: second.pid, restarts: 1 });
  });

  it('stop: stop_signal to the tree, SIGKILL exactly stop_timeout later when it is ignored, then stopped', async () => {
    const clock = new VirtualClock();
    const os = new FakeOs(clock);
    const notes: string[] = [];
    const web = runner(service({ stopTimeoutMs: 5000, stopSignal: 'SIGINT' }), os, fakeSpawn(os, [], { leaderTerm: 'ignore', serverTerm: 20 }), notes);
    web.start();
    await clock.runUntil(() => web.state === 'ready');
    const stopAt = clock.time;
    let stopped = false;
    void web.stop().then(() => (stopped = true));
    await clock.runUntil(() => stopped);
    const sent = os.signals.filter((entry) => entry.group).map((entry) => `${entry.signal}@${entry.at - stopAt}`);
    expect(sent[0]).toBe('SIGINT@0');
    expect(sent).toContain('SIGKILL@5000');
    expect(sent.filter((entry) => entry.startsWith('SIGKILL'))[0]).toBe('SIGKILL@5000');
    expect(web.state).toBe('stopped');
    expect(web.killedOnStop).toBe(true);
    expect(notes.some((note) => /did not stop within 5000 ms of SIGINT: SIGKILL/.test(note))).toBe(true);
  });

  it('a helper outside the group that holds the output pipe: it gets the stop signal too, and the stop ends 1 s after the tree is gone', async () => {
    const clock = new VirtualClock();
    const os = new FakeOs(clock);
    const spawns: { pid: number; at: number }[] = [];
    const web = runner(service(), os, fakeSpawn(os, spawns, { leaderTerm: 10, serverTerm: 50, escaped: true }));
    web.start();
    await clock.runUntil(() => web.state === 'ready');
    const helper = (spawns[0]?.pid as number) + 2;
    let stopped = false;
    void web.stop().then(() => (stopped = true));
    await clock.runUntil(() => stopped);
    expect(os.signals.some((entry) => entry.pid === helper && !entry.group && entry.signal === 'SIGTERM')).toBe(true);
    expect(os.processes.size).toBe(0);
    const goneAt = Math.max(...os.deaths.values());
    expect(clock.time - goneAt).toBeGreaterThanOrEqual(1000);
    expect(clock.time - goneAt).toBeLessThan(1100);
    expect(web.state).toBe('stopped');
  });

  it('a stop while a restart is under way waits for it, and the service ends stopped with no run left', async () => {
    const clock = new VirtualClock();
    const os = new FakeOs(clock);
    const spawns: { pid: number; at: number }[] = [];
    const web = runner(service(), os, fakeSpawn(os, spawns, { leaderTerm: 10, serverTerm: 100 }));
    web.start();
    await clock.runUntil(() => web.state === 'ready');
    let stopped = false;
    void web.restart();
    void web.stop().then(() => (stopped = true));
    await clock.runUntil(() => stopped);
    expect(spawns).toHaveLength(2);
    expect(web.snapshot()).toMatchObject({ state: 'stopped', pid: null });
    expect(os.processes.size).toBe(0);
  });
});
