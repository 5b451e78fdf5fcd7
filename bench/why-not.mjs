#!/usr/bin/env node
// Why berth does not use execa, get-port or pidusage, measured on this machine.
// Installs the three into a temporary folder (npm install --no-save; nothing in the project
// changes, the folder is removed at the end), or uses WHY_NOT_DEPS=DIR where they already are.
// Run `npm run build` first. Loopback only, ports 31600-31999.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findBlock, PortHolds } from '../dist/lib/index.js';
import { GroupMetrics } from '../dist/lib/platform/metrics.js';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fixed = (value, digits = 1) => value.toFixed(digits);

const own = !process.env.WHY_NOT_DEPS;
const deps = process.env.WHY_NOT_DEPS ?? mkdtempSync(path.join(os.tmpdir(), 'berth-why-not-'));
try {
  if (own) {
    const npm = spawnSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', deps, 'execa', 'get-port', 'pidusage'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (npm.status !== 0) throw new Error('npm install failed');
  }
  const require = createRequire(path.join(deps, 'package.json'));
  const url = (name) => pathToFileURL(require.resolve(name)).href;
  const version = (name) => JSON.parse(readFileSync(path.join(deps, 'node_modules', name, 'package.json'), 'utf8')).version;
  console.log(`node ${process.version}, ${os.cpus().length} cores; execa ${version('execa')}, get-port ${version('get-port')}, pidusage ${version('pidusage')}; median of ${REPS}`);

  await moduleLoad(url);
  await spawnCost(url);
  await consecutivePorts(url);
  await groupMetrics(url);
} finally {
  if (own) rmSync(deps, { recursive: true, force: true });
}

/** Import time and RSS added by each module, in a fresh node per run. */
async function moduleLoad(url) {
  console.log('\nmodule load (fresh process each run): import time, RSS added');
  for (const [label, specifier] of [['node:child_process', 'node:child_process'], ['execa', url('execa')], ['get-port', url('get-port')], ['pidusage', url('pidusage')]]) {
    const runs = [];
    for (let i = 0; i < REPS * 2; i++) {
      const script = `const r=process.memoryUsage().rss;const t=performance.now();await import(${JSON.stringify(specifier)});console.log(JSON.stringify({ms:performance.now()-t,rss:process.memoryUsage().rss-r}))`;
      const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      runs.push(JSON.parse(out.stdout));
    }
    console.log(`  ${label.padEnd(20)} ${fixed(median(runs.map((r) => r.ms)))} ms  +${fixed(median(runs.map((r) => r.rss)) / 2 ** 20)} MiB`);
  }
}

/** 200 `true` children one after another, as berth spawns them (own group, piped output). */
async function spawnCost(url) {
  const { execa } = await import(url('execa'));
  const viaSpawn = () =>
    new Promise((resolve, reject) => {
      const child = spawn('true', [], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.resume();
      child.stderr.resume();
      child.on('error', reject);
      child.on('close', resolve);
    });
  const viaExeca = () => execa('true', [], { detached: true, stdin: 'ignore' });
  const results = { spawn: [], execa: [] };
  for (let rep = 0; rep < REPS; rep++) {
    for (const [name, once] of [['spawn', viaSpawn], ['execa', viaExeca]]) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      for (let i = 0; i < 200; i++) await once();
      const wall = performance.now() - started;
      const used = process.cpuUsage(cpu);
      results[name].push({ wall, cpu: (used.user + used.system) / 1000 });
    }
  }
  console.log('\n200 `true` children in sequence (detached, piped output): wall, CPU of the parent');
  for (const [name, runs] of Object.entries(results)) {
    const wall = median(runs.map((r) => r.wall));
    const cpu = median(runs.map((r) => r.cpu));
    console.log(`  ${name.padEnd(20)} ${fixed(wall)} ms wall (${fixed(wall / 200, 2)} ms each), ${fixed(cpu)} ms CPU (${fixed(cpu / 200, 2)} ms each)`);
  }
}

