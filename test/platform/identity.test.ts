import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityBackend } from '../../src/platform/identity-backend.js';
import { posixIdentity, parseLstart } from '../../src/platform/identity-posix.js';
import { procfsIdentity } from '../../src/platform/identity-procfs.js';
import { aliveIdentities, currentIdentity, type IdentityContext } from '../../src/platform/identity.js';
import { machineId, parseIoregUuid } from '../../src/platform/machine-id.js';
import { FileLeaseStore } from '../../src/store/file-store.js';
import type { Lease, LeaseOwner } from '../../src/store/lease.js';
import { writeRegistry } from '../../src/store/registry-file.js';
import { startUp } from '../helpers/berth-up.js';
import { CLI, ROOT, runCli, track, waitFor } from '../helpers/processes.js';
import { spawnUntilLine } from '../helpers/spawn-line.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 29500-29599.

const BACKENDS: { name: 'procfs' | 'posix'; make: () => IdentityBackend }[] = [
  { name: 'procfs', make: () => procfsIdentity() },
  { name: 'posix', make: () => posixIdentity() },
];

const contextWith = (active: 'procfs' | 'posix', posix = posixIdentity()): IdentityContext => ({ procfs: procfsIdentity(), posix, active, machineId: machineId(), hostname: os.hostname() });

function sleeper(): ChildProcess {
  return track(spawn('sleep', ['60'], { stdio: 'ignore' }));
}

