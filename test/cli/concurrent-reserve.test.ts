import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../src/store/lease.js';
import { runCli } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 21200-21399.

const ROUNDS = Number(process.env.ROUNDS ?? 20);
const RACERS = 50;

const yaml = `version: 1
project: race
ranges:
  dev: 21200-21399
environments:
  dev:
    ranges: [dev]
    services:
      api: { cmd: node api.js, ports: 2 }
      web: { cmd: node web.js }
`;

function expectDisjoint(leases: Lease[]): void {
  const owner = new Map<number, string>();
  for (const lease of leases) {
    for (const port of Object.values(lease.services).flat()) {
      expect(owner.get(port), `port ${port} in ${lease.id} and ${owner.get(port)}`).toBeUndefined();
      owner.set(port, lease.id);
    }
  }
}

async function race(cwd: string, home: string, withInstance: boolean): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: RACERS }, (_, i) =>
      runCli(['reserve', 'dev', '--json', ...(withInstance ? ['--instance', String(i + 1)] : [])], { cwd, env: { BERTH_HOME: home }, timeoutMs: 60_000 }),
    ),
  );
  for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
  const printed = results.map((result) => JSON.parse(result.stdout) as Lease);
  const stored = (JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8')) as { leases: Lease[] }).leases;
  expect(stored).toHaveLength(RACERS);
  expect(new Set(stored.map((lease) => lease.instance))).toEqual(new Set(Array.from({ length: RACERS }, (_, i) => i + 1)));
  expect(stored.map((lease) => lease.id).sort()).toEqual(printed.map((lease) => lease.id).sort());
  expectDisjoint(stored);
  for (const lease of stored) expect(lease.ports?.[1]).toBe((lease.ports?.[0] ?? 0) + 2);
}

describe(`${RACERS} berth reserve processes started at once against one BERTH_HOME`, () => {
  it(
    `all succeed with pairwise-disjoint blocks and none lost, ${ROUNDS} rounds (--instance K)`,
    async () => {
      const cwd = projectWith(yaml);
      for (let round = 0; round < ROUNDS; round++) await race(cwd, tempDir(`berth-race-${round}-`), true);
    },
    600_000,
  );

  it(
    'without --instance each gets its own instance number',
    async () => {
      const cwd = projectWith(yaml);
      await race(cwd, tempDir('berth-race-auto-'), false);
    },
    120_000,
  );
});
