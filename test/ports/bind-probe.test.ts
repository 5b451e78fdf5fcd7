import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { perAddressSet, probePort, probePorts, PROBE_ADDRESSES } from '../../src/ports/bind-probe.js';
import { PortHolds } from '../../src/ports/port-holds.js';
import { startUp } from '../helpers/berth-up.js';
import { listenOn, ROOT, runNode } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';
import { dualStackCoversAll, wildcardExcludesSpecific } from '../../src/platform/dual-stack.js';

// This file's ports: 20100-20199.

describe('bind probe', () => {
  it('sees a free port as free', async () => {
    expect(await probePort(20100)).toEqual({ port: 20100, free: true, hold: null });
  });

  it.each([
    ['127.0.0.1', 20110],
    ['0.0.0.0', 20111],
    ['::', 20112],
    ['::1', 20113],
  ])('sees a listener on %s', async (host, port) => {
    await listenOn(port, host);
    const outcome = await probePort(port);
    expect(outcome.free).toBe(false);
    expect(outcome).toMatchObject({ reason: 'in-use' });
  });

  it('probes many ports at once and tells them apart', async () => {
    await listenOn(20121, '127.0.0.1');
    await listenOn(20123, '0.0.0.0');
    const outcomes = await probePorts([20120, 20121, 20122, 20123, 20124]);
    expect(outcomes.map((outcome) => outcome.free)).toEqual([true, false, true, false, true]);
  });

  it('a held port keeps every other binder out until released', async () => {
    const outcome = await probePort(20130, { hold: true });
    expect(outcome.free).toBe(true);
    const holds = new PortHolds();
    if (outcome.free && outcome.hold) holds.add(20130, outcome.hold);
    for (const host of ['127.0.0.1', '0.0.0.0', '::']) {
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        const server = net.createServer();
        server.once('error', resolve);
        server.listen(20130, host, () => server.close(() => resolve(null)));
      });
      expect(error?.code, host).toBe('EADDRINUSE');
    }
    await holds.release([20130]);
    const server = await listenOn(20130, '127.0.0.1');
    expect(server.listening).toBe(true);
  });
});

/** A stranger's bind of host:port (`::` dual-stack unless v6only): null when it bound, else the error code. */
function strangerBind(port: number, host: string, ipv6Only = false): Promise<string | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
    server.listen({ port, host, ipv6Only }, () => server.close(() => resolve(null)));
  });
}

const STRANGERS: Array<[string, boolean]> = [
  ['127.0.0.1', false],
  ['::1', false],
  ['0.0.0.0', false],
  ['::', false],
  ['::', true],
];

describe('bind probe, one socket per address (macOS, the POSIX backend, bindv6only=1)', () => {
  const mode = 'per-address' as const;

  it.each([
    ['127.0.0.1', false, 20140],
    ['::1', false, 20141],
    ['0.0.0.0', false, 20142],
    [':: (dual-stack)', false, 20143],
    [':: (v6only)', true, 20144],
  ])('sees a listener on %s', async (label, ipv6Only, port) => {
    const host = label.startsWith('::') && label !== '::1' ? '::' : label;
    const server = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host, ipv6Only }, resolve);
      });
      const outcome = await probePort(port, { mode });
      expect(outcome).toMatchObject({ free: false, reason: 'in-use' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sees a free port as free and leaves nothing bound', async () => {
    expect(await probePort(20145, { mode })).toEqual({ port: 20145, free: true, hold: null });
    for (const [host, ipv6Only] of STRANGERS) expect(await strangerBind(20145, host, ipv6Only), host).toBeNull();
  });

  it('while a port is held, a stranger can bind none of 127.0.0.1, ::1, 0.0.0.0, ::; after release, every one', async () => {
    const outcome = await probePort(20150, { hold: true, mode });
    expect(outcome.free).toBe(true);
    const holds = new PortHolds();
    if (outcome.free && outcome.hold) holds.add(20150, outcome.hold);
    expect(holds.socketCount).toBe(perAddressSet().length);
    for (const [host, ipv6Only] of STRANGERS) {
      expect(await strangerBind(20150, host, ipv6Only), `${host}${ipv6Only ? ' v6only' : ''}`).toBe('EADDRINUSE');
    }
    await holds.release();
    expect(holds.socketCount).toBe(0);
    for (const [host, ipv6Only] of STRANGERS) expect(await strangerBind(20150, host, ipv6Only), host).toBeNull();
  });

  it('the per-address set covers all four addresses, or (on a Linux kernel) the two wildcards that exclude them', () => {
    const set = perAddressSet();
    if (process.platform === 'linux') expect(set).toEqual(['0.0.0.0', '::']);
    else expect(set).toEqual(PROBE_ADDRESSES);
  });

  it('many ports at once: the free ones held, the taken ones reported, nothing left of the taken ones', async () => {
    await listenOn(20152, '::1');
    await listenOn(20154, '127.0.0.1');
    const outcomes = await probePorts([20151, 20152, 20153, 20154], { hold: true, mode });
    expect(outcomes.map((outcome) => outcome.free)).toEqual([true, false, true, false]);
    const holds = new PortHolds();
    for (const outcome of outcomes) if (outcome.free && outcome.hold) holds.add(outcome.port, outcome.hold);
    expect(holds.ports).toEqual([20151, 20153]);
    await holds.release();
  });

  it('out of file descriptors is a clear error, not "in use", and no socket is left bound', async () => {
    const script = path.join(tempDir(), 'hold-many.mjs');
    writeFileSync(
      script,
      `import net from 'node:net';
import { probePorts } from ${JSON.stringify(path.join(ROOT, 'dist/lib/ports/bind-probe.js'))};
const ports = Array.from({ length: 20 }, (_, i) => 20160 + i);
let result;
try {
  const outcomes = await probePorts(ports, { hold: true, mode: 'per-address' });
  result = { taken: outcomes.filter((outcome) => !outcome.free).length };
} catch (error) {
  result = { code: error.code, message: error.message };
}
const bindable = [];
for (const port of ports) {
  bindable.push(await new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error) => resolve(port + ' ' + error.code));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  }));
}
result.notBindable = bindable.filter((entry) => entry !== true);
console.log(JSON.stringify(result));
process.exit(0);
`,
    );
    // 20 ports need 40 sockets (80 on macOS) beside the ~20 node opens itself: 40 descriptors are not enough.
    const run = await runNode(['-e', `require('child_process').execFileSync('sh', ['-c', 'ulimit -n 40 && exec "$0" "$1"', process.execPath, ${JSON.stringify(script)}], { stdio: 'inherit' })`]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim()) as { code?: string; message?: string; taken?: number; notBindable: string[] };
    expect(result).toMatchObject({ code: 'TOO_MANY_OPEN_FILES', notBindable: [] });
    expect(result.message).toMatch(/out of file descriptors \(EMFILE\) while binding .*:201\d\d .*ulimit -n/);
  });
});

