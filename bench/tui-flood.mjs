// The dashboard's cost while services flood: 4 services each write 50 MB of 64-byte lines
// (test/fixtures/flood.mjs), run by `berth up` twice per round — once with --no-tui and its
// output to /dev/null, once with the dashboard in a tmux pane (80x24 by default), following the
// log of the first flooding service. Measured: berth's own CPU (user+sys of the supervisor
// process, children not counted) from start until every flood has been written and berth is
// quiet again, and the wall time of that. Rounds alternate the two, so drift hits both alike.
//
//   npm run build && node bench/tui-flood.mjs [ROUNDS=2] [MB=50] [COLSxROWS=80x24]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FLOOD = path.join(ROOT, 'test', 'fixtures', 'flood.mjs');
const [rounds = 2, mb = 50, size = '80x24'] = [Number(process.argv[2] ?? 2), Number(process.argv[3] ?? 50), process.argv[4] ?? '80x24'];
const [cols, rows] = size.split('x').map(Number);
const LINES = Math.round((mb * 1024 * 1024) / 64);
const TICKS = 100; // USER_HZ
const SOCKET = `berth-bench-${process.pid}`;
const tmux = (...args) => execFileSync('tmux', ['-u', '-L', SOCKET, ...args], { encoding: 'utf8' });

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pid of the `berth up` whose lease is in `home`, once it has one. */
async function berthPid(home) {
  for (let i = 0; i < 200; i++) {
    try {
      const registry = JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8'));
      const lease = Object.values(registry.leases ?? registry)[0];
      const pid = lease?.owner?.pid;
      if (pid) return pid;
    } catch {
      // not written yet
    }
    await sleep(50);
  }
  throw new Error('berth up took no lease within 10 s');
}

async function once(withDashboard) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-tui-'));
  const home = path.join(dir, 'home');
  execFileSync('mkdir', ['-m', '700', home]);
  const services = ['a', 'b', 'c', 'd']
    .map((tag) => `      ${tag}: { cmd: "node ${FLOOD} ${tag} ${LINES} && touch ${dir}/done-${tag} && exec sleep 600", shell: true, ports: 0, ready: none }`)
    .join('\n');
  writeFileSync(path.join(dir, 'ports.yaml'), `version: 1\nproject: flood\nranges: { dev: 31400-31409 }\nenvironments:\n  dev:\n    services:\n${services}\n`);
  const env = { ...process.env, BERTH_HOME: home, LANG: 'C.UTF-8' };
  let child = null;
  const started = Date.now();
  if (withDashboard) {
    tmux('new-session', '-d', '-s', 'bench', '-x', String(cols), '-y', String(rows), '-c', dir, `BERTH_HOME=${home} LANG=C.UTF-8 ${process.execPath} ${CLI} up; sleep 600`);
  } else {
    const devnull = (await import('node:fs')).openSync('/dev/null', 'w');
    child = spawn(process.execPath, [CLI, 'up', '--no-tui'], { cwd: dir, env, stdio: ['ignore', devnull, devnull], detached: true });
  }
  const pid = await berthPid(home);
  try {
    while (!['a', 'b', 'c', 'd'].every((tag) => existsSync(path.join(dir, `done-${tag}`)))) {
      if (Date.now() - started > 600_000) throw new Error('the floods took over 10 minutes');
      await sleep(50);
    }
    // Every flood written: wait until berth has drained it and is quiet (no CPU for 300 ms).
    let last = cpuSeconds(pid);
    let lastChange = Date.now();
    for (;;) {
      await sleep(50);
      const now = cpuSeconds(pid);
      if (now !== last) {
        last = now;
        lastChange = Date.now();
      } else if (Date.now() - lastChange >= 300) break;
    }
    return { cpu: last, wall: (lastChange - started) / 1000 };
  } finally {
    execFileSync(process.execPath, [CLI, 'down', '--all'], { cwd: dir, env, stdio: 'ignore' });
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await sleep(50);
    if (withDashboard) tmux('kill-server');
    if (child) child.unref();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = { plain: [], dashboard: [] };
for (let round = 0; round < rounds; round++) {
  for (const withDashboard of round % 2 ? [true, false] : [false, true]) {
    const result = await once(withDashboard);
    results[withDashboard ? 'dashboard' : 'plain'].push(result);
    console.log(`round ${round + 1} ${withDashboard ? `dashboard ${cols}x${rows}` : 'no dashboard (--no-tui, output to /dev/null)'}: berth CPU ${result.cpu.toFixed(2)} s, wall ${result.wall.toFixed(2)} s`);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const cpu = (name) => median(results[name].map((result) => result.cpu));
const wall = (name) => median(results[name].map((result) => result.wall));
console.log(`\n4 × ${mb} MB, ${rounds} rounds, medians:`);
console.log(`| berth up | CPU s | wall s |\n|---|---|---|`);
console.log(`| --no-tui > /dev/null | ${cpu('plain').toFixed(2)} | ${wall('plain').toFixed(2)} |`);
console.log(`| dashboard ${cols}x${rows} | ${cpu('dashboard').toFixed(2)} | ${wall('dashboard').toFixed(2)} |`);
console.log(`| ratio dashboard / plain | ${(cpu('dashboard') / cpu('plain')).toFixed(2)} | ${(wall('dashboard') / wall('plain')).toFixed(2)} |`);
