import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../src/store/lease.js';
import { alive, startUp } from '../helpers/berth-up.js';
import { ROOT, runCli } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';
import { random } from '../helpers/random.js';

// This file's ports: 29800-29809.

const FIX = path.join(ROOT, 'test', 'fixtures');
const REQUESTS = 1500;


const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'G\u0000T', 'get', '', ' '];
const TARGETS = [
  '//[',
  '/',
  '*',
  '/v1',
  '/v1/',
  '/v1/instance',
  '/v1/events',
  '/v1/logs',
  '/v1/logs?tail=abc',
  '/v1/logs?tail=-5',
  '/v1/logs?tail=1e309',
  '/v1/logs?tail=99999999999',
  '/v1/logs?service=%ZZ',
  '/v1/logs?service=nope&follow=1',
  '/v1/logs?follow=1&tail=0',
  '/v1/services/%E0%A4%A/x',
  '/v1/services/%/x',
  '/v1/services/api',
  '/v1/services//',
  '/v1/../../../etc/passwd',
  'http://[::1/x',
  'http://berth/v1/instance',
  '/v1/instance?%',
  '/v1/%00',
  `/v1/services/${'a'.repeat(20_000)}/x`,
];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', 'HTTP/1.1 extra', '', 'HTTP/'];

/** One hostile request: random bytes, a mangled request line, huge headers or a body. */
function hostileRequest(next: () => number): Buffer {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const kind = next();
  if (kind < 0.2) {
    const bytes = Buffer.alloc(Math.floor(next() * 3000));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
    return bytes;
  }
  const method = pick(METHODS);
  let target = pick(TARGETS);
  if (next() < 0.3) target += String.fromCharCode(...Array.from({ length: 1 + Math.floor(next() * 12) }, () => 32 + Math.floor(next() * 95)));
  // Requests that would legitimately stop or restart something are not hostile; leave them out.
  if (method !== 'GET' && /down|stop|start|restart/i.test(target)) target = '/v1/instance';
  const headers = [`Host: berth`];
  if (kind < 0.3) headers.push(`X-Big: ${'x'.repeat(100_000)}`);
  if (kind >= 0.3 && kind < 0.4) headers.push(`Content-Length: ${pick(['10000000', '-1', 'abc', '5', '99999999999999999999'])}`);
  if (kind >= 0.4 && kind < 0.45) headers.push('Transfer-Encoding: chunked');
  if (kind >= 0.45 && kind < 0.5) headers.push('Expect: 100-continue');
  const body = kind >= 0.3 && kind < 0.45 ? Buffer.alloc(Math.floor(next() * 200_000), 'b') : Buffer.alloc(0);
  return Buffer.concat([Buffer.from(`${method} ${target} ${pick(VERSIONS)}\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** Sends bytes, then waits (bounded) for the server to answer or close; never throws. */
function send(socketPath: string, payload: Buffer, holdMs: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, holdMs);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', () => {
      // an answer came; reading it keeps the server's writes flowing
    });
    socket.on('connect', () => socket.write(payload, () => socket.end()));
  });
}

describe('control socket under hostile input', () => {
  it('random bytes, mangled request lines, huge headers and bodies, slow clients: berth and its services keep running', async () => {
    const cwd = projectWith(`version: 1
project: fuzz
ranges: { dev: 29800-29809 }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}/http.mjs, ready: { http: /health } }
      ticker: { cmd: node ${FIX}/ticker.mjs, ports: 0, ready: { log: tick 1 } }
`);
    const home = tempDir('berth-home-');
    const env = { BERTH_HOME: home };
    const up = startUp([], { cwd, env });
    const slow: net.Socket[] = [];
    try {
      await up.line(/api ready on 29800/);
      await up.line(/ticker ready/);
      const lease = (JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8')) as { leases: Lease[] }).leases[0] as Lease;
      const socketPath = lease.socket as string;
      const before = JSON.parse((await runCli(['ps', '--json'], { cwd, env })).stdout).instances[0].services as { name: string; pid: number }[];

      // Slow clients: half a request line each, never finished.
      for (let i = 0; i < 40; i++) {
        const socket = net.connect(socketPath);
        socket.on('error', () => {});
        socket.write('GET /v1/inst');
        slow.push(socket);
      }
      // A follower that never reads.
      const stalled = net.connect(socketPath);
      stalled.on('error', () => {});
      stalled.write('GET /v1/logs?follow=1&tail=100000 HTTP/1.1\r\nHost: berth\r\n\r\n');
      stalled.pause();
      slow.push(stalled);

      const seed = Number(process.env.BERTH_FUZZ_SEED ?? Date.now() % 100_000);
      const next = random(seed);
      const payloads = Array.from({ length: REQUESTS }, () => hostileRequest(next));
      for (let i = 0; i < payloads.length; i += 25) {
        await Promise.all(payloads.slice(i, i + 25).map((payload) => send(socketPath, payload, 1000)));
        expect(alive(up.child.pid as number), `berth died after request ${i} (seed ${seed})`).toBe(true);
      }

      // Still answering, the same processes, nothing restarted.
      const ps = await runCli(['ps', '--json'], { cwd, env });
      expect(ps.code, ps.stderr).toBe(0);
      const after = JSON.parse(ps.stdout).instances[0].services as { name: string; pid: number; restarts: number; state: string }[];
      expect(after.map((service) => [service.name, service.pid])).toEqual(before.map((service) => [service.name, service.pid]));
      expect(after.every((service) => service.restarts === 0 && service.state === 'ready')).toBe(true);
      for (const service of after) expect(alive(service.pid)).toBe(true);
      expect(up.stderr()).not.toMatch(/internal error|at .*\.js:\d+/);
    } finally {
      for (const socket of slow) socket.destroy();
      up.child.kill('SIGINT');
      await up.exit;
    }
  }, 120_000);
});
