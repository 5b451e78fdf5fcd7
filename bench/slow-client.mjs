#!/usr/bin/env node
// Does a control-socket client that never reads slow a service's output down? Runs `berth up`
// with one service writing 50 MB of lines, REPS times without and REPS times with a client
// attached to `logs -f` that never reads; reports the wall from "go" to the service's exit.
// Loopback-free (Unix socket), ports 27900-27909. Run `npm run build` first.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'dist', 'cli.js');
const flood = path.join(here, '..', 'test', 'fixtures', 'flood.mjs');
const REPS = Number(process.env.BENCH_REPS ?? 5);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-slow-client-'));

async function once(withStuckClient) {
  const dir = mkdtempSync(path.join(tmp, 'run-'));
  const trigger = path.join(dir, 'go');
  const home = path.join(dir, 'home');
  writeFileSync(path.join(dir, 'ports.yaml'), `version: 1
ranges: { dev: 27900-27909 }
environments:
  dev:
    services:
      flood: { cmd: node ${flood} flood 819200 ${trigger}, ports: 0, ready: { log: waiting } }
      idle: { cmd: node ${path.join(here, '..', 'test', 'fixtures', 'ticker.mjs')}, ports: 0 }
`);
  const berth = spawn(process.execPath, [cli, 'up', '--no-tui'], { cwd: dir, env: { ...process.env, BERTH_HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let started = 0;
  const exited = new Promise((resolve) => {
    berth.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.length > 4096) out = out.slice(-4096);
      if (started && /flood exited/.test(out)) resolve(performance.now() - started);
    });
  });
  const deadline = Date.now() + 10_000;
  while (!/flood ready/.test(out)) {
    if (Date.now() > deadline || berth.exitCode !== null) throw new Error(`berth did not start the flood:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  let stuck;
  if (withStuckClient) {
    const registry = JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8'));
    stuck = net.connect(registry.leases[0].socket);
    stuck.on('error', () => {});
    stuck.write('GET /v1/logs?service=flood&follow=1&tail=0 HTTP/1.1\r\nHost: berth\r\n\r\n');
    stuck.pause();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  started = performance.now();
  writeFileSync(trigger, '');
  const wall = await exited;
  stuck?.destroy();
  berth.kill('SIGINT');
  await new Promise((resolve) => berth.on('close', resolve));
  return wall;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
try {
  const without = [];
  const withClient = [];
  for (let i = 0; i < REPS; i++) {
    without.push(await once(false));
    withClient.push(await once(true));
  }
  console.log(`50 MB through berth, median of ${REPS}: without a client ${median(without).toFixed(0)} ms, with a client that never reads ${median(withClient).toFixed(0)} ms`);
} finally {
  if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
}
