#!/usr/bin/env node
// The least a supervisor written in Node does for berth's contract, as a floor to measure berth
// against: the supervisor rows of bench/speed.mjs run it through the shared harness beside berth.
//
//   node bench/node-floor.mjs up ENV --no-tui -f ports.yaml     (the harness's command line)
//
// It reads ports.yaml, gives the services consecutive ports from the environment's first range
// (no probing, no lease, no registry), starts each in its own process group with PORT and every
// service's <SERVICE>_PORT, writes their lines with berth's prefixes (LinePrefix, from dist/:
// npm run build first) and, on SIGINT or SIGTERM, sends SIGTERM to every group and exits when
// all have exited. No readiness, restarts, watchdog, control socket or dashboard.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { LineFramer, LinePrefix } from '../dist/lib/supervisor/line-framer.js';

const args = process.argv.slice(2);
const file = args[args.indexOf('-f') + 1];
const envName = args[1];
const config = parse(readFileSync(file, 'utf8'));
const environment = config.environments[envName];
const [first] = String(config.ranges[environment.ranges[0]]).split('-').map(Number);

const services = Object.entries(environment.services);
const ports = new Map();
let next = first;
for (const [name, service] of services) {
  const count = service.ports ?? 1;
  if (count > 0) ports.set(name, next);
  next += count;
}
const shared = { ...process.env };
for (const [name, port] of ports) shared[`${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PORT`] = String(port);

const width = Math.max(5, ...services.map(([name]) => name.length));
const running = new Set();
let stopping = false;
for (const [name, service] of services) {
  const [command, ...rest] = Array.isArray(service.cmd) ? service.cmd : ['/bin/sh', '-c', service.cmd];
  const env = ports.has(name) ? { ...shared, PORT: String(ports.get(name)) } : shared;
  const child = spawn(command, rest, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const prefix = new LinePrefix(Buffer.from(`${name.padEnd(width)} │ `));
  for (const stream of [child.stdout, child.stderr]) {
    const framer = new LineFramer();
    stream.on('data', (chunk) => {
      const lines = framer.push(chunk);
      if (lines && !process.stdout.write(prefix.apply(lines))) {
        stream.pause();
        process.stdout.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => {
      const last = framer.end();
      if (last) process.stdout.write(prefix.apply(last));
    });
  }
  // 'close': the child has exited and both its pipes are read to the end.
  child.on('close', () => {
    running.delete(child);
    if (running.size === 0) process.exit(0);
  });
}

const stop = () => {
  if (stopping) return;
  stopping = true;
  for (const child of running) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
