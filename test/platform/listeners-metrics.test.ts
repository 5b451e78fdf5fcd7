import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import xterm from '@xterm/headless';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEphemeralRange, posixEphemeralRange, procfsEphemeralRange, readEphemeralRange } from '../../src/platform/ephemeral.js';
import { parseLsofListeners, posixListeners } from '../../src/platform/listeners-posix.js';
import { procfsListeners } from '../../src/platform/listeners-procfs.js';
import { parseCpuTime, posixGroupTotals } from '../../src/platform/metrics-posix.js';
import { procfsGroupTotals } from '../../src/platform/metrics-procfs.js';
import { GroupMetrics, groupTotalsReader, type GroupTotalsReader } from '../../src/platform/metrics.js';
import { auxvPageSize, getconfPageSize, pageSize, pageSizeFromAuxv } from '../../src/platform/page-size.js';
import type { Lease } from '../../src/store/lease.js';
import { ROOT, runCli, track, waitFor } from '../helpers/processes.js';
import type { InstanceControl } from '../../src/control/instance-control.js';
import type { InstanceSnapshot } from '../../src/control/protocol.js';
import { Dashboard } from '../../src/tui/dashboard.js';
import { TopModel } from '../../src/tui/top-model.js';
import { spawnUntilLine } from '../helpers/spawn-line.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 29600-29699.

const BACKENDS = [
  { name: 'procfs', listeners: procfsListeners, totals: procfsGroupTotals, ephemeral: procfsEphemeralRange },
  { name: 'posix', listeners: posixListeners, totals: posixGroupTotals, ephemeral: posixEphemeralRange },
] as const;

const platformBefore = process.env.BERTH_PLATFORM;
afterEach(() => {
  if (platformBefore === undefined) delete process.env.BERTH_PLATFORM;
  else process.env.BERTH_PLATFORM = platformBefore;
});

/** A node child that listens on each host:port given and prints "ready". */
function listenerChild(binds: [string, number][]): Promise<ChildProcess> {
  const script = `const net = require('node:net'); const binds = JSON.parse(process.argv[1]); let n = 0;
    for (const [host, port] of binds) net.createServer().listen({ host, port, ipv6Only: host === '::' ? false : undefined }, () => { if (++n === binds.length) console.log('ready'); });`;
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, ['-e', script, JSON.stringify(binds)], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let err = '';
    child.stdout?.once('data', () => resolve(child));
    child.stderr?.on('data', (chunk) => (err += chunk));
    child.once('exit', (code) => reject(new Error(`listener exited ${code}: ${err}`)));
  });
}

/** Runs `body` with a process burning one core in a group of its own, SIGKILLed as a group after. */
async function withBurner(body: (pgid: number) => Promise<void>): Promise<void> {
  const burner = spawn(process.execPath, ['-e', 'for (;;) {}'], { detached: true, stdio: 'ignore' });
  const pgid = burner.pid as number;
  try {
    await body(pgid);
  } finally {
    process.kill(-pgid, 'SIGKILL');
  }
}

/** A dashboard on a headless terminal showing one instance whose one service is `pid`'s group. */
async function showDashboard(name: string, pid: number) {
  const snapshot: InstanceSnapshot = {
    lease: { id: 'shop1', project: 'shop', root: '/w', env: 'dev', instance: 1, ports: [29690, 29690], blocks: [], services: {}, owner: { pid: 1, startTime: 0, host: 'h' }, createdAt: new Date().toISOString() },
    pid: process.pid,
    stopping: false,
    services: [{ name, state: 'ready', pid, ports: [], restarts: 0, ready: true, exitCode: null, signal: null, startedAt: new Date().toISOString(), reason: null }],
  };
  const never = (signal?: AbortSignal) => new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()));
  const control: InstanceControl = {
    instance: async () => snapshot,
    events: async (onEvent, signal) => {
      onEvent({ type: 'snapshot', instance: structuredClone(snapshot) });
      await never(signal);
    },
    logs: async () => [],
    followLogs: async (_service, _tail, _write, signal) => never(signal),
    down: async () => {},
    service: async () => snapshot.services[0] as InstanceSnapshot['services'][number],
  };
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 24 });
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input, isRaw: true });
  const term = new xterm.Terminal({ cols: 100, rows: 24, allowProposedApi: true });
  output.on('data', (chunk: Buffer) => term.write(chunk));
  let dashboard: Dashboard | undefined;
  const model = new TopModel(async () => [{ lease: snapshot.lease, control }], () => dashboard?.render());
  dashboard = new Dashboard({ model, mode: 'top', color: false, input, output, onQuit: () => {} });
  await model.refresh();
  const text = () => Array.from({ length: 24 }, (_, y) => term.buffer.active.getLine(y)?.translateToString(true) ?? '').join('\n');
  return {
    text,
    close: () => {
      model.close();
      dashboard?.destroy();
    },
  };
}

