import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../src/store/lease.js';
import { CLI, runCli, track, waitFor, type RunResult } from '../helpers/processes.js';
import { alive } from '../helpers/berth-up.js';
import { exited } from '../helpers/spawn-line.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 31100-31399.

// A service that writes a line on stdout and one on stderr, says it is ready, and waits.
const SERVICE = `console.log('out 1');
console.error('err 1');
console.log('ready');
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', () => process.exit(0));
`;

const stack = (range: string) => `version: 1
project: shop
ranges:
  main: ${range}
environments:
  dev:
    ranges: [main]
    services:
      api: { cmd: node service.mjs, ready: { log: ready } }
      web: { cmd: node service.mjs, ready: { log: ready } }
  test:
    ranges: [main]
    services:
      api: { cmd: node service.mjs, ready: { log: ready } }
`;

function project(range: string) {
  const cwd = projectWith(stack(range));
  writeFileSync(path.join(cwd, 'service.mjs'), SERVICE);
  const env = { BERTH_HOME: tempDir('berth-home-') };
  const berth = (...args: string[]) => runCli(args, { cwd, env });
  return { cwd, env, berth };
}

/** The one JSON document on stdout (JSON.parse fails on anything else there). */
function only(result: RunResult, what: string): unknown {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`${what}: stdout is not one JSON document (exit ${result.code}):\n${result.stdout}\n--- stderr:\n${result.stderr}`);
  }
}

async function json<T = Record<string, unknown>>(run: Promise<RunResult>, what: string, code = 0): Promise<T> {
  const result = await run;
  expect(result.code, `${what}: ${result.stderr}`).toBe(code);
  return only(result, what) as T;
}

/** What SERVICE writes when it starts, as `logs --json` gives it (stdout and stderr are two pipes: their order may vary). */
const startLines = (service: string) => [
  { service, stream: 'stdout', line: 'out 1' },
  { service, stream: 'stderr', line: 'err 1' },
  { service, stream: 'stdout', line: 'ready' },
];

const sorted = (entries: Record<string, unknown>[]) => entries.map((entry) => JSON.stringify(entry)).sort();

/** ndjson: every line one object. */
function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('berth validate --json', () => {
  it('{ errors: [], warnings: [] } and exit 0 for a good file', async () => {
    const { berth } = project('31100-31109');
    const result = await berth('validate', '--json');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(only(result, 'validate')).toEqual({ errors: [], warnings: [] });
  });

  it('every error with file, line, col and message; exit 2; nothing on stderr', async () => {
    const cwd = projectWith('version: 7\nranges: { main: 31110-31119 }\nenvironments:\n  dev:\n    ranges: [main]\n    services: { api: { cmd: x, ports: -1 } }\n');
    const result = await runCli(['validate', '--json'], { cwd, env: { BERTH_HOME: tempDir() } });
    expect(result).toMatchObject({ code: 2, stderr: '' });
    const report = only(result, 'validate') as { errors: unknown[]; warnings: unknown[] };
    expect(report.errors).toEqual([
      { file: 'ports.yaml', line: 1, col: 10, message: 'version must be 1, not 7' },
      { file: 'ports.yaml', line: 6, col: 39, message: 'ports must be 0 or more, not -1' },
    ]);
    expect(report.warnings).toEqual([]);
  });

  it('warnings are listed apart (a range inside the ephemeral range)', async () => {
    const cwd = projectWith('version: 1\nranges: { main: 60000-60009 }\nenvironments:\n  dev:\n    ranges: [main]\n    services: { api: { cmd: x } }\n');
    const result = await runCli(['validate', '--json'], { cwd, env: { BERTH_HOME: tempDir() } });
    const report = only(result, 'validate') as { errors: unknown[]; warnings: Array<{ message: string }> };
    expect(result.code).toBe(0);
    expect(report.errors).toEqual([]);
    expect(report.warnings.length).toBeGreaterThan(0);
    expect(report.warnings[0]).toMatchObject({ file: 'ports.yaml', line: expect.any(Number), col: expect.any(Number) });
  });

  it('no file, or not YAML: still one document with one error', async () => {
    const elsewhere = tempDir();
    const missing = await runCli(['validate', '--json'], { cwd: elsewhere, env: { BERTH_HOME: tempDir() } });
    expect(missing).toMatchObject({ code: 2, stderr: '' });
    const none = only(missing, 'validate (no file)') as { errors: Array<{ message: string }> };
    expect(none.errors).toHaveLength(1);
    expect(none.errors[0]).toMatchObject({ file: 'ports.yaml', line: null, col: null });
    expect(none.errors[0]?.message).toContain('no ports.yaml');

    const gone = await runCli(['validate', '--json', '-f', 'nope.yaml'], { cwd: elsewhere, env: { BERTH_HOME: tempDir() } });
    expect((only(gone, 'validate -f nope.yaml') as { errors: Array<{ file: string }> }).errors).toMatchObject([{ file: 'nope.yaml', line: null }]);

    const cwd = projectWith('version: 1\nenvironments: [unclosed\n');
    const broken = await runCli(['validate', '--json'], { cwd, env: { BERTH_HOME: tempDir() } });
    expect(broken.code).toBe(2);
    const report = only(broken, 'validate (not YAML)') as { errors: Array<{ file: string; line: number }> };
    expect(report.errors.length).toBeGreaterThan(0);
    expect(report.errors[0]).toMatchObject({ file: 'ports.yaml', line: expect.any(Number) });
  });
});

