#!/usr/bin/env node
// berth's allocation benchmark: probing 200 ports, one allocation, and 50 allocations racing in
// separate processes (claim latency inside each, and wall beside 50 bare `node -e 0`).
// Loopback only, ports 27000-27999. Run `npm run build` first (npm run bench does).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allocate, FileLeaseStore, loadConfig, probePorts, release, selectEnvironment } from '../dist/lib/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'dist', 'cli.js');
const REPS = Number(process.env.BENCH_REPS ?? 5);

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const ms = (value) => `${value.toFixed(1)} ms`;

function run(argv, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

async function wall(count, makeArgv, env) {
  const started = performance.now();
  const outputs = await Promise.all(Array.from({ length: count }, (_, i) => run(makeArgv(i), env)));
  return { wallMs: performance.now() - started, outputs };
}

function checkDisjoint(outputs) {
  const seen = new Set();
  for (const out of outputs) {
    const [first, last] = JSON.parse(out).ports;
    for (let port = first; port <= last; port++) {
      if (seen.has(port)) throw new Error(`port ${port} given twice`);
      seen.add(port);
    }
  }
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
const configFile = path.join(tmp, 'ports.yaml');
writeFileSync(
  configFile,
  `version: 1
project: bench
ranges:
  dev: 27000-27999
environments:
  dev:
    ranges: [dev]
    services:
      api: { cmd: node api.js, ports: [http, ws] }
      worker: { cmd: node worker.js, ports: 0 }
      web: { cmd: node web.js }
`,
);

try {
  // 1. Probe 200 ports (all four addresses each, in parallel).
  const ports = Array.from({ length: 200 }, (_, i) => 27000 + i);
  await probePorts(ports); // warm up
  const probeTimes = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    await probePorts(ports);
    probeTimes.push(performance.now() - started);
  }
  console.log(`probe 200 ports: p50 ${ms(pct(probeTimes, 50))}, p95 ${ms(pct(probeTimes, 95))} (20 runs)`);

  // 2. One allocation in-process (lock, registry, probe, write), and one `berth reserve`.
  const home = path.join(tmp, 'home-single');
  const store = new FileLeaseStore({ home });
  const config = loadConfig({ file: configFile });
  const env = selectEnvironment(config, 'dev');
  const single = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    const { lease, holds } = await allocate({ store, config, env });
    single.push(performance.now() - started);
    await holds.release();
    await release(store, lease);
  }
  console.log(`one allocation (in-process): p50 ${ms(pct(single, 50))}, p95 ${ms(pct(single, 95))} (20 runs)`);
  const cliSingle = [];
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    await run([cli, 'reserve', '-f', configFile], { BERTH_HOME: path.join(tmp, `home-cli-${i}`) });
    cliSingle.push(performance.now() - started);
  }
  const bareSingle = [];
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    await run(['-e', '0']);
    bareSingle.push(performance.now() - started);
  }
  console.log(`one \`berth reserve\` process: p50 ${ms(pct(cliSingle, 50))} (bare node -e 0: ${ms(pct(bareSingle, 50))})`);

  // 3. 50 allocations racing, each in its own process.
  const rows = [];
  for (let rep = 0; rep < REPS; rep++) {
    const bare = await wall(50, () => ['-e', '0']);
    const homeRep = path.join(tmp, `home-race-${rep}`);
    const lib = await wall(50, (i) => [path.join(here, 'alloc-child.mjs'), configFile, String(i + 1)], { BERTH_HOME: homeRep });
    const claims = lib.outputs.map((out) => JSON.parse(out).claimMs);
    checkDisjoint(lib.outputs);
    const startAt = Date.now() + 3000;
    const together = await wall(50, (i) => [path.join(here, 'alloc-child.mjs'), configFile, String(i + 1), String(startAt)], {
      BERTH_HOME: `${homeRep}-together`,
    });
    checkDisjoint(together.outputs);
    const claimsTogether = together.outputs.map((out) => JSON.parse(out).claimMs);
    const cliRace = await wall(50, (i) => [cli, 'reserve', 'dev', '--instance', String(i + 1), '-f', configFile], {
      BERTH_HOME: path.join(tmp, `home-cli-race-${rep}`),
    });
    rows.push({
      bare: bare.wallMs,
      lib: lib.wallMs,
      cli: cliRace.wallMs,
      p50: pct(claims, 50),
      p95: pct(claims, 95),
      max: Math.max(...claims),
      t50: pct(claimsTogether, 50),
      t95: pct(claimsTogether, 95),
    });
  }
  const med = (key) => pct(rows.map((row) => row[key]), 50);
  console.log(`50 racing allocations, median of ${REPS} reps:`);
  console.log(`  claim latency inside each process, all started at once: p50 ${ms(med('p50'))}, p95 ${ms(med('p95'))}, max ${ms(med('max'))}`);
  console.log(`  claim latency, 50 started processes claiming at one instant: p50 ${ms(med('t50'))}, p95 ${ms(med('t95'))}`);
  console.log(`  wall, 50 × bare node -e 0:          ${ms(med('bare'))}`);
  console.log(`  wall, 50 × library allocation:      ${ms(med('lib'))} (${(med('lib') / med('bare')).toFixed(2)}× bare)`);
  console.log(`  wall, 50 × berth reserve (CLI):     ${ms(med('cli'))} (${(med('cli') / med('bare')).toFixed(2)}× bare)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
