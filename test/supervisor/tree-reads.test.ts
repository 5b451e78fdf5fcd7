import { describe, expect, it } from 'vitest';
import { findListeners } from '../../src/platform/listeners.js';
import { processTable } from '../../src/platform/index.js';
import { systemClock } from '../../src/supervisor/clock.js';
import { ProcessTree, type ProcessOps } from '../../src/supervisor/process-tree.js';
import { stopInStages } from '../../src/supervisor/staged-stop.js';

// No ports: fake process tables, and one real read of this machine's tables.

describe('checking that trees are gone', () => {
  it('asks for shared reads of the process table and the sockets (200 trees stopped at once read them once per round)', () => {
    const ages: { table: number[]; listeners: number[] } = { table: [], listeners: [] };
    const ops: ProcessOps = {
      table: (maxAgeMs) => (ages.table.push(maxAgeMs), { entries: [] }) as never,
      isRunning: () => false,
      signal: () => {},
      listeners: (_ports, maxAgeMs) => (ages.listeners.push(maxAgeMs), new Map()),
      ownerUid: () => 0,
    };
    const trees = Array.from({ length: 200 }, (_, i) => new ProcessTree(40_000 + i, `m${i}`, ops, { ports: [20_000 + i] }));
    for (const tree of trees) expect(tree.isGone()).toBe(true);
    expect(ages.table).toHaveLength(200);
    expect(ages.listeners).toHaveLength(200);
    expect(Math.min(...ages.table, ...ages.listeners)).toBeGreaterThan(0);
  });

  it('a staged stop of 200 trees whose members outlive the stop signal asks for no fresh read of its own', async () => {
    const ages: number[] = [];
    const alive = new Set(Array.from({ length: 200 }, (_, i) => 40_000 + i));
    const ops: ProcessOps = {
      table: (maxAgeMs) => (ages.push(maxAgeMs), { entries: [...alive].map((pid) => ({ pid, ppid: 1, pgid: pid, run: null })) }) as never,
      isRunning: (pid) => alive.has(pid),
      // Deaf to SIGTERM (as a busy server is for a while); SIGKILL ends them.
      signal: (target, signal) => void (signal === 'SIGKILL' && alive.delete(target.pid)),
      listeners: () => new Map(),
      ownerUid: () => 0,
    };
    const trees = [...alive].map((pid) => new ProcessTree(pid, null, ops));
    const outcomes = await Promise.all(trees.map((tree) => stopInStages(tree, { signal: 'SIGTERM', timeoutMs: 300, clock: systemClock })));
    expect(new Set(outcomes)).toEqual(new Set(['killed']));
    expect(ages.filter((age) => age === 0)).toEqual([]);
  });

  it('the platform shares a read within its age (counted from the end of the read) and reads afresh at age 0', () => {
    const first = processTable(1000);
    expect(processTable(1000)).toBe(first);
    expect(processTable(0)).not.toBe(first);
    // The sockets: a shared reading gives the same answer as a fresh one.
    const ports = new Set([22, 80, 443]);
    expect(findListeners(ports, { maxAgeMs: 1000 })).toEqual(findListeners(ports, { maxAgeMs: 1000 }));
  });
});