async function kill9(child: ChildProcess): Promise<void> {
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

/** The owner berth 0.1 wrote: ms since the epoch by btime + ticks, the hostname as host. */
function legacyOwner(pid: number, shiftMs = 0): LeaseOwner {
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  return { pid, startTime: btime * 1000 + Math.round((ticks * 1000) / 100) + shiftMs, host: os.hostname() };
}

function leaseOf(owner: unknown, port: number): Lease {
  return { id: `l${port}`, project: 'p', root: '/p', env: 'dev', instance: 1, ports: [port, port], blocks: [{ range: 'r', ports: [port, port], group: 'shared' }], services: { a: [port] }, owner: owner as LeaseOwner, createdAt: new Date().toISOString() };
}

describe.each(BACKENDS)('process identity, $name backend', ({ name, make }) => {
  it('a live process is alive; SIGKILLed it is dead at once; its pid with another start is somebody else', async () => {
    const backend = make();
    const child = sleeper();
    const pid = child.pid as number;
    const [start] = backend.starts([pid]);
    expect(start).toMatchObject({ pid, startTime: expect.any(Number) });
    expect(Number.isFinite(start?.startTime)).toBe(true);
    if (!start) return;
    expect(backend.same(start, start)).toBe(true);
    expect(backend.same({ startTime: start.startTime }, backend.starts([pid])[0] ?? start)).toBe(true);
    // Same pid, another start: a reused pid.
    const other = name === 'procfs' ? start.startTime + 1 : start.startTime - 3000;
    expect(backend.same({ startTime: other, boot: start.boot ?? undefined }, start)).toBe(false);
    expect(backend.same({ startTime: start.startTime, boot: name === 'procfs' ? 'another-boot' : 'init:1' }, start)).toBe(false);

    const ctx = contextWith(name);
    const owner = { pid, startTime: start.startTime, host: ctx.machineId, ...(start.boot ? { boot: start.boot } : {}) };
    expect(aliveIdentities([owner, { ...owner, startTime: other }], ctx)).toEqual([true, false]);
    await kill9(child);
    expect(backend.starts([pid])).toEqual([null]);
    expect(aliveIdentities([owner], ctx)).toEqual([false]);
  });

  it('a zombie is dead', async () => {
    // Once sh has exec'd sleep, nothing waits for its child: killed, the child stays a zombie.
    const child = track(spawn('/bin/sh', ['-c', 'sleep 60 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] }));
    let out = '';
    child.stdout?.on('data', (chunk) => (out += chunk));
    const zombie = Number(await waitFor(() => /^\d+\n/.exec(out)?.[0], 5000, 'the child pid'));
    const stat = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8');
    try {
      await waitFor(() => stat(child.pid as number).includes('(sleep)'), 5000, 'sh to exec sleep');
      process.kill(zombie, 'SIGKILL');
      await waitFor(() => /\) Z /.test(stat(zombie)), 5000, 'the zombie');
      expect(make().starts([zombie, child.pid as number]).map((start) => start !== null)).toEqual([false, true]);
    } finally {
      process.kill(zombie, 'SIGKILL');
      child.kill('SIGKILL'); // its zombie child goes with it
    }
  });

  it('many pids, one read: each one answered in order, a bad pid as not running', () => {
    const children = [sleeper(), sleeper(), sleeper()];
    const pids = children.map((child) => child.pid as number);
    const starts = make().starts([pids[0] as number, -1, pids[1] as number, 999_999_999, pids[2] as number]);
    expect(starts.map((start) => start?.pid ?? null)).toEqual([pids[0], null, pids[1], null, pids[2]]);
  });
});

describe('POSIX backend', () => {
  it('reads lstart as printed under LC_ALL=C and TZ=UTC, and nothing else', () => {
    expect(parseLstart('Tue Dec  2 02:50:00 2025')).toBe(Date.UTC(2025, 11, 2, 2, 50, 0));
    expect(parseLstart('Sat Jan 31 23:59:59 2026')).toBe(Date.UTC(2026, 0, 31, 23, 59, 59));
    expect(parseLstart('Di  2 Dez 02:50:00 2025')).toBeNaN();
  });

  it('where lstart is fixed at fork (macOS), pid 1 starting at another second is another boot', () => {
    const macos = posixIdentity({ lstartFixedAtFork: true });
    const current = { pid: 42, startTime: 1_800_000_100_000, boot: 'init:1800000000' };
    expect(macos.same({ startTime: 1_800_000_100_000, boot: 'init:1800000000' }, current)).toBe(true);
    expect(macos.same({ startTime: 1_800_000_101_000, boot: 'init:1800000000' }, current)).toBe(true); // 1 s resolution
    expect(macos.same({ startTime: 1_800_000_100_000, boot: 'init:1700000000' }, current)).toBe(false);
    // procps derives lstart from the boot time it reads now: a clock step shifts pid 1 and the process alike.
    const procps = posixIdentity({ lstartFixedAtFork: false });
    expect(procps.same({ startTime: 1_800_000_097_000, boot: 'init:1799999997' }, current)).toBe(true);
    expect(procps.same({ startTime: 1_800_000_097_000, boot: 'init:1800000000' }, current)).toBe(false);
  });

  it('asks one ps for every lease the store checks', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'ps.log');
    const ps = path.join(dir, 'ps');
    const realPs = execFileSync('sh', ['-c', 'command -v ps'], { encoding: 'utf8' }).trim();
    writeFileSync(ps, `#!/bin/sh\necho "$*" >> '${log}'\nexec ${realPs} "$@"\n`);
    chmodSync(ps, 0o755);
    const children = Array.from({ length: 20 }, sleeper);
    const ctx = contextWith('posix', posixIdentity({ ps }));
    const owners = children.map((child) => ctx.posix.starts([child.pid as number])[0]).map((start) => ({ ...start, host: ctx.machineId }));
    writeFileSync(log, '');
    expect(aliveIdentities(owners, ctx)).toEqual(owners.map(() => true));
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);

    // The file store under the lock: the same single call, through ps on PATH.
    const home = tempDir('berth-home-');
    writeRegistry(path.join(home, 'registry.json'), { version: 1, sticky: {}, leases: owners.map((owner, index) => leaseOf(owner, 29580 + index)) });
    writeFileSync(log, '');
    const result = await runCli(['ports', '--json'], { env: { BERTH_HOME: home, BERTH_PLATFORM: 'posix', PATH: `${dir}:${process.env.PATH}` } });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { leases: { stale: boolean }[] }).leases.map((lease) => lease.stale)).toEqual(owners.map(() => false));
    const identityCalls = readFileSync(log, 'utf8').split('\n').filter((line) => line.includes('lstart'));
    expect(identityCalls).toHaveLength(1);
    expect(identityCalls[0]).toContain(owners.map((owner) => owner.pid).join(','));
  });
});

