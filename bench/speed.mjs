#!/usr/bin/env node
// berth's speed table: each workload beside its baseline, as a ratio, best of BENCH_REPS (3).
//
//   node bench/speed.mjs                 every row (npm run bench builds first)
//   BENCH_ONLY=up,quick node bench/speed.mjs   only these rows: up, flood, idle, quick, reserve
//
// The supervisor rows (up 200, stop 200, flood, idle) run the shared harness (../shared/bench,
// or BENCH_HARNESS), copied to a temporary folder with its two C children built there, as
// `node bench.mjs <workload> tool|bare|bare-trap`, so berth meets the same baselines the same way.
// BERTH_CLI picks the berth to measure (default: this checkout's dist/cli.js). Beside up and flood,
// bench/node-floor.mjs runs as the harness's tool too: the least a Node supervisor does for the
// same contract, so berth's own cost shows apart from Node's.
// Loopback only; ports BENCH_BASE_PORT (31500) … +199 for services, 31900-31999 for reserve.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const cli = path.resolve(process.env.BERTH_CLI ?? path.join(root, 'dist', 'cli.js'));
const nodeFloor = path.join(here, 'node-floor.mjs');
const harnessSource = path.resolve(process.env.BENCH_HARNESS ?? path.join(root, '..', 'shared', 'bench'));
const REPS = Number(process.env.BENCH_REPS ?? 3);
const BASE = Number(process.env.BENCH_BASE_PORT ?? 31500);
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null;
const wanted = (row) => !ONLY || ONLY.includes(row);
const log = (...args) => console.error('[bench]', ...args);

