import { spawn as spawnChild } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../src/store/lease.js';
import { alive, startUp } from '../helpers/berth-up.js';
import { ROOT, runCli, track, waitFor } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 24000-24999.

const FIX = path.join(ROOT, 'test', 'fixtures');

function stack(range: string, project = 'shop') {
  return `version: 1
project: ${project}
ranges: { dev: ${range} }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}/http.mjs, ready: { http: /health } }
      ticker: { cmd: node ${FIX}/ticker.mjs, ports: 0, ready: { log: tick 1 } }
`;
}

function registry(home: string): Lease[] {
  const file = path.join(home, 'registry.json');
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { leases: Lease[] }).leases : [];
  } catch {
    return [];
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('control socket, from a second process', () => {
  it('ps --json, restart, stop/start, logs -f and down act on a running stack', async () => {
    const cwd = projectWith(stack('24000-24009'));
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const berth = (...args: string[]) => runCli(args, { cwd, env });
    const up = startUp([], { cwd, env });
    await up.line(/ticker ready/);
    await up.line(/api ready on 24000/);

    const ps = JSON.parse((await berth('ps', '--json')).stdout);
    expect(ps.instances).toHaveLength(1);
    const [instance] = ps.instances;
    expect(instance).toMatchObject({ project: 'shop', env: 'dev', instance: 1, ports: [24000, 24000], stale: false });
    const api = instance.services.find((service: { name: string }) => service.name === 'api');
    expect(api).toMatchObject({ state: 'ready', ports: [24000], restarts: 0, ready: true, exitCode: null });
    expect(alive(api.pid)).toBe(true);

    expect((await berth('restart', 'api')).code).toBe(0);
    const after = JSON.parse((await berth('ps', '--json')).stdout).instances[0].services.find((service: { name: string }) => service.name === 'api');
    expect(after.pid).not.toBe(api.pid);
    expect(after.ports).toEqual([24000]);
    expect(after.restarts).toBe(1);
    expect(alive(api.pid)).toBe(false);
    await waitFor(() => accepts(24000), 5000, 'api to answer again');

    expect((await berth('stop', 'api')).stdout).toBe('api of shop/dev#1: stopped\n');
    expect(await accepts(24000)).toBe(false);
    expect((await berth('start', 'api')).code).toBe(0);
    await waitFor(() => accepts(24000), 5000, 'api to answer after start');

    // logs -f: the tail, then new lines as the service writes them.
    const follow = startLogs(cwd, env);
    const seen = await waitFor(() => {
      const numbers = [...follow.out().matchAll(/tick (\d+)/g)].map((match) => Number(match[1]));
      return numbers.length >= 3 ? numbers : undefined;
    }, 5000, 'three ticks through logs -f');
    expect(seen[2]).toBeGreaterThan(seen[0] as number);
    follow.child.kill('SIGINT');

    // Errors come back as { code, message }, from a plain call and from a stream alike.
    for (const args of [['restart', 'nope'], ['logs', 'nope', '-f']]) {
      const result = await berth(...args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(/^berth: no service "nope" in shop\/dev#1/);
    }

    const down = await berth('down');
    expect(down).toMatchObject({ code: 0, stdout: 'stopped shop/dev#1\n' });
    expect((await up.exit).code).toBe(0);
    expect(registry(env.BERTH_HOME)).toEqual([]);
  });

  it('ps --all lists instances of two projects; ps alone only this project', async () => {
    const home = tempDir('berth-home-');
    const one = projectWith(stack('24010-24019', 'alpha'), 'alpha');
    const two = projectWith(stack('24020-24029', 'beta'), 'beta');
    const a = startUp([], { cwd: one, env: { BERTH_HOME: home } });
    const b = startUp([], { cwd: two, env: { BERTH_HOME: home } });
    await Promise.all([a.line(/api ready/), b.line(/api ready/)]);
    const all = JSON.parse((await runCli(['ps', '--all', '--json'], { cwd: tempDir(), env: { BERTH_HOME: home } })).stdout);
    expect(all.instances.map((instance: { project: string }) => instance.project).sort()).toEqual(['alpha', 'beta']);
    const mine = JSON.parse((await runCli(['ps', '--json'], { cwd: one, env: { BERTH_HOME: home } })).stdout);
    expect(mine.instances.map((instance: { project: string }) => instance.project)).toEqual(['alpha']);
    a.child.kill('SIGINT');
    b.child.kill('SIGINT');
    await Promise.all([a.exit, b.exit]);
  });

  it('the socket is 0600 in a 0700 folder; after a SIGKILL the instance shows as stale and the next up runs', async () => {
    const cwd = projectWith(stack('24030-24039'));
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const up = startUp([], { cwd, env });
    await up.line(/api ready/);
    const [lease] = registry(env.BERTH_HOME);
    const socket = lease?.socket as string;
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(socket)).mode & 0o777).toBe(0o700);

    up.child.kill('SIGKILL');
    await up.exit;
    expect(existsSync(socket)).toBe(true); // left behind by the dead berth
    const ps = JSON.parse((await runCli(['ps', '--json'], { cwd, env })).stdout);
    expect(ps.instances.map((instance: { stale: boolean }) => instance.stale)).toEqual([true]);

    const again = startUp([], { cwd, env });
    await again.line(/api ready on 24030/);
    expect((await runCli(['ps', '--json'], { cwd, env })).stdout).toContain('"stale": false');
    expect((await runCli(['down'], { cwd, env })).code).toBe(0);
    await again.exit;
  });

  it('with several instances, a command without ENV/--instance names them', async () => {
    const cwd = projectWith(stack('24040-24049'));
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const one = startUp([], { cwd, env });
    const two = startUp([], { cwd, env });
    await Promise.all([one.line(/api ready/), two.line(/api ready/)]);
    const restart = await runCli(['restart', 'api'], { cwd, env });
    expect(restart.code).toBe(2);
    expect(restart.stderr).toContain('several running instances: shop/dev#1, shop/dev#2; pick one with ENV and --instance N');
    expect((await runCli(['down', '--all'], { cwd, env })).stdout.split('\n').sort().join('\n')).toBe('\nstopped shop/dev#1\nstopped shop/dev#2');
    await Promise.all([one.exit, two.exit]);
  });
});

function startLogs(cwd: string, env: Record<string, string>) {
  const child = spawnChild(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'logs', 'ticker', '-f', '--tail', '1'], { cwd, env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk));
  track(child);
  return { child, out: () => out };
}

