#!/usr/bin/env node
// Owner identity cost: 100 leases owned by 100 live processes (`sleep` children), checked the way
// the file store checks them — one batched call — on each backend: the check alone
// (aliveIdentities) and a whole reclaim under the registry lock (lock, read, check, nothing to
// write). p50/p95 over ROUNDS rounds. Run `npm run build` first (npm run bench:identity does).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aliveIdentities, identityContext, identityOf } from '../dist/lib/platform/identity.js';
import { FileLeaseStore } from '../dist/lib/store/file-store.js';
import { writeRegistry } from '../dist/lib/store/registry-file.js';

const LEASES = Number(process.env.BENCH_LEASES ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const ms = (value) => `${value.toFixed(2)} ms`;

async function timed(rounds, step) {
  const times = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await step();
    times.push(performance.now() - started);
  }
  return `p50 ${ms(pct(times, 50))}  p95 ${ms(pct(times, 95))}`;
}

const children = Array.from({ length: LEASES }, () => spawn('sleep', ['600'], { stdio: 'ignore' }));
const home = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-identity-'));
const platformBefore = process.env.BERTH_PLATFORM;
try {
  for (const platform of process.platform === 'linux' ? ['procfs', 'posix'] : ['posix']) {
    process.env.BERTH_PLATFORM = platform;
    const ctx = identityContext();
    const owners = children.map((child) => identityOf(child.pid, ctx));
    if (owners.some((owner) => owner === null)) throw new Error('a sleep child is not running');
    const leases = owners.map((owner, index) => ({
      id: `bench${index}`, project: 'bench', root: '/bench', env: 'dev', instance: index + 1,
      ports: [40000 + index, 40000 + index], blocks: [{ range: 'r', ports: [40000 + index, 40000 + index], group: 'shared' }],
      services: { a: [40000 + index] }, owner, createdAt: new Date().toISOString(),
    }));
    writeRegistry(path.join(home, 'registry.json'), { version: 1, sticky: {}, leases });
    const store = new FileLeaseStore({ home });

    const check = await timed(ROUNDS, () => {
      const alive = aliveIdentities(owners, identityContext());
      if (alive.some((value) => !value)) throw new Error('a live owner read as stale');
    });
    const locked = await timed(ROUNDS, async () => {
      const reclaimed = await store.reclaimStale();
      if (reclaimed.length > 0) throw new Error('a live lease was reclaimed');
    });
    console.log(`${platform.padEnd(6)} ${LEASES} leases, ${ROUNDS} rounds: check ${check};  reclaim under the lock ${locked}`);
    if (platform === 'posix') {
      // For comparison: one ps per lease, as berth 0.1 did on macOS (fewer rounds: it is slow).
      const single = await timed(Math.min(ROUNDS, 5), () => owners.forEach((owner) => aliveIdentities([owner], identityContext())));
      console.log(`posix  ${LEASES} leases, one ps each (berth 0.1 on macOS): ${single}`);
    }
  }
} finally {
  if (platformBefore === undefined) delete process.env.BERTH_PLATFORM;
  else process.env.BERTH_PLATFORM = platformBefore;
  for (const child of children) child.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
}