/** The harness, copied next to its own built children (the shared folder is left as it is). */
function prepareHarness() {
  if (!existsSync(path.join(harnessSource, 'bench.mjs'))) throw new Error(`no harness at ${harnessSource} (set BENCH_HARNESS)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  for (const part of ['bench.mjs', 'lib', 'child']) cpSync(path.join(harnessSource, part), path.join(dir, part), { recursive: true });
  execFileSync('make', ['-s', '-C', path.join(dir, 'child')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return dir;
}

/** One harness run; `tool` is the program behind the harness's `tool` supervisor (berth by default). */
function harness(dir, args, tool = cli) {
  const out = execFileSync(process.execPath, [path.join(dir, 'bench.mjs'), ...args], {
    cwd: dir,
    env: { ...process.env, BENCH_TOOL: `${process.execPath} ${tool}`, BENCH_BASE_PORT: String(BASE) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.trim().split('\n').at(-1));
}

/** Wall ms and peak RSS (KiB, from /usr/bin/time when there is one) of one process. */
function timed(argv, options = {}) {
  const time = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', '%M'] : [];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(time[0] ?? argv[0], [...time.slice(1), ...(time.length ? argv : argv.slice(1))], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = performance.now() - t0;
      if (code !== 0 && !options.anyCode) return reject(new Error(`${argv.join(' ')}: exit ${code}: ${err}`));
      const kib = Number(err.trim().split('\n').at(-1));
      resolve({ wall, kib: Number.isFinite(kib) ? kib : null });
    });
  });
}

const best = (values) => Math.min(...values.filter((v) => typeof v === 'number' && Number.isFinite(v)));
async function bestOf(n, fn) {
  const runs = [];
  for (let i = 0; i < n; i++) runs.push(await fn(i));
  return runs;
}
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '—');
const fmt = (v, unit, digits = 0) => (Number.isFinite(v) ? `${v.toFixed(digits)} ${unit}` : '—');

/** RSS of an idle `node` (a timer keeps it alive): the floor any Node supervisor starts from. */
async function nodeFloorMiB() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
  } finally {
    child.kill('SIGKILL');
  }
}

function quickProject() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-quick-'));
  const services = Array.from({ length: 50 }, (_, i) => `      s${i}: { cmd: node s${i}.js, env: { N: "${i}" } }`);
  writeFileSync(
    path.join(dir, 'ports.yaml'),
    ['version: 1', 'project: benchquick', 'ranges:', '  r: 31900-31999', 'environments:', '  dev:', '    ranges: [r]', '    services:', ...services.slice(0, 1), ''].join('\n'),
  );
  const big = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-validate-'));
  writeFileSync(
    path.join(big, 'ports.yaml'),
    ['version: 1', 'project: benchvalidate', 'ranges:', '  r: 31700-31899', 'environments:', '  dev:', '    ranges: [r]', '    services:', ...services, ''].join('\n'),
  );
  return { dir, big, home: mkdtempSync(path.join(os.tmpdir(), 'berth-bench-home-')) };
}

async function main() {
  const rows = [];
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
  log('berth:', cli);
  const dir = wanted('up') || wanted('flood') || wanted('idle') ? prepareHarness() : null;
  try {
    if (wanted('up')) {
      const tool = [], bare = [], trap = [], floor = [];
      for (let rep = 0; rep < REPS; rep++) {
        // interleaved, so drift on a shared machine hits both alike
        tool.push(harness(dir, ['up', 'tool', '200']));
        floor.push(harness(dir, ['up', 'tool', '200'], nodeFloor));
        bare.push(harness(dir, ['up', 'bare', '200']));
        trap.push(harness(dir, ['up', 'bare-trap', '200']));
        log('up 200', rep, tool.at(-1).up_ms?.toFixed(0), bare.at(-1).up_ms?.toFixed(0), 'stop', tool.at(-1).stop_ms?.toFixed(0), trap.at(-1).stop_ms?.toFixed(0));
      }
      const up = best(tool.map((r) => r.up_ms)), upBare = best(bare.map((r) => r.up_ms));
      rows.push(['up 200 services', fmt(up, 'ms'), `bare bash \`&\` ${fmt(upBare, 'ms')}`, ratio(up, upBare), '≤ 1.5×']);
      const upFloor = best(floor.map((r) => r.up_ms));
      rows.push(['up 200 services, against a Node floor', fmt(up, 'ms'), `node-floor.mjs ${fmt(upFloor, 'ms')}`, ratio(up, upFloor), '(the floor is at bare\'s ' + ratio(upFloor, upBare) + ')']);
      const stop = best(tool.map((r) => r.stop_ms)), stopTrap = best(trap.map((r) => r.stop_ms));
      const orphans = Math.max(...tool.map((r) => r.orphans ?? NaN));
      rows.push(['stop 200', `${fmt(stop, 'ms')}, ${orphans} orphans`, `bare-trap ${fmt(stopTrap, 'ms')}`, ratio(stop, stopTrap), 'keep ≤ 3×, 0 orphans']);
    }
    if (wanted('flood')) {
      const tool = [], bare = [], floor = [];
      for (let rep = 0; rep < REPS; rep++) {
        tool.push(harness(dir, ['flood', 'tool']));
        floor.push(harness(dir, ['flood', 'tool'], nodeFloor));
        bare.push(harness(dir, ['flood', 'bare']));
        log('flood', rep, tool.at(-1).wall_ms?.toFixed(0), 'lost', tool.at(-1).lost, bare.at(-1).wall_ms?.toFixed(0));
      }
      const wall = best(tool.map((r) => r.wall_ms)), wallBare = best(bare.map((r) => r.wall_ms));
      const lost = Math.max(...tool.map((r) => r.lost ?? NaN));
      const cpu = best(tool.map((r) => r.cpu_s));
      rows.push(['flood 4 × 50 MB through the supervisor', `${fmt(wall, 'ms')}, ${lost} lost (worst), CPU ${fmt(cpu, 's', 2)}`, `bare ${fmt(wallBare, 'ms')}`, ratio(wall, wallBare), '≤ 2×, 0 lost']);
      const wallFloor = best(floor.map((r) => r.wall_ms)), cpuFloor = best(floor.map((r) => r.cpu_s));
      rows.push(['flood, against a Node floor', fmt(wall, 'ms'), `node-floor.mjs ${fmt(wallFloor, 'ms')}, CPU ${fmt(cpuFloor, 's', 2)}`, ratio(wall, wallFloor), '(the floor is at bare\'s ' + ratio(wallFloor, wallBare) + ')']);
    }
    if (wanted('idle')) {
      const tool = [];
      for (let rep = 0; rep < REPS; rep++) {
        tool.push(harness(dir, ['idle', 'tool', '50']));
        log('idle', rep, tool.at(-1).rss_mib?.toFixed(1), tool.at(-1).cpu_pct?.toFixed(2));
      }
      const floor = await nodeFloorMiB();
      const rss = best(tool.map((r) => r.rss_mib)), cpu = best(tool.map((r) => r.cpu_pct));
      rows.push(['idle, 50 services: supervisor + watchdog RSS', `${fmt(rss, 'MiB', 1)}, CPU ${fmt(cpu, '%', 2)}`, `idle node ${fmt(floor, 'MiB', 1)}`, ratio(rss, floor), '≤ 45 MiB, ~0 % CPU']);
    }
    if (wanted('quick')) {
      const { dir: project, big, home } = quickProject();
      try {
        const env = { BERTH_HOME: home, NO_COLOR: '1' };
        const floor = await bestOf(REPS * 3, () => timed([process.execPath, '-e', '0']));
        const ps = await bestOf(REPS * 3, () => timed([process.execPath, cli, 'ps', '--all'], { cwd: project, env }));
        const validate = await bestOf(REPS * 3, () => timed([process.execPath, cli, 'validate'], { cwd: big, env }));
        const version = await bestOf(REPS * 3, () => timed([process.execPath, cli, '--version'], { env }));
        const f = best(floor.map((r) => r.wall));
        const fKib = best(floor.map((r) => r.kib));
        for (const [name, runs] of [['`berth ps --all`', ps], ['`berth validate` (50 services)', validate], ['`berth --version`', version]]) {
          const wall = best(runs.map((r) => r.wall));
          const peak = Math.max(...runs.map((r) => r.kib ?? NaN)) / 1024;
          rows.push([`${name}, wall`, `${fmt(wall, 'ms')}, peak ${fmt(peak, 'MiB')}`, `\`node -e 0\` ${fmt(f, 'ms')}, ${fmt(fKib / 1024, 'MiB')}`, ratio(wall, f), '≤ 1.5×, ≤ 48 MiB']);
        }
      } finally {
        for (const d of [project, big, home]) rmSync(d, { recursive: true, force: true });
      }
    }
    if (wanted('reserve')) {
      const { dir: project, big, home } = quickProject();
      try {
        const wallOf = async (argvOf, repHome) => {
          const t0 = performance.now();
          await Promise.all(Array.from({ length: 50 }, (_, i) => timed(argvOf(i), { cwd: project, env: { BERTH_HOME: repHome, NO_COLOR: '1' } })));
          return performance.now() - t0;
        };
        const tool = [], bare = [];
        for (let rep = 0; rep < REPS; rep++) {
          const repHome = path.join(home, String(rep)); // a fresh store each time: every racer takes a new block
          bare.push(await wallOf(() => [process.execPath, '-e', '0'], repHome));
          tool.push(await wallOf((i) => [process.execPath, cli, 'reserve', 'dev', '--instance', String(i + 1)], repHome));
        }
        rows.push(['50 concurrent `reserve` (wall)', fmt(best(tool), 'ms'), `50 × \`node -e 0\` ${fmt(best(bare), 'ms')}`, ratio(best(tool), best(bare)), '≤ 2×']);
      } finally {
        for (const d of [project, big, home]) rmSync(d, { recursive: true, force: true });
      }
    }
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  console.log(`berth ${cli}\n${machine}; best of ${REPS}\n`);
  console.log('| workload | berth | reference | ratio | goal |\n|---|---:|---:|---:|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