/** The lowest 200 consecutive free ports of 31600-31999, a stranger listening on 31650. */
async function consecutivePorts(url) {
  const { default: getPort, clearLockedPorts } = await import(url('get-port'));
  const first = 31600;
  const last = 31999;
  const size = 200;
  const stranger = net.createServer();
  await new Promise((resolve) => stranger.listen(31650, '127.0.0.1', resolve));
  try {
    const byGetPort = async () => {
      // get-port answers one port at a time, holds nothing, and falls back to any free port:
      // a port is free when it comes back as asked.
      for (let start = first; start + size - 1 <= last; ) {
        let taken = -1;
        for (let port = start; port < start + size; port++) {
          if ((await getPort({ port })) !== port) {
            taken = port;
            break;
          }
        }
        if (taken === -1) return start;
        start = taken + 1;
      }
      return null;
    };
    const byBerth = async () => {
      const holds = new PortHolds();
      const found = await findBlock({ size, ranges: [{ name: 'bench', first, last }], leased: new Set() }, holds);
      await holds.release(); // berth keeps them bound until each service starts; the bench lets go
      return found?.first ?? null;
    };
    const times = { 'get-port': [], berth: [] };
    const starts = {};
    for (let rep = 0; rep < REPS; rep++) {
      clearLockedPorts(); // get-port locks what it returned for 15 s inside the process
      for (const [name, find] of [['get-port', byGetPort], ['berth', byBerth]]) {
        const started = performance.now();
        starts[name] = await find();
        times[name].push(performance.now() - started);
      }
    }
    console.log(`\nlowest ${size} consecutive free ports in ${first}-${last}, 31650 taken`);
    for (const [name, runs] of Object.entries(times)) console.log(`  ${name.padEnd(20)} ${fixed(median(runs))} ms, block from ${starts[name]}${name === 'get-port' ? ' (released again: nothing held)' : ' (held until released)'}`);
  } finally {
    await new Promise((resolve) => stranger.close(resolve));
  }
}

/** 50 services, each a group of 3 (sh and two sleeps): pidusage on their pids vs berth's group read. */
async function groupMetrics(url) {
  const { default: pidusage } = await import(url('pidusage'));
  const children = Array.from({ length: 50 }, () => spawn('sh', ['-c', 'sleep 300 & sleep 300 & wait'], { detached: true, stdio: 'ignore' }));
  try {
    await new Promise((resolve) => setTimeout(resolve, 300)); // let each sh start its two sleeps (not a measurement)
    const pids = children.map((child) => child.pid);
    const groups = new Set(pids);
    const members = spawnSync('ps', ['-A', '-o', 'pid=,pgid='], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/).map(Number))
      .filter(([, pgid]) => groups.has(pgid))
      .map(([pid]) => pid);
    const metrics = new GroupMetrics();
    const times = { pidusage: [], members: [], berth: [] };
    let rssPidusage = 0;
    let rssBerth = 0;
    for (let rep = 0; rep < REPS * 4; rep++) {
      let started = performance.now();
      const stats = await pidusage(pids);
      times.pidusage.push(performance.now() - started);
      rssPidusage = Object.values(stats).reduce((sum, stat) => sum + stat.memory, 0);
      started = performance.now();
      await pidusage(members);
      times.members.push(performance.now() - started);
      started = performance.now();
      const usage = metrics.sample(new Set(pids));
      times.berth.push(performance.now() - started);
      rssBerth = [...usage.values()].reduce((sum, group) => sum + group.rssBytes, 0);
    }
    console.log('\n50 services of 3 processes each (sh + 2 sleeps): one sample of all');
    console.log(`  ${'pidusage(50 pids)'.padEnd(20)} ${fixed(median(times.pidusage))} ms, RSS ${fixed(rssPidusage / 2 ** 20)} MiB (the 50 sh only: no group or tree view)`);
    console.log(`  ${`pidusage(${members.length} pids)`.padEnd(20)} ${fixed(median(times.members))} ms (every member, its pids found by a ps first, not timed)`);
    console.log(`  ${'berth (50 groups)'.padEnd(20)} ${fixed(median(times.berth))} ms, RSS ${fixed(rssBerth / 2 ** 20)} MiB (every member of each group)`);
    pidusage.clear?.();
  } finally {
    for (const child of children) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}
