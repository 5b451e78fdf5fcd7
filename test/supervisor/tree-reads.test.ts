import { describe, expect, it } from 'vitest';
import { findListeners } from '../../src/platform/listeners.js';
import { processTable } from '../../src/platform/index.js';
import { ProcessTree, type ProcessOps } from '../../src/supervisor/process-tree.js';

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

  it('the platform shares a read within its age and reads afresh at age 0', () => {
    const first = processTable(1000);
    expect(processTable(1000)).toBe(first);
    expect(processTable(0)).not.toBe(first);
    // The sockets: a shared reading gives the same answer as a fresh one.
    const ports = new Set([22, 80, 443]);
    expect(findListeners(ports, { maxAgeMs: 1000 })).toEqual(findListeners(ports, { maxAgeMs: 1000 }));
  });
});
