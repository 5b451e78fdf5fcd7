import { describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../src/config/types.js';
import { systemClock } from '../../src/supervisor/clock.js';
import { ProcessTree, SHARED_READ_AGE_MS, type ProcessOps } from '../../src/supervisor/process-tree.js';
import { ServiceRunner } from '../../src/supervisor/service-runner.js';
import type { LaunchSpec } from '../../src/supervisor/service-env.js';
import { mergeEnv } from '../../src/supervisor/spawn-process.js';
import { stopInStages } from '../../src/supervisor/staged-stop.js';

// No processes, no ports: fake process tables and plain objects. What a stack of 200 services
// does once per service while it starts or stops, kept cheap without changing what it finds.

type Entry = { pid: number; ppid: number; pgid: number; run: string | null };

function opsOf(entries: Entry[], reads: number[] = []): ProcessOps {
  return {
    table: (maxAgeMs) => (reads.push(maxAgeMs), { entries }) as never,
    isRunning: (pid) => entries.some((entry) => entry.pid === pid),
    signal: () => {},
    listeners: () => new Map(),
    ownerUid: () => 0,
  };
}

describe('a tree scan (one index per read, shared by every tree)', () => {
  const entries: Entry[] = [
    { pid: 100, ppid: 1, pgid: 100, run: 'm1' }, // leader
    { pid: 101, ppid: 100, pgid: 100, run: 'm1' }, // in the group
    { pid: 200, ppid: 101, pgid: 200, run: 'm1' }, // left the group (setsid), keeps the marker
    { pid: 300, ppid: 200, pgid: 300, run: null }, // cleared its environment: a descendant by parent pid
    { pid: 301, ppid: 300, pgid: 301, run: null }, // and its child, two levels down
    { pid: 400, ppid: 1, pgid: 400, run: 'm1' }, // reparented daemon found by marker alone
    { pid: 500, ppid: 1, pgid: 500, run: 'm2' }, // another run
    { pid: 501, ppid: 500, pgid: 500, run: null },
  ];

  it('finds the group, the marker, and every level of descendants; only members outside the group are signalled one by one', () => {
    const signals: string[] = [];
    const ops = { ...opsOf(entries), signal: (target: { pid: number; group?: boolean }) => void signals.push(`${target.group ? '-' : ''}${target.pid}`) };
    const tree = new ProcessTree(100, 'm1', ops);
    expect(tree.scan().sort((a, b) => a - b)).toEqual([100, 101, 200, 300, 301, 400]);
    tree.signal('SIGTERM');
    expect(signals.sort()).toEqual(['-100', '200', '300', '301', '400'].sort());
    // The other run of the same read is answered from the same index.
    expect(new ProcessTree(500, 'm2', opsOf(entries)).scan().sort((a, b) => a - b)).toEqual([500, 501]);
  });

  it('a tree whose group cannot be trusted still finds its marker and descendants', () => {
    expect(new ProcessTree(null, 'm2', opsOf(entries)).scan().sort((a, b) => a - b)).toEqual([500, 501]);
    expect(new ProcessTree(null, null, opsOf(entries)).scan()).toEqual([]);
  });

  it('a fresh read is indexed afresh: a process gone from it is no member any more', () => {
    let table = entries;
    const ops: ProcessOps = { ...opsOf(entries), table: () => ({ entries: table }) as never };
    const tree = new ProcessTree(100, 'm1', ops);
    expect(tree.scan()).toContain(301);
    table = entries.filter((entry) => entry.pid !== 301);
    expect(tree.scan()).not.toContain(301);
  });

  it('a staged stop signals the group before it reads the table, then once each member the read found outside the group', async () => {
    const events: string[] = [];
    const alive = new Set([100, 101, 200, 300, 301, 400]);
    const ops: ProcessOps = {
      table: () => (events.push('read'), { entries: entries.filter((entry) => alive.has(entry.pid)) }) as never,
      isRunning: (pid) => alive.has(pid),
      signal: (target, signal) => {
        events.push(`${signal} ${target.group ? '-' : ''}${target.pid}`);
        if (signal === 'SIGKILL') for (const entry of entries) if (entry.pgid === target.pid || entry.pid === target.pid) alive.delete(entry.pid);
      },
      listeners: () => new Map(),
      ownerUid: () => 0,
    };
    const tree = new ProcessTree(100, 'm1', ops);
    expect(await stopInStages(tree, { signal: 'SIGTERM', timeoutMs: 20, clock: systemClock })).toBe('killed');
    expect(events.slice(0, 2)).toEqual(['SIGTERM -100', 'read']);
    const term = events.filter((event) => event.startsWith('SIGTERM'));
    const first = term.slice(0, 5).sort();
    expect(first).toEqual(['SIGTERM -100', 'SIGTERM 200', 'SIGTERM 300', 'SIGTERM 301', 'SIGTERM 400'].sort());
    // SIGKILL goes at once to the group and to the members already known, before any read.
    const kill = events.indexOf('SIGKILL -100');
    expect(events.slice(kill, kill + 5).sort()).toEqual(['SIGKILL -100', 'SIGKILL 200', 'SIGKILL 300', 'SIGKILL 301', 'SIGKILL 400'].sort());
    expect(events[kill + 5]).toBe('read');
    expect(events.filter((event) => event.startsWith('SIGKILL')).sort()).toEqual(['SIGKILL -100', 'SIGKILL 200', 'SIGKILL 300', 'SIGKILL 301', 'SIGKILL 400'].sort());
  });

  it('trees stopping together all signal their groups before the first read of the table', async () => {
    const events: string[] = [];
    const ops: ProcessOps = { ...opsOf([]), table: () => (events.push('read'), { entries: [] }) as never, signal: (target) => void events.push(`-${target.pid}`) };
    const trees = [700, 701, 702].map((pgid) => new ProcessTree(pgid, null, ops));
    await Promise.all(trees.map((tree) => stopInStages(tree, { signal: 'SIGTERM', timeoutMs: 100, clock: systemClock })));
    expect(events.slice(0, 4)).toEqual(['-700', '-701', '-702', 'read']);
  });

  it('a staged stop signals after a read shared with the other trees stopping (no read of its own at the 20 ms default)', async () => {
    const reads: number[] = [];
    const tree = new ProcessTree(700, null, opsOf([], reads));
    expect(await stopInStages(tree, { signal: 'SIGTERM', timeoutMs: 100, clock: systemClock })).toBe('stopped');
    expect(reads[0]).toBe(SHARED_READ_AGE_MS);
  });
});

describe('mergeEnv (a service environment of ~240 keys, merged per spawn)', () => {
  it('is { ...a, ...b } without a prototype: later parts win, nulls are skipped, __proto__ is a plain variable', () => {
    const env = mergeEnv({ A: '1', B: '1' }, null, { B: '2', C: '3' }, JSON.parse('{"__proto__": "p"}') as Record<string, string>);
    expect(Object.getPrototypeOf(env)).toBeNull();
    expect({ ...env }).toEqual({ A: '1', B: '2', C: '3', ['__proto__']: 'p' });
    expect(Object.keys(env)).toEqual(['A', 'B', 'C', '__proto__']);
  });
});

describe('runner snapshots (200 of them per state change while a stack starts)', () => {
  it('give the same details each time, and a start time made once per run', () => {
    const config = {
      name: 'web',
      cmd: ['node', 'server.js'],
      shell: false,
      cwd: '/nonexistent-berth-test',
      env: {},
      portNames: null,
      dependsOn: [],
      ready: { kind: 'port' },
      restart: 'on-failure',
      user: null,
      group: null,
    } as unknown as ServiceConfig;
    const launch: LaunchSpec = { file: 'node', args: ['server.js'], shell: false, cwd: '/nonexistent-berth-test', env: { Z: '1', A: '2' }, ports: [29400], readyExec: null };
    const hooks = { spawn: () => { throw new Error('not spawned'); }, clock: systemClock, watchdog: null, root: '/', beforeFirstSpawn: async () => {}, output: () => true, note: () => {}, changed: () => {} };
    const runner = new ServiceRunner(config, launch, hooks as never);
    const first = runner.snapshot();
    expect(first.info).toEqual({ command: 'node server.js', cwd: '/nonexistent-berth-test', user: null, portNames: [], envKeys: ['A', 'Z'], dependsOn: [], ready: 'port', restart: 'on-failure' });
    expect(runner.snapshot().info).toEqual(first.info);
    expect(first.startedAt).toBeNull();
  });
});
