#!/usr/bin/env node
// Claim latency under 50-way contention, the file store beside the Redis store: each round
// starts 50 processes, lets each open its store (and, on Redis, its connection) and say so,
// then tells all 50 at once to claim a block, each timing its claim (snapshot, probe, commit).
// Needs redis-server on PATH (started here on a unix socket in a temp folder, no persistence,
// killed at the end). Loopback only, ports 30000-30399. Run `npm run build` first. Each store
// is measured with berth's bind probes and without them (every port taken as free), to show
// the store's own part of a claim.
//   node bench/claim-latency.mjs            5 rounds of 50 per store (BENCH_REPS=N)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allocate, FileLeaseStore, loadConfig, RedisLeaseStore, selectEnvironment } from '../dist/lib/index.js';

const self = fileURLToPath(import.meta.url);
const RACERS = 50;
const REPS = Number(process.env.BENCH_REPS ?? 5);

/** One racer: argv STORE (file HOME | redis URL) CONFIG. Prints `ready`, claims on a line from stdin, prints { claimMs, openMs, ports }. */
async function child([kind, where, file]) {
  const opened = performance.now();
  const home = kind === 'file' ? where : mkdtempSync(path.join(os.tmpdir(), 'berth-bench-home-'));
  const store = kind === 'file' ? new FileLeaseStore({ home }) : new RedisLeaseStore({ target: where, home });
  await store.list(); // the store opened (Redis: connected, client loaded) before the start
  const openMs = performance.now() - opened;
  const config = loadConfig({ file });
  const env = selectEnvironment(config, 'dev');
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy();
  const started = performance.now();
  // PROBE=none: every port binds (no sockets), so the claim is the store's part alone.
  const probe = process.env.PROBE === 'none' ? async (ports) => ports.map((port) => ({ port, free: true, hold: null })) : undefined;
  const { lease } = await allocate({ store, config, env, reserved: true, hold: false, ...(probe ? { probe } : {}) });
  const claimMs = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ claimMs, openMs, ports: lease.ports })}\n`);
  if (kind === 'redis') await store.close();
  if (kind === 'redis') rmSync(home, { recursive: true, force: true });
}

/** Starts a racer: `ready` resolves once its store is open, `go()` lets it claim, `result` is its report. */
function racer(argv, env) {
  const proc = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  let onReady;
  const ready = new Promise((resolve) => (onReady = resolve));
  proc.stdout.on('data', (chunk) => {
    out += chunk;
    if (out.startsWith('ready\n')) onReady();
  });
  proc.stderr.on('data', (chunk) => (err += chunk));
  const result = new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.slice('ready\n'.length))) : reject(new Error(`exit ${code}: ${err}`))));
  });
  return { ready, result, go: () => proc.stdin.write('go\n') };
}

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const ms = (value) => `${value.toFixed(1)} ms`.padStart(9);

function checkDisjoint(results) {
  const seen = new Set();
  for (const { ports: [first, last] } of results) {
    for (let port = first; port <= last; port++) {
      if (seen.has(port)) throw new Error(`port ${port} given twice`);
      seen.add(port);
    }
  }
}

async function startRedis(dir) {
  const socket = path.join(dir, 'redis.sock');
  const server = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (server.exitCode !== null || Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { server, url: `unix://${socket}` };
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  const file = path.join(tmp, 'ports.yaml');
  writeFileSync(file, 'version: 1\nproject: bench\nranges:\n  dev: 30000-30399\nenvironments:\n  dev:\n    ranges: [dev]\n    services:\n      api: { cmd: a, ports: 2 }\n      web: { cmd: b }\n');
  const { server, url } = await startRedis(tmp);
  try {
    const rows = [];
    for (const [kind, probe] of [['file', 'bind'], ['redis', 'bind'], ['file', 'none'], ['redis', 'none']]) {
      const claims = [];
      const opens = [];
      for (let rep = 0; rep < REPS; rep++) {
        const where = kind === 'file' ? path.join(tmp, `home-${probe}-${rep}`) : `${url}?db=${rep % 16}`;
        if (kind === 'file') mkdirSync(where, { mode: 0o700 });
        const racers = Array.from({ length: RACERS }, () => racer([self, 'child', kind, where, file], { PROBE: probe }));
        await Promise.race([Promise.all(racers.map((entry) => entry.ready)), Promise.all(racers.map((entry) => entry.result))]);
        for (const entry of racers) entry.go();
        const results = await Promise.all(racers.map((entry) => entry.result));
        checkDisjoint(results);
        claims.push(...results.map((result) => result.claimMs));
        opens.push(...results.map((result) => result.openMs));
        if (kind === 'redis') {
          const store = new RedisLeaseStore({ target: where, home: tmp });
          for (const lease of await store.list()) await store.release(lease.id);
          await store.close();
        }
      }
      rows.push({ kind: `${kind}, ${probe === 'bind' ? 'with bind probes' : 'store alone (no probes)'}`, p50: pct(claims, 50), p95: pct(claims, 95), max: Math.max(...claims), open: pct(opens, 50) });
    }
    console.log(`claim latency, ${RACERS} processes claiming at one instant, ${REPS} rounds (${RACERS * REPS} claims per store):`);
    console.log('  store                                p50       p95       max   (store opened beforehand, p50)');
    for (const row of rows) console.log(`  ${row.kind.padEnd(30)}${ms(row.p50)} ${ms(row.p95)} ${ms(row.max)}   ${ms(row.open)}`);
  } finally {
    server.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') await child(process.argv.slice(3));
else await main();
