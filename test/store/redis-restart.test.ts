import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisLeaseStore } from '../../src/store/redis-store.js';
import { startUp } from '../helpers/berth-up.js';
import { ROOT, runCli, waitFor } from '../helpers/processes.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 30480-30499.

const yaml = `version: 1
project: shop
ranges: { main: 30480-30499 }
environments:
  dev:
    ranges: [main]
    services:
      api: { cmd: node ${path.join(ROOT, 'test/fixtures/serve.mjs')} }
`;

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function home(): string {
  const dir = path.join(tempDir('berth-redis-home-'), 'home');
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

let redis: RedisServer | null = null;
afterEach(async () => {
  await redis?.stop();
  redis = null;
});

describe('berth on Redis when Redis goes away', () => {
  it('redis-server killed and restarted mid-run: the stack keeps serving, berth says so once, the lease is back within seconds', async () => {
    const server = (redis = await startRedis());
    const cwd = projectWith(yaml);
    const env = { BERTH_HOME: home(), BERTH_STORE: server.url };
    const observer = new RedisLeaseStore({ target: server.url, home: tempDir('berth-home-') });
    try {
      const up = startUp(['dev'], { cwd, env });
      await up.line(/api ready on 30480/);
      const [lease] = await observer.list();
      expect(lease).toMatchObject({ project: 'shop', ports: [30480, 30480], stale: false });

      await server.kill();
      expect(await answers(30480)).toBe(true);
      const ports = await runCli(['ports'], { cwd, env });
      expect(ports.code).toBe(1);
      expect(ports.stderr).toContain(server.url);
      await up.line(/cannot re-register lease .*retrying/, 10_000);
      expect(await answers(30480)).toBe(true);

      await server.restart();
      const back = Date.now();
      await waitFor(async () => (await observer.list().catch(() => [])).some((entry) => entry.id === lease?.id && !entry.stale), 5000, 'the lease to be written again');
      const after = Date.now() - back;
      expect(after).toBeLessThan(5000);
      await up.line(/lease .* is registered again/, 10_000);
      expect(up.lines.filter((line) => /cannot re-register/.test(line))).toHaveLength(1);
      expect(await answers(30480)).toBe(true);
      console.log(`lease back ${after} ms after redis-server restarted`);

      const down = await runCli(['down', 'dev'], { cwd, env });
      expect(down, down.stderr).toMatchObject({ code: 0 });
      expect((await up.exit).code).toBe(0);
      expect(await observer.list()).toEqual([]);
    } finally {
      await observer.close();
    }
  }, 60_000);

  it('a Redis that stops answering (SIGSTOP) never holds up a service\'s output', async () => {
    const server = (redis = await startRedis());
    const cwd = projectWith(`version: 1
project: shop
environments:
  dev:
    services:
      ticker: { cmd: node ${path.join(ROOT, 'test/fixtures/ticker.mjs')}, ports: 0, ready: none }
`);
    const env = { BERTH_HOME: home(), BERTH_STORE: server.url, BERTH_REDIS_TTL: '900ms' };
    const up = startUp(['dev'], { cwd, env });
    await up.line(/ticker .*tick 3$/, 30_000);
    process.kill(server.child.pid as number, 'SIGSTOP');
    try {
      const before = up.lines.length;
      const stoppedAt = Date.now();
      await waitFor(() => up.lines.length >= before + 20, 3000, 'output while Redis is stopped');
      expect(Date.now() - stoppedAt).toBeLessThan(3000); // 20 ticks of 50 ms, Redis silent throughout
    } finally {
      process.kill(server.child.pid as number, 'SIGCONT');
    }
    up.child.kill('SIGTERM');
    expect((await up.exit).code).toBe(0);
  }, 30_000);

  it('Redis unreachable at start: exit 1 naming the URL, nothing started', async () => {
    const cwd = projectWith(yaml);
    const url = `unix://${path.join(tempDir('berth-no-redis-'), 'redis.sock')}`;
    for (const args of [['up', 'dev', '--no-tui'], ['ports', '--json'], ['reserve', 'dev']]) {
      const result = await runCli(args, { cwd, env: { BERTH_HOME: home(), BERTH_STORE: url } });
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(`cannot use the lease store at ${url} (BERTH_STORE)`)]);
    }
    const bad = await runCli(['ports'], { cwd, env: { BERTH_HOME: home(), BERTH_STORE: 'mysql://db' } });
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toContain('BERTH_STORE=mysql://db');
  }, 30_000);
});
