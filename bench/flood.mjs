#!/usr/bin/env node
// The flood workload on its own, for profiling and before/after comparisons: N services each
// write MB megabytes of 64-byte numbered lines (the shared harness's child/flood.c) through
// `berth up --no-tui`, whose stdout is a file.
//
//   node bench/flood.mjs [variant ...]
//     variant: a path to a berth cli.js (default: this checkout's dist/cli.js),
//              `bare` (the children write to the file directly, from one bash),
//              `node-floor` (a minimal Node program that only reads the pipes and writes
//                            each chunk to the file, no framing, no prefix).
//   FLOOD_REPS (3), FLOOD_MB (50), FLOOD_N (4), FLOOD_PROF=dir (berth runs with --cpu-prof
//   into dir), FLOOD_CHECK=0 (skip the line check), FLOOD_KEEP=1 (keep the run folder).
//
// Variants are interleaved rep by rep. Per run: wall (spawn → the file holds every line),
// CPU s (user+sys of the launched process itself at that moment, children excluded, read
// from /proc), lost/torn lines. Ports: 29920-29999 (the floods use none).
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const harness = path.resolve(process.env.BENCH_HARNESS ?? path.join(root, '..', 'shared', 'bench'));
const REPS = Number(process.env.FLOOD_REPS ?? 3);
const MB = Number(process.env.FLOOD_MB ?? 50);
const N = Number(process.env.FLOOD_N ?? 4);
const LINE = 64;
const LINES = (MB * 1024 * 1024) / LINE;
const CLK_TCK = 100;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const variants = process.argv.slice(2).length ? process.argv.slice(2) : [path.join(root, 'dist', 'cli.js')];

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-flood-'));
const floodBin = path.join(dir, 'flood');
execFileSync('cc', ['-O2', '-o', floodBin, path.join(harness, 'child', 'flood.c')]);
const names = Array.from({ length: N }, (_, i) => `f${i}`);

writeFileSync(
  path.join(dir, 'ports.yaml'),
  [
    'version: 1',
    'project: bench',
    'ranges:',
    '  bench: 29920-29999',
    'environments:',
    '  bench:',
    '    ranges: [bench]',
    '    services:',
    ...names.flatMap((name, i) => [`      ${name}:`, `        cmd: [${JSON.stringify(floodBin)}, "${MB}", "F${i}"]`, '        ports: 0', '        restart: never']),
  ].join('\n') + '\n',
);

// A Node program with no framing at all: the floor for any Node supervisor on this workload.
writeFileSync(
  path.join(dir, 'node-floor.mjs'),
  `import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
const out = createWriteStream(null, { fd: 1 });
const [bin, mb, n] = process.argv.slice(2);
for (let i = 0; i < Number(n); i++) {
  const child = spawn(bin, [mb, 'F' + i], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.on('data', (chunk) => { if (!process.stdout.write(chunk)) { child.stdout.pause(); process.stdout.once('drain', () => child.stdout.resume()); } });
}
`,
);

function argvOf(variant, prof) {
  if (variant === 'bare') {
    const script = path.join(dir, 'run.sh');
    writeFileSync(script, ['#!/bin/bash', ...names.map((_, i) => `${floodBin} ${MB} F${i} &`), 'wait', ''].join('\n'), { mode: 0o755 });
    return ['/bin/bash', script];
  }
  if (variant === 'node-floor') return [process.execPath, path.join(dir, 'node-floor.mjs'), floodBin, String(MB), String(N)];
  const profile = prof ? [`--cpu-prof`, `--cpu-prof-dir=${prof}`] : [];
  return [process.execPath, ...profile, path.resolve(variant), 'up', 'bench', '--no-tui', '-f', path.join(dir, 'ports.yaml')];
}

function cpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Distinct intact lines per tag in the file, and the lines that are neither ours nor berth's. */
function check(file) {
  const seen = Array.from({ length: N }, () => new Uint8Array(LINES));
  let intact = 0;
  let other = 0;
  const fd = openSync(file, 'r');
  const buffer = Buffer.alloc(1 << 22);
  let rest = '';
  // latin1, so a multi-byte │ split between two reads still matches.
  const re = /^(?:\S+ +\xe2\x94\x82 )?F(\d+):(\d{9}) x+\.$/;
  for (;;) {
    const n = readSync(fd, buffer, 0, buffer.length, null);
    if (n <= 0) break;
    const lines = (rest + buffer.toString('latin1', 0, n)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const match = re.exec(line);
      if (!match) {
        if (!line.startsWith('berth \xe2\x94\x82 ')) other++;
        continue;
      }
      const tag = Number(match[1]);
      const seq = Number(match[2]);
      if (tag < N && seq < LINES && !seen[tag][seq]) {
        seen[tag][seq] = 1;
        intact++;
      }
    }
  }
  closeSync(fd);
  return { lost: N * LINES - intact, other };
}

let runs = 0;
async function once(variant, rep) {
  const out = path.join(dir, 'out.txt');
  const prof = process.env.FLOOD_PROF ? path.resolve(process.env.FLOOD_PROF) : null;
  const argv = argvOf(variant, prof);
  const fd = openSync(out, 'w');
  const t0 = performance.now();
  const child = spawn(argv[0], argv.slice(1), {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', BERTH_HOME: path.join(dir, `home-${++runs}`) },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  let exited = false;
  child.on('exit', () => (exited = true));
  // Done when the file holds every line's bytes (a prefix per line for berth), or the child ended.
  const berth = variant !== 'bare' && variant !== 'node-floor';
  const least = N * LINES * (LINE + (berth ? Buffer.byteLength(`${names[0].padEnd(Math.max(5, ...names.map((n) => n.length)))} │ `) : 0));
  let cpu = 0;
  let size = 0;
  let wall = null;
  let quiet = 0;
  const deadline = t0 + 120_000;
  while (performance.now() < deadline) {
    const now = cpuOf(child.pid);
    if (now !== null) cpu = Math.max(cpu, now);
    const grown = statSync(out).size;
    quiet = grown === size ? quiet + 1 : 0;
    if (grown >= least && quiet >= 4) break;
    if (grown !== size) wall = performance.now() - t0;
    size = grown;
    if (exited) break;
    await sleep(5);
  }
  cpu = Math.max(cpu, cpuOf(child.pid) ?? 0);
  if (!exited) {
    try {
      process.kill(child.pid, 'SIGINT');
    } catch {}
    for (let i = 0; i < 400 && !exited; i++) await sleep(25);
    if (!exited) process.kill(-child.pid, 'SIGKILL');
  }
  const result = { variant, rep, wall_ms: wall === null ? null : Math.round(wall), cpu_s: cpu };
  if (process.env.FLOOD_CHECK !== '0') Object.assign(result, check(out));
  return result;
}

const results = new Map(variants.map((v) => [v, []]));
try {
  for (let rep = 0; rep < REPS; rep++) {
    for (const variant of variants) {
      const r = await once(variant, rep);
      results.get(variant).push(r);
      console.error(JSON.stringify(r));
    }
  }
} finally {
  if (!process.env.FLOOD_KEEP) rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| variant | wall ms best / median | CPU s best / median | lost (worst) |\n|---|---|---|---|`);
for (const [variant, rs] of results) {
  const walls = rs.map((r) => r.wall_ms).filter((v) => v !== null);
  const cpus = rs.map((r) => r.cpu_s);
  console.log(`| ${variant} | ${Math.min(...walls)} / ${median(walls)} | ${Math.min(...cpus).toFixed(2)} / ${median(cpus).toFixed(2)} | ${Math.max(...rs.map((r) => r.lost ?? 0))} |`);
}