describe('readiness after a restart', () => {
  it('ready: { log } waits for the new run\'s own output, not lines an earlier run wrote', async () => {
    const counter = path.join(tempDir(), 'runs');
    const cwd = projectWith(`version: 1
ranges: { dev: 24080-24089 }
environments:
  dev:
    services:
      once: { cmd: node ${FIX}/ready-once.mjs ${counter}, ports: 0, ready: { log: ready }, ready_timeout: 60s }
`);
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const up = startUp([], { cwd, env });
    await up.line(/once ready/);
    expect((await runCli(['restart', 'once'], { cwd, env })).code).toBe(0);
    await up.line(/once +│ run 2/); // the second run is up and has written; it never says "ready"
    const ps = JSON.parse((await runCli(['ps', '--json'], { cwd, env })).stdout);
    expect(ps.instances[0].services[0]).toMatchObject({ name: 'once', state: 'starting', ready: false, restarts: 1 });
    up.child.kill('SIGINT');
    expect((await up.exit).code).toBe(0);
  });
});

describe('a control client that never reads', () => {
  it('does not hold up a service writing 50 MB: every line still arrives, and the stuck client is cut off', async () => {
    const LINES = 819_200;
    const trigger = path.join(tempDir(), 'go');
    const cwd = projectWith(`version: 1
ranges: { dev: 24050-24059 }
environments:
  dev:
    services:
      flood: { cmd: node ${FIX}/flood.mjs flood ${LINES} ${trigger}, ports: 0, ready: { log: waiting } }
      idle: { cmd: node ${FIX}/ticker.mjs, ports: 0 }
`);
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const up = startUp([], { cwd, env });
    const socket = await waitFor(() => registry(env.BERTH_HOME)[0]?.socket, 5000, 'the control socket');
    // Connect and ask for everything the flood writes, then never read.
    const stuck = net.connect(socket);
    let closed = false;
    let received = 0;
    stuck.on('data', (chunk: Buffer) => (received += chunk.length));
    stuck.on('close', () => (closed = true));
    stuck.on('error', () => {});
    stuck.write('GET /v1/logs?service=flood&follow=1&tail=0 HTTP/1.1\r\nHost: berth\r\n\r\n');
    stuck.pause();
    await up.line(/flood ready/);
    writeFileSync(trigger, '');
    await up.line(/flood exited with code 0/, 60_000);
    const floodLines = up.lines.filter((line) => line.startsWith('flood │ flood:')).length;
    expect(floodLines).toBe(LINES);
    // Had berth kept everything for it, the client would now get all 50 MB and stay connected.
    stuck.resume();
    await waitFor(() => closed, 5000, 'the stuck client to find itself cut off');
    expect(received).toBeLessThan(10 * 1024 * 1024);
    up.child.kill('SIGINT');
    expect((await up.exit).code).toBe(0);
  }, 90_000);
});

