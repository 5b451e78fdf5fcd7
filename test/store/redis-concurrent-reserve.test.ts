import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leasePorts, type Lease } from '../../src/store/lease.js';
import { RedisLeaseStore } from '../../src/store/redis-store.js';
import { ROOT, runNode } from '../helpers/processes.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 30400-30459 (reserve only: nothing listens on them).

const ROUNDS = Number(process.env.ROUNDS ?? 20);
const RACERS = 50;

const yaml = `version: 1
project: race
ranges:
  dev: 30400-30459
environments:
  dev:
    ranges: [dev]
    services:
      api: { cmd: node api.js }
`;

let redis: RedisServer;
// A private copy of dist/ (its node_modules found above it): a rebuild of dist/ during the
// minutes these rounds take cannot swap the CLI's chunks under a running round.
const copy = path.join(ROOT, 'node_modules', '.cache', `berth-test-dist-${process.pid}`);
const cli = path.join(copy, 'dist', 'cli.js');
beforeAll(async () => {
  redis = await startRedis();
  cpSync(path.join(ROOT, 'dist'), path.join(copy, 'dist'), { recursive: true });
});
afterAll(async () => {
  await redis?.stop();
  rmSync(copy, { recursive: true, force: true });
});

describe(`${RACERS} berth reserve processes started at once against one redis-server`, () => {
  it(
    `all succeed with pairwise-disjoint blocks and none lost, ${ROUNDS} rounds`,
    async () => {
      const cwd = projectWith(yaml);
      for (let round = 0; round < ROUNDS; round++) {
        // Every round in a fresh database of the same server.
        const database = round % 16;
        const url = `${redis.url}?db=${database}`;
        const store = new RedisLeaseStore({ target: url, home: tempDir('berth-home-') });
        try {
          for (const lease of await store.list()) await store.release(lease.id);
          const home = tempDir(`berth-race-${round}-`);
          const results = await Promise.all(
            Array.from({ length: RACERS }, () => runNode([cli, 'reserve', 'dev', '--json'], { cwd, env: { BERTH_HOME: home, BERTH_STORE: url }, timeoutMs: 60_000 })),
          );
          for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
          const printed = results.map((result) => JSON.parse(result.stdout) as Lease);
          const stored = await store.list();
          expect(stored).toHaveLength(RACERS);
          expect(stored.map((lease) => lease.id).sort()).toEqual(printed.map((lease) => lease.id).sort());
          expect(new Set(stored.map((lease) => lease.instance))).toEqual(new Set(Array.from({ length: RACERS }, (_, i) => i + 1)));
          const owner = new Map<number, string>();
          for (const lease of stored) {
            for (const port of leasePorts(lease)) {
              expect(owner.get(port), `round ${round}: port ${port} in ${lease.id} and ${owner.get(port)}`).toBeUndefined();
              owner.set(port, lease.id);
            }
          }
          expect(owner.size).toBe(RACERS);
        } finally {
          await store.close();
        }
      }
    },
    900_000,
  );
});