describe('which mode a platform gets', () => {
  it('one :: bind covers everything only on procfs with bindv6only=0 and IPv6 present', () => {
    expect(dualStackCoversAll('posix', () => '0\n')).toBe(false);
    expect(dualStackCoversAll('procfs', () => '1\n')).toBe(false);
    expect(
      dualStackCoversAll('procfs', () => {
        throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      }),
    ).toBe(false);
    expect(wildcardExcludesSpecific('linux')).toBe(true);
    expect(wildcardExcludesSpecific('darwin')).toBe(false);
  });

  it('BERTH_PLATFORM=posix gives the per-address mode on Linux too', async () => {
    const script = `import(${JSON.stringify(path.join(ROOT, 'dist/lib/ports/bind-probe.js'))}).then((m) => console.log(m.probeMode()))`;
    const posix = await runNode(['-e', script], { env: { BERTH_PLATFORM: 'posix' } });
    expect(posix.stdout.trim(), posix.stderr).toBe('per-address');
    const native = await runNode(['-e', script], { env: { BERTH_PLATFORM: undefined } });
    expect(native.stdout.trim()).toBe(dualStackCoversAll(process.platform === 'linux' ? 'procfs' : 'posix') ? 'dual-stack' : 'per-address');
  });
});

describe('berth up with BERTH_PLATFORM=posix', () => {
  it('holds every address of each port until just before its service spawns: a service on 127.0.0.1 and ::1 starts and becomes ready', async () => {
    const cwd = projectWith(`version: 1
project: probe
ranges: { dev: 20180-20189 }
environments:
  dev:
    services:
      both:
        cmd: node both-loopbacks.mjs
        ports: 2
`);
    writeFileSync(
      path.join(cwd, 'both-loopbacks.mjs'),
      `import net from 'node:net';
// Binds both of its ports on 127.0.0.1 and on ::1: any hold berth kept would make one fail.
const ports = [Number(process.env.PORT), Number(process.env.PORT) + 1];
const binds = ports.flatMap((port) => ['127.0.0.1', '::1'].map((host) => new Promise((resolve, reject) => {
  const server = net.createServer((socket) => socket.end());
  server.once('error', reject);
  server.listen({ port, host }, resolve);
})));
Promise.all(binds).then(() => console.log('bound all'), (error) => { console.log('bind failed: ' + error.code + ' ' + error.address + ':' + error.port); process.exit(1); });
`,
    );
    const berth = startUp([], { cwd, env: { BERTH_HOME: tempDir('berth-home-'), BERTH_PLATFORM: 'posix' } });
    await berth.line(/^both +│ (bound all|bind failed)/);
    expect(berth.lines.join('\n')).not.toMatch(/bind failed/);
    await berth.line(/both ready on 20180/);
    berth.child.kill('SIGINT');
    expect((await berth.exit).code).toBe(0);
  });
});