describe('berth up -d', () => {
  it('returns once every port accepts, prints the instance and its ports; down then leaves no process behind', async () => {
    const cwd = projectWith(stack('24060-24069'));
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const result = await runCli(['up', '-d'], { cwd, env });
    expect(result.code).toBe(0);
    expect(await accepts(24060)).toBe(true); // no waiting: it is up when up -d returns
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^shop\/dev#1 is up \(berth pid \d+; output in .*\/logs\/up-.*\.log\)$/);
    expect(lines.slice(1)).toEqual(['api     24060  ready', 'ticker  -      ready']);

    const ps = JSON.parse((await runCli(['ps', '--json'], { cwd, env })).stdout);
    const pids: number[] = [ps.instances[0].pid, ...ps.instances[0].services.map((service: { pid: number }) => service.pid)];
    expect(pids.every(alive)).toBe(true);
    expect((await runCli(['logs', 'ticker', '--tail', '1'], { cwd, env })).stdout).toMatch(/^tick \d+\n$/);

    expect((await runCli(['down'], { cwd, env })).code).toBe(0);
    await waitFor(() => pids.every((pid) => !alive(pid)), 3000, 'every process of the stack to be gone');
    expect(registry(env.BERTH_HOME)).toEqual([]);
  });

  it('exit 1 with the failed service\'s last lines; exit 2 on bad config with nothing started', async () => {
    const cwd = projectWith(`version: 1
ranges: { dev: 24070-24079 }
environments:
  dev:
    services:
      broken: { cmd: node ${FIX}/exit-with.mjs 4, ports: 0, ready: { log: listening } }
      fine: { cmd: node ${FIX}/ticker.mjs, ports: 0 }
`);
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const result = await runCli(['up', '-d'], { cwd, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('berth: broken failed: exited with code 4 before it was ready; its last lines:\n  run 1\n  no newline at the end\n');
    expect((await runCli(['down'], { cwd, env })).code).toBe(0);

    const bad = projectWith('version: 1\nenvironments: { dev: { services: { x: { cmd: 42 } } } }\n');
    const badResult = await runCli(['up', '-d'], { cwd: bad, env });
    expect(badResult.code).toBe(2);
    expect(badResult.stderr).toContain('ports.yaml:2:46: cmd must be a string or a list of strings');
    expect(registry(env.BERTH_HOME)).toEqual([]);
  });
});