describe('POSIX backend under a German locale', () => {
  let german = '';
  beforeAll(() => {
    german = ensureGermanLocale();
  });

  it('a ps that prints dates in the locale (as macOS ps does) defeats Date.parse; the backend forces LC_ALL=C and still tells live from reused', async (context) => {
    if (!german) context.skip(`no de_DE.UTF-8 locale and none could be generated (localedef / apt-get locales as root)`);
    // macOS ps prints lstart with strftime("%c") in the caller's locale; procps on Linux does
    // not, so this stand-in prints procps's dates the way macOS ps would.
    const dir = tempDir();
    const bsdPs = path.join(dir, 'ps');
    writeFileSync(
      bsdPs,
      `#!/bin/sh
LC_ALL=C TZ=UTC ps "$@" | while IFS= read -r line; do
  n=$(printf '%s' "$line" | wc -c)
  head=$(printf '%s' "$line" | head -c $((n - 24)))
  when=$(printf '%s' "$line" | tail -c 24)
  printf '%s%s\\n' "$head" "$(date -d "@$(TZ=UTC date -d "$when" +%s)" +%c)"
done
`,
    );
    chmodSync(bsdPs, 0o755);
    const child = sleeper();
    const pid = String(child.pid);
    const germanEnv = { ...process.env, LANG: german, LC_ALL: undefined, LC_TIME: undefined };
    const printed = execFileSync(bsdPs, ['-o', 'lstart=', '-p', pid], { encoding: 'utf8', env: germanEnv }).trim();
    expect(printed).toMatch(/Dez|Jan|Feb|Mär|Apr|Mai|Jun|Jul|Aug|Sep|Okt|Nov/);
    expect(Date.parse(printed)).toBeNaN(); // what berth 0.1 did with it: every lease stale
    // Real ps under the same locale (procps prints English dates whatever the locale).
    expect(spawnSync('ps', ['-o', 'lstart=', '-p', pid], { encoding: 'utf8', env: germanEnv }).status).toBe(0);

    const saved = { LANG: process.env.LANG, LC_ALL: process.env.LC_ALL, LC_TIME: process.env.LC_TIME };
    process.env.LANG = german;
    delete process.env.LC_ALL;
    delete process.env.LC_TIME;
    try {
      for (const backend of [posixIdentity({ ps: bsdPs }), posixIdentity()]) {
        const [start] = backend.starts([Number(pid)]);
        expect(Number.isFinite(start?.startTime)).toBe(true);
        if (!start) return;
        const ctx = contextWith('posix', backend);
        const owner = { pid: Number(pid), startTime: start.startTime, host: ctx.machineId, boot: start.boot ?? undefined };
        expect(aliveIdentities([owner, { ...owner, startTime: start.startTime - 5000 }], ctx)).toEqual([true, false]);
      }
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});

/** de_DE.UTF-8, generated when missing; '' when that cannot be done here. */
function ensureGermanLocale(): string {
  const have = () => /^de_DE\.utf-?8$/im.test(spawnSync('locale', ['-a'], { encoding: 'utf8' }).stdout ?? '');
  if (have()) return 'de_DE.UTF-8';
  const localedef = () => spawnSync('localedef', ['-i', 'de_DE', '-f', 'UTF-8', 'de_DE.UTF-8'], { stdio: 'ignore', timeout: 60_000 });
  if (localedef().error && process.getuid?.() === 0) {
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'locales'], { stdio: 'ignore', timeout: 120_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    localedef();
  }
  return have() ? 'de_DE.UTF-8' : '';
}

describe('machine id', () => {
  it('owner.host is a keyed hash of /etc/machine-id, not the hostname; the hostname is kept for display', () => {
    const osId = ['/etc/machine-id', '/var/lib/dbus/machine-id'].map((file) => {
      try {
        return readFileSync(file, 'utf8').trim();
      } catch {
        return '';
      }
    }).find((id) => /^[0-9a-f]{32}$/.test(id));
    const me = currentIdentity();
    expect(me.host).toBe(machineId());
    expect(me.host).not.toBe(os.hostname());
    expect(me.hostname).toBe(os.hostname());
    if (osId) expect(me.host).toBe(createHmac('sha256', osId).update('berth owner host').digest('hex').slice(0, 32));
  });

  it('with no OS id, one is generated once in BERTH_HOME, mode 0600, and kept', () => {
    const home = tempDir('berth-home-');
    const first = machineId({ files: [path.join(home, 'none')], ioreg: false, home });
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(statSync(path.join(home, 'machine-id')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(home, 'machine-id'), 'utf8').trim()).toBe(first);
    expect(machineId({ files: [], ioreg: false, home })).toBe(first); // another reader of the same home
  });

  it('reads IOPlatformUUID from ioreg output', () => {
    expect(parseIoregUuid('  "IOPlatformSerialNumber" = "C02X"\n  "IOPlatformUUID" = "564D1A2B-0C3D-4E5F-8A9B-0C1D2E3F4A5B"\n')).toBe('564d1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b');
  });
});

describe('leases of the previous version (hostname as host, ms since the epoch by btime)', () => {
  it.each(['procfs', 'posix'] as const)('with %s recording: a live owner is alive, also with btime moved 2 s; a dead one is stale; a broken owner never throws', async (active) => {
    const live = sleeper();
    const dead = sleeper();
    const deadOwner = legacyOwner(dead.pid as number);
    await kill9(dead);
    const ctx = contextWith(active);
    const owners: unknown[] = [legacyOwner(live.pid as number), legacyOwner(live.pid as number, 2000), deadOwner, { ...legacyOwner(live.pid as number), startTime: null }];
    expect(aliveIdentities(owners, ctx)).toEqual([true, true, false, true]);
    expect(aliveIdentities([legacyOwner(live.pid as number, 60_000)], ctx)).toEqual([false]); // another process on that pid

    const broken: unknown[] = [{}, { pid: 'x', host: ctx.machineId }, { pid: live.pid, startTime: 'soon', host: ctx.machineId, boot: 7 }, { pid: live.pid, host: 42 }];
    expect(aliveIdentities([undefined, null, ...broken], ctx)).toEqual([undefined, null, ...broken].map(() => true));

    const home = tempDir('berth-home-');
    writeRegistry(path.join(home, 'registry.json'), { version: 1, sticky: {}, leases: [...owners, ...broken].map((owner, index) => leaseOf(owner, 29560 + index)) });
    const listed = await new FileLeaseStore({ home }).list();
    expect(listed.map((lease) => lease.stale)).toEqual([false, false, true, false, ...broken.map(() => false)]);
  });
});

/** Whether this process may make a mount namespace (root in CI). */
function canUnshare(): boolean {
  return spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind /proc/stat /proc/stat'], { stdio: 'ignore' }).status === 0;
}

describe.each([
  { name: 'procfs', platform: '', first: 29500 },
  { name: 'posix', platform: 'posix', first: 29520 },
])('a wall clock stepped by seconds ($name backend)', ({ platform, first }) => {
  it('a running berth up is not reclaimed by a berth that sees btime moved; a dead owner is stale all the same', async (context) => {
    if (!canUnshare()) context.skip('unshare -m with mount --bind is not permitted here (needs root or user namespaces)');
    const serve = `node ${path.join(ROOT, 'test/fixtures/serve.mjs')}`;
    const cwd = projectWith(`version: 1
project: clock
ranges: { dev: ${first}-${first + 3}, hold: ${first + 10}-${first + 13} }
environments:
  dev: { ranges: [dev], services: { api: { cmd: ${serve} } } }
  hold: { ranges: [hold], services: { x: { cmd: none, ready: none } } }
`);
    const env = { BERTH_HOME: tempDir('berth-home-'), BERTH_PLATFORM: platform };
    const up = startUp(['dev'], { cwd, env });
    await up.line(new RegExp(`api ready on ${first}`));
    const held = await spawnUntilLine(path.join(ROOT, 'test/fixtures/hold-lease.mjs'), ['hold'], { cwd, env });
    const gone = JSON.parse(held.line) as Lease;
    await kill9(held.child);

    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    const fakeStat = path.join(tempDir(), 'stat');
    writeFileSync(fakeStat, readFileSync('/proc/stat', 'utf8').replace(/^btime \d+$/m, `btime ${btime + 3}`));
    const shifted = (...args: string[]) => runShifted(fakeStat, args, { cwd, env });

    const listed = await shifted('ports', '--json');
    expect(listed.stderr).toContain(`btime ${btime + 3}`);
    const stale = Object.fromEntries((JSON.parse(listed.stdout) as { leases: (Lease & { stale: boolean })[] }).leases.map((lease) => [lease.env, lease.stale]));
    expect(stale).toEqual({ dev: false, hold: true });

    const reserved = await shifted('reserve', 'dev', '--json');
    expect(reserved.code, reserved.stderr).toBe(0);
    const after = JSON.parse((await runCli(['ports', '--json'], { cwd, env })).stdout) as { leases: Lease[] };
    const upLease = after.leases.find((lease) => lease.env === 'dev' && !lease.reserved);
    expect(upLease?.ports).toEqual([first, first]); // still there: not reclaimed
    expect(after.leases.some((lease) => lease.id === gone.id)).toBe(false); // the dead one was
    up.child.kill('SIGINT');
    expect((await up.exit).code).toBe(0);
  });
});

/** Runs `berth ARGS` in a mount namespace of its own where /proc/stat is `fakeStat`. */
function runShifted(fakeStat: string, args: string[], options: { cwd: string; env: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = 'mount --bind "$1" /proc/stat && grep btime /proc/stat >&2 && shift && exec "$@"';
  const child = track(spawn('unshare', ['-m', 'sh', '-c', script, 'sh', fakeStat, process.execPath, CLI, ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