describe('--json on every command that reports: one document on stdout, nothing else', () => {
  it('with two instances running: up -d, ps [ENV], ports, check, env, reserve, release, gc, stop/start/restart, logs, down', async () => {
    const { cwd, env, berth } = project('31120-31139');
    const pids: number[] = [];
    try {
      type Up = { lease: Lease; services: Array<{ pid: number | null }> };
      const dev = await json<Up>(berth('up', '-d', 'dev', '--json'), 'up -d dev');
      const test = await json<Up>(berth('up', '-d', 'test', '--json'), 'up -d test');
      for (const up of [dev, test]) pids.push(up.lease.owner.pid, ...up.services.map((service) => service.pid ?? 0));
      expect(dev.lease.services).toEqual({ api: [31120], web: [31121] });
      expect(test.lease.services).toEqual({ api: [31122] });

      // ps [ENV]
      type Ps = { instances: Array<{ env: string; instance: number; services: Array<{ name: string; state: string }> }> };
      const all = await json<Ps>(berth('ps', '--json'), 'ps');
      expect(all.instances.map((instance) => instance.env).sort()).toEqual(['dev', 'test']);
      const onlyTest = await json<Ps>(berth('ps', 'test', '--json'), 'ps test');
      expect(onlyTest.instances).toMatchObject([{ env: 'test', instance: 1, services: [{ name: 'api', state: 'ready' }] }]);
      expect((await json<Ps>(berth('ps', 'dev', '--all', '--json'), 'ps dev --all')).instances.map((instance) => instance.env)).toEqual(['dev']);
      const text = await berth('ps', 'dev');
      expect(text.stdout).toContain('shop/dev#1');
      expect(text.stdout).not.toContain('shop/test#1');
      const unknown = await berth('ps', 'prod');
      expect(unknown).toMatchObject({ code: 2, stdout: '' });
      expect(unknown.stderr).toBe(`berth: no environment "prod" in ${path.join(cwd, 'ports.yaml')} (environments: dev, test)\n`);

      expect((await json<{ leases: unknown[] }>(berth('ports', '--json'), 'ports')).leases).toHaveLength(2);
      expect((await json<{ ports: Array<{ free: boolean }> }>(berth('check', '31120', '31139', '--json'), 'check', 1)).ports.map((port) => port.free)).toEqual([false, true]);
      expect(await json(berth('env', 'test', '--format', 'json'), 'env')).toEqual({ API_PORT: 31122 });
      expect(await json(berth('gc', '--json'), 'gc')).toMatchObject({ reclaimed: [] });

      const reserved = await json<Lease>(berth('reserve', 'test', '--json'), 'reserve');
      expect(reserved).toMatchObject({ instance: 2, reserved: true });
      const released = await json<{ released: Lease[] }>(berth('release', reserved.id, '--json'), 'release');
      expect(released.released).toMatchObject([{ id: reserved.id, instance: 2 }]);

      for (const action of ['stop', 'start', 'restart']) {
        const service = await json<{ name: string; state: string; pid: number | null }>(berth(action, 'web', 'dev', '--json'), action);
        expect(service.name).toBe('web');
        if (service.pid) pids.push(service.pid);
      }

      // logs --json: ndjson, one { service, stream, line } per line, of each service or of one.
      const logs = await berth('logs', 'api', 'test', '--json');
      expect(logs).toMatchObject({ code: 0, stderr: '' });
      expect(sorted(ndjson(logs.stdout))).toEqual(sorted(startLines('api')));
      // Of every service of the one instance left, each line with its service.
      expect((await berth('down', 'test')).code).toBe(0);
      const every = await berth('logs', '--json', '--tail', '3');
      expect(every).toMatchObject({ code: 0, stderr: '' });
      const entries = ndjson(every.stdout);
      expect(entries.map((entry) => entry.service)).toEqual(['api', 'api', 'api', 'web', 'web', 'web']);
      expect(sorted(entries)).toEqual(sorted([...startLines('api'), ...startLines('web')]));
    } finally {
      await berth('down', '--all');
      for (const pid of pids) if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('logs -f --json keeps emitting ndjson as the service writes', async () => {
    const { cwd, env, berth } = project('31140-31159');
    const pids: number[] = [];
    const follower = track(spawn(process.execPath, [CLI, 'logs', 'api', 'test', '-f', '--json', '--tail', '0'], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      const up = await json<{ lease: Lease; services: Array<{ pid: number | null }> }>(berth('up', '-d', 'test', '--json'), 'up -d test');
      pids.push(up.lease.owner.pid, ...up.services.map((service) => service.pid ?? 0));
      // Started before the instance: it says there is none. Follow the running one now.
      await exited(follower);
      const follow = track(spawn(process.execPath, [CLI, 'logs', 'api', 'test', '-f', '--json', '--tail', '3'], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
      let out = '';
      follow.stdout?.on('data', (chunk) => (out += chunk));
      await waitFor(() => out.split('\n').length > 3, 5000, () => `the tail (have ${out})`);
      expect(sorted(ndjson(out))).toEqual(sorted(startLines('api')));
      // A restart writes new lines: they arrive on the same stream.
      await json(berth('restart', 'api', 'test', '--json'), 'restart');
      await waitFor(() => ndjson(out).length >= 6, 5000, () => `new lines (have ${out})`);
      expect(sorted(ndjson(out).slice(3))).toEqual(sorted(startLines('api')));
      process.kill(follow.pid as number, 'SIGINT');
      await exited(follow);
      expect(follow.exitCode).toBe(0);
    } finally {
      await berth('down', '--all');
      for (const pid of pids) if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('down --json: { stopped: [{ project, env, instance, exitCode }] }', async () => {
    const { berth } = project('31160-31179');
    const pids: number[] = [];
    try {
      for (const name of ['dev', 'test']) {
        const up = await json<{ lease: Lease; services: Array<{ pid: number | null }> }>(berth('up', '-d', name, '--json'), `up -d ${name}`);
        pids.push(up.lease.owner.pid, ...up.services.map((service) => service.pid ?? 0));
      }
      const one = await json<{ stopped: unknown[] }>(berth('down', 'test', '--json'), 'down test');
      expect(one).toEqual({ stopped: [{ project: 'shop', env: 'test', instance: 1, exitCode: 0 }] });
      const rest = await json<{ stopped: unknown[] }>(berth('down', '--all', '--json'), 'down --all');
      expect(rest).toEqual({ stopped: [{ project: 'shop', env: 'dev', instance: 1, exitCode: 0 }] });
      expect(await json(berth('down', '--all', '--json'), 'down --all (none left)')).toEqual({ stopped: [] });
      const none = await berth('down', '--json');
      expect(none).toMatchObject({ code: 1, stdout: '' });
      expect(none.stderr).toMatch(/^berth: no running instance of this project\n$/);
    } finally {
      await berth('down', '--all');
      for (const pid of pids) if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
