import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lease } from '../../src/store/lease.js';
import { RedisLeaseStore } from '../../src/store/redis-store.js';
import { ROOT, runCli, waitFor } from '../helpers/processes.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { spawnUntilLine } from '../helpers/spawn-line.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 30460-30479.

const TTL_MS = 3000;
const yaml = `version: 1
project: shop
ranges: { main: 30460-30479 }
environments:
  dev:
    ranges: [main]
    services: { api: { cmd: a, ports: 2 } }
`;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** A berth on "another machine": its own BERTH_HOME and machine id, one Redis. */
async function machine(cwd: string, host: string) {
  const home = path.join(tempDir('berth-machine-'), 'home');
  mkdirSync(home, { mode: 0o700 });
  const { child, line } = await spawnUntilLine(path.join(ROOT, 'test/fixtures/redis-hold-lease.mjs'), ['dev'], {
    cwd,
    env: { BERTH_HOME: home, BERTH_STORE: redis.url, BERTH_TEST_HOST: host, BERTH_REDIS_TTL: String(TTL_MS) },
  });
  let out = '';
  child.stdout?.on('data', (chunk) => (out += chunk));
  return { child, lease: JSON.parse(line) as Lease, output: () => out };
}

describe('two machines on one Redis', () => {
  it('get disjoint blocks; an owner whose heartbeat stops (SIGSTOP) is stale within TTL + 1 s and the other machine takes its block', async () => {
    const cwd = projectWith(yaml);
    const observer = new RedisLeaseStore({ target: redis.url, home: tempDir('berth-home-'), host: 'observer-machine' });
    const started: ReturnType<typeof machine>[] = [];
    try {
      const a = await (started[0] = machine(cwd, 'a'.repeat(32)));
      const b = await (started[1] = machine(cwd, 'b'.repeat(32)));
      expect(a.lease.owner.host).toBe('a'.repeat(32));
      expect(a.lease.ports).toEqual([30460, 30461]);
      expect(b.lease.ports).toEqual([30462, 30463]);
      await waitFor(() => /beat present/.test(a.output()), 5000, "machine a's first heartbeat");

      // Every machine's leases, with their host, from any folder: ports --json and ps --all.
      const env = { BERTH_HOME: tempDir('berth-home-'), BERTH_STORE: redis.url };
      const ports = await runCli(['ports', '--json'], { cwd: tempDir(), env });
      expect(ports, ports.stderr).toMatchObject({ code: 0, stderr: '' });
      const listed = (JSON.parse(ports.stdout) as { leases: (Lease & { stale: boolean })[] }).leases;
      expect(listed.map((lease) => [lease.id, lease.owner.host, lease.stale])).toEqual([
        [a.lease.id, 'a'.repeat(32), false],
        [b.lease.id, 'b'.repeat(32), false],
      ]);
      const ps = await runCli(['ps', '--all', '--json'], { cwd: tempDir(), env });
      expect(ps, ps.stderr).toMatchObject({ code: 0, stderr: '' });
      expect((JSON.parse(ps.stdout) as { instances: { instance: number; host: string; stale: boolean }[] }).instances.map((entry) => [entry.instance, entry.host, entry.stale])).toEqual([
        [1, 'a'.repeat(32), false],
        [2, 'b'.repeat(32), false],
      ]);
      const psText = await runCli(['ps', '--all'], { cwd: tempDir(), env });
      expect(psText.stdout).toMatch(/shop\/dev#1 {2}30460-30461 {2}on \S+ \(berth pid \d+, another machine\)/);

      process.kill(a.child.pid as number, 'SIGSTOP');
      const stoppedAt = Date.now();
      expect((await observer.list()).map((lease) => [lease.id, lease.stale])).toEqual([
        [a.lease.id, false],
        [b.lease.id, false],
      ]);
      await waitFor(async () => (await observer.list()).find((lease) => lease.id === a.lease.id)?.stale, TTL_MS + 2000, "a's lease to go stale");
      const staleAfter = Date.now() - stoppedAt;
      expect(staleAfter).toBeLessThanOrEqual(TTL_MS + 1000);
      expect((await observer.list()).find((lease) => lease.id === b.lease.id)?.stale).toBe(false); // b keeps beating

      // Machine b claims again: a's block, reclaimed in the same script.
      const c = await (started[2] = machine(cwd, 'b'.repeat(32)));
      expect(c.lease.ports).toEqual(a.lease.ports);
      expect((await observer.list()).map((lease) => lease.id).sort()).toEqual([b.lease.id, c.lease.id].sort());

      // a wakes up: its lease is not put back over c's ports.
      process.kill(a.child.pid as number, 'SIGCONT');
      await waitFor(() => /beat conflict/.test(a.output()), 5000, "a's heartbeat to find its ports taken");
      expect((await observer.list()).map((lease) => lease.id).sort()).toEqual([b.lease.id, c.lease.id].sort());
      console.log(`stale ${staleAfter} ms after SIGSTOP (TTL ${TTL_MS} ms)`);
    } finally {
      for (const pending of started) {
        const { child } = await pending.catch(() => ({ child: null }));
        if (child?.pid && child.exitCode === null && child.signalCode === null) {
          process.kill(child.pid, 'SIGCONT');
          process.kill(child.pid, 'SIGKILL');
        }
      }
      await observer.close();
    }
  }, 30_000);
});