const getconf = () => Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());

describe.each(BACKENDS)('$name backend', (backend) => {
  it('finds listeners on 127.0.0.1, ::1, 0.0.0.0 and :: with the pid that holds each, and nothing on a free port', async () => {
    const binds: [string, number][] = [['127.0.0.1', 29640], ['::1', 29641], ['0.0.0.0', 29642], ['::', 29643]];
    const child = await listenerChild(binds);
    const { listeners, unavailable } = backend.listeners(new Set([29640, 29641, 29642, 29643, 29644]));
    expect(unavailable).toBeUndefined();
    expect(Object.fromEntries(listeners)).toEqual({ 29640: [child.pid], 29641: [child.pid], 29642: [child.pid], 29643: [child.pid] });
  });

  it('reads the same ephemeral range as /proc', () => {
    const proc = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    expect(backend.ephemeral()).toEqual({ first: proc[0], last: proc[1] });
  });

  it('a group burning CPU shows more than 20 % of a core and more than 10 MB resident', async () => {
    await withBurner(async (pgid) => {
      const metrics = new GroupMetrics(backend.totals as GroupTotalsReader);
      const groups = new Set([pgid]);
      expect(metrics.sample(groups).get(pgid)?.cpuPercent).toBe(0); // nothing to compare with yet
      const start = backend.totals(groups).get(pgid)?.cpuSeconds ?? 0;
      // Poll until the burner has used a whole second of CPU (procps `ps` counts whole seconds).
      await waitFor(() => (backend.totals(groups).get(pgid)?.cpuSeconds ?? 0) >= start + 1, 20_000, 'one CPU second');
      const usage = metrics.sample(groups).get(pgid);
      expect(usage?.cpuPercent).toBeGreaterThan(20);
      expect(usage?.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    });
  });
});

describe('both backends agree', () => {
  it('on the resident memory of one group (procfs pages × the real page size = ps KiB)', async () => {
    await withBurner(async (pgid) => {
      const groups = new Set([pgid]);
      await waitFor(() => (posixGroupTotals(groups).get(pgid)?.rssBytes ?? 0) > 10 * 1024 * 1024, 5000, 'the burner resident');
      const procfs = procfsGroupTotals(groups).get(pgid)?.rssBytes ?? 0;
      const posix = posixGroupTotals(groups).get(pgid)?.rssBytes ?? 0;
      expect(Math.abs(procfs - posix) / posix).toBeLessThan(0.1);
    });
  });
});

describe('page size', () => {
  it('is the one getconf reports, from the auxiliary vector and from getconf alike', () => {
    expect(auxvPageSize()).toBe(getconf());
    expect(getconfPageSize()).toBe(getconf());
    expect(pageSize()).toBe(getconf());
  });

  it('is read, not assumed: a 64K-page auxiliary vector gives 65536', () => {
    const auxv = Buffer.alloc(64);
    auxv.writeBigUInt64LE(33n, 0); // AT_SYSINFO_EHDR
    auxv.writeBigUInt64LE(0x7fffn, 8);
    auxv.writeBigUInt64LE(6n, 16); // AT_PAGESZ
    auxv.writeBigUInt64LE(65536n, 24);
    expect(pageSizeFromAuxv(auxv, 8, 'LE')).toBe(65536);
    expect(pageSizeFromAuxv(Buffer.alloc(32), 8, 'LE')).toBeNull(); // AT_NULL first
  });
});

describe('parsers', () => {
  it('lsof -Fpn: p lines start a process, n lines are its sockets; other fields are skipped', () => {
    const text = 'p101\nf5\nn127.0.0.1:5432\nn[::1]:5433\np202\nf7\nn*:8080\nn[::]:8080\nn10.0.0.1:9000->10.0.0.2:443\np303\nn*:5432\n';
    expect(Object.fromEntries(parseLsofListeners(text))).toEqual({ 5432: [101, 303], 5433: [101], 8080: [202] });
  });

  it('ps time is [[dd-]hh:]mm:ss[.cc]', () => {
    expect([parseCpuTime('0:01.50'), parseCpuTime('00:01:05'), parseCpuTime('2-01:00:00'), parseCpuTime('125:03.25'), parseCpuTime('-')]).toEqual([1.5, 65, 176_400, 7503.25, null]);
  });

  it('ephemeral ranges: Linux one line, BSD two lines', () => {
    expect([parseEphemeralRange('32768\t60999\n'), parseEphemeralRange('49152\n65535\n'), parseEphemeralRange('')]).toEqual([{ first: 32768, last: 60999 }, { first: 49152, last: 65535 }, null]);
  });
});

const STACK = `version: 1
project: shop
ranges:
  dev: 29600-29609
environments:
  dev:
    ranges: [dev]
    services:
      api: { cmd: node api.js, ports: 2 }
`;

describe('berth with BERTH_PLATFORM=posix', () => {
  it('ports: a stranger on a leased port is a conflict naming its pid, on either backend', async () => {
    const cwd = projectWith(STACK);
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const { line } = await spawnUntilLine(path.join(ROOT, 'test/fixtures/hold-lease.mjs'), ['dev'], { cwd, env });
    const lease = JSON.parse(line) as Lease;
    const port = lease.services.api?.[1] as number;
    const stranger = await listenerChild([['127.0.0.1', port]]);
    for (const platform of ['posix', undefined]) {
      const json = await runCli(['ports', '--json'], { cwd, env: { ...env, BERTH_PLATFORM: platform } });
      expect(json.stderr).toBe('');
      expect(JSON.parse(json.stdout).conflicts).toEqual([{ port, lease: lease.id, label: 'shop/dev#1', pids: [stranger.pid] }]);
    }
    const text = await runCli(['ports'], { cwd, env: { ...env, BERTH_PLATFORM: 'posix' } });
    expect(text.stdout).toContain(`  ${port} of shop/dev#1: bound by pid ${stranger.pid}`);
  });

  it('ports: without lsof there are no conflicts to show, and berth says why, once', async () => {
    const cwd = projectWith(STACK);
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const { line } = await spawnUntilLine(path.join(ROOT, 'test/fixtures/hold-lease.mjs'), ['dev'], { cwd, env });
    const lease = JSON.parse(line) as Lease;
    await listenerChild([['127.0.0.1', lease.services.api?.[0] as number]]);
    const bin = tempDir('berth-path-');
    symlinkSync(execFileSync('sh', ['-c', 'command -v ps'], { encoding: 'utf8' }).trim(), path.join(bin, 'ps')); // ps, but no lsof
    const result = await runCli(['ports', '--json'], { cwd, env: { ...env, BERTH_PLATFORM: 'posix', PATH: bin } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).conflicts).toEqual([]);
    expect(result.stderr).toBe('berth: warning: lsof is not installed: berth cannot tell which process holds a leased port (install lsof)\n');
  });

  it('validate warns about a range inside the ephemeral range read with sysctl', async () => {
    const range = procfsEphemeralRange() as { first: number; last: number };
    const cwd = projectWith(STACK.replace('29600-29609', `${range.first}-${range.first + 9}`));
    const result = await runCli(['validate'], { cwd, env: { BERTH_PLATFORM: 'posix' } });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`overlaps the kernel's ephemeral ports (${range.first}-${range.last})`);
    process.env.BERTH_PLATFORM = 'posix';
    expect(readEphemeralRange()).toEqual(range);
  });

  it('the dashboard shows CPU and memory of a service group', async () => {
    process.env.BERTH_PLATFORM = 'posix';
    expect(groupTotalsReader()).toBe(posixGroupTotals);
    await withBurner(async (pgid) => {
      const screen = await showDashboard('burn', pgid);
      try {
        const row = new RegExp(`burn +ready +${pgid} +- +(\\d+\\.\\d)% +(\\d+)M`);
        const match = await waitFor(() => {
          const found = row.exec(screen.text());
          return found && Number(found[1]) > 0 ? found : null;
        }, 10_000, () => `CPU and MEM in the burn row:\n${screen.text()}`);
        expect(Number(match[2])).toBeGreaterThan(10);
      } finally {
        screen.close();
      }
    });
  });
});
