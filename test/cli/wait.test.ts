import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InstanceControl } from '../../src/control/instance-control.js';
import type { InstanceEvent } from '../../src/control/protocol.js';
import { waitForService } from '../../src/cli/commands/service-action.js';
import type { ServiceSnapshot } from '../../src/supervisor/service-state.js';
import { alive, startUp } from '../helpers/berth-up.js';
import { listenOn, ROOT, runCli, waitFor } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 27200-27299.

const FIX = path.join(ROOT, 'test', 'fixtures');

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** A foreground `berth up` of this ports.yaml, and `berth` run beside it. */
async function stackWith(yaml: string, readyLine: RegExp) {
  const cwd = projectWith(yaml);
  const env = { BERTH_HOME: tempDir('berth-home-') };
  const up = startUp([], { cwd, env });
  const berth = (...args: string[]) => runCli(args, { cwd, env });
  await up.line(readyLine);
  const service = async (name: string): Promise<ServiceSnapshot> =>
    JSON.parse((await berth('ps', '--json')).stdout).instances[0].services.find((each: ServiceSnapshot) => each.name === name);
  const stop = async () => {
    if (up.child.exitCode === null && up.child.signalCode === null) up.child.kill('SIGINT');
    await up.exit;
  };
  return { cwd, env, up, berth, service, stop };
}

describe('restart|start SERVICE --wait', () => {
  it('restart --wait returns once the new run accepts connections; without --wait it returns at spawn', async () => {
    const stack = await stackWith(
      `version: 1
project: shop
ranges: { dev: 27200-27209 }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}/slow-serve.mjs 300 }
`,
      /api ready on 27200/,
    );
    try {
      const first = await stack.service('api');
      const waited = await stack.berth('restart', 'api', '--wait');
      expect(await accepts(27200)).toBe(true); // right away, no polling
      expect(waited.stderr).toBe('');
      expect(waited.code).toBe(0);
      const second = await stack.service('api');
      expect(second.pid).not.toBe(first.pid);
      expect(alive(first.pid as number)).toBe(false);
      expect(waited.stdout).toBe(`api of shop/dev#1: ready (pid ${second.pid}, ports 27200)\n`);

      // Without --wait: unchanged, it answers as soon as the new run is spawned.
      const plain = await stack.berth('restart', 'api');
      expect(plain.code).toBe(0);
      expect(plain.stdout).toMatch(/^api of shop\/dev#1: starting \(pid \d+, ports 27200\)\n$/);
      await waitFor(() => accepts(27200), 5000, 'api to answer after the plain restart');

      // start --wait of a stopped service.
      expect((await stack.berth('stop', 'api')).stdout).toBe('api of shop/dev#1: stopped\n');
      const started = await stack.berth('start', 'api', '--wait');
      expect(await accepts(27200)).toBe(true);
      expect(started.code).toBe(0);
      expect(started.stdout).toMatch(/^api of shop\/dev#1: ready \(pid \d+, ports 27200\)\n$/);

      // start --wait of a service that already runs: that run is the answer.
      const again = await stack.berth('start', 'api', '--wait');
      expect(again).toMatchObject({ code: 0, stdout: started.stdout });

      // stop takes no --wait; restart and start list it in their help.
      for (const command of ['restart', 'start']) expect((await runCli([command, '--help'])).stdout, command).toMatch(/--wait +return once the service is ready/);
      const stop = await stack.berth('stop', 'api', '--wait');
      expect(stop.code).toBe(2);
      expect(stop.stderr).toContain("unknown option '--wait'");
    } finally {
      await stack.stop();
    }
  }, 60_000);

  it('restart --wait of a service whose new run fails: exit 1 with its last lines', async () => {
    const counter = path.join(tempDir(), 'runs');
    const stack = await stackWith(
      `version: 1
project: shop
ranges: { dev: 27210-27219 }
environments:
  dev:
    services:
      flaky: { cmd: node ${FIX}/slow-serve.mjs 0 ${counter} 2 }
      ready-at-once: { cmd: node ${FIX}/ticker.mjs, ports: 0, ready: none }
`,
      /flaky ready on 27210/,
    );
    try {
      const result = await stack.berth('restart', 'flaky', '--wait');
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^flaky of shop\/dev#1: failed\n$/);
      expect(result.stderr).toMatch(/^berth: flaky of shop\/dev#1 failed: .*exited with code 1.*; its last lines:\n/);
      expect(result.stderr).toContain('  run 2\n');
      expect(result.stderr).toContain('  giving up on run 2\n');

      // ready: none is ready as soon as the new run is up.
      const instant = await stack.berth('restart', 'ready-at-once', '--wait');
      expect(instant.code).toBe(0);
      expect(instant.stdout).toMatch(/^ready-at-once of shop\/dev#1: ready \(pid \d+\)\n$/);
    } finally {
      await stack.stop();
    }
  }, 60_000);

  it('the instance stopping while restart --wait waits: exit 1 saying so', async () => {
    const stack = await stackWith(
      `version: 1
project: shop
ranges: { dev: 27220-27229 }
environments:
  dev:
    services:
      slow: { cmd: node ${FIX}/slow-serve.mjs 60000, ready_timeout: 2m }
      ticker: { cmd: node ${FIX}/ticker.mjs, ports: 0, ready: { log: tick 1 } }
`,
      /ticker ready/,
    );
    try {
      expect((await stack.berth('restart', 'ticker', '--wait')).code).toBe(0);
      const first = await stack.service('slow');
      const slow = stack.berth('restart', 'slow', '--wait');
      // Once the new run is up (and so the wait under way), stop the whole instance.
      await waitFor(async () => {
        const now = await stack.service('slow');
        return now.pid !== null && now.pid !== first.pid;
      }, 10_000, 'the restart of slow');
      expect((await stack.berth('down')).code).toBe(0);
      const result = await slow;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^berth: slow of shop\/dev#1 (was stopped while waiting|never became ready: shop\/dev#1 ended|will not become ready: shop\/dev#1 is stopping)/);
    } finally {
      await stack.stop();
    }
  }, 60_000);
});

/** An InstanceControl whose events the test writes. */
function fakeControl(snapshots: ServiceSnapshot[]) {
  let emit: (event: InstanceEvent) => void = () => {};
  let subscribed = 0;
  const control: InstanceControl = {
    instance: () => Promise.reject(new Error('unused')),
    logs: async () => ['a last line'],
    followLogs: () => Promise.reject(new Error('unused')),
    down: () => Promise.reject(new Error('unused')),
    service: () => Promise.reject(new Error('unused')),
    events: (onEvent, signal) =>
      new Promise((resolve) => {
        subscribed += 1;
        emit = onEvent;
        signal?.addEventListener('abort', () => resolve(), { once: true });
        onEvent({ type: 'snapshot', instance: { lease: {} as never, pid: 1, stopping: false, services: snapshots } });
      }),
  };
  return { control, emit: (event: InstanceEvent) => emit(event), subscribed: () => subscribed };
}

const api = (fields: Partial<ServiceSnapshot>): ServiceSnapshot => ({
  name: 'api', state: 'ready', pid: 100, ports: [27290], restarts: 0, ready: true, exitCode: null, signal: null, startedAt: '2025-01-01T00:00:00.000Z', reason: null, ...fields,
});

describe('waitForService (over InstanceControl)', () => {
  it('never takes the old run\'s readiness for the new one', async () => {
    const before = api({});
    // The restart answered before it acted: the answer and the subscription still show the old run ready.
    const fake = fakeControl([before]);
    let settled = false;
    const outcome = waitForService(fake.control, 'restart', before, before, 60_000).then((value) => ((settled = true), value));
    await waitFor(() => fake.subscribed() === 1, 1000, 'the subscription');
    fake.emit({ type: 'state', service: api({ state: 'stopping' }) });
    fake.emit({ type: 'state', service: api({ state: 'stopped', pid: null, ready: false }) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    fake.emit({ type: 'state', service: api({ state: 'starting', pid: 200, ready: false, startedAt: '2025-01-01T00:00:01.000Z' }) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    fake.emit({ type: 'state', service: api({ state: 'ready', pid: 200, startedAt: '2025-01-01T00:00:01.000Z' }) });
    expect(await outcome).toMatchObject({ ok: true, snapshot: { pid: 200 } });
  });

  it('the new run stopped while waiting: a failure at once', async () => {
    const before = api({});
    const fresh = { pid: 200, startedAt: '2025-01-01T00:00:01.000Z' };
    const fake = fakeControl([api({ state: 'starting', ready: false, ...fresh })]);
    const outcome = waitForService(fake.control, 'restart', before, api({ state: 'starting', ready: false, ...fresh }), 60_000);
    await waitFor(() => fake.subscribed() === 1, 1000, 'the subscription');
    fake.emit({ type: 'state', service: api({ state: 'stopping', ready: false, ...fresh }) });
    fake.emit({ type: 'state', service: api({ state: 'stopped', ready: false, ...fresh, pid: null }) });
    expect(await outcome).toMatchObject({ ok: false, why: 'was stopped while waiting for it to be ready' });
  });

  it('a connection that drops, or an instance that ends, is a failure that says so', async () => {
    const before = api({});
    const dropped: InstanceControl = { ...fakeControl([]).control, events: () => Promise.reject(new Error('socket hang up')) };
    expect(await waitForService(dropped, 'restart', before, api({ state: 'starting', pid: 200, ready: false, startedAt: 'later' }))).toMatchObject({
      ok: false,
      why: 'never became ready: lost the connection to INSTANCE while waiting (socket hang up)',
    });
    const fake = fakeControl([api({ state: 'starting', pid: 200, ready: false, startedAt: 'later' })]);
    const outcome = waitForService(fake.control, 'restart', before, api({ state: 'starting', pid: 200, ready: false, startedAt: 'later' }));
    await waitFor(() => fake.subscribed() === 1, 1000, 'the subscription');
    fake.emit({ type: 'ended', exitCode: 0 });
    expect(await outcome).toMatchObject({ ok: false, why: 'never became ready: INSTANCE ended (exit 0) while waiting' });
  });

  it('a service left stopped after the restart fails the wait once nothing changes', async () => {
    const before = api({});
    const stopped = api({ state: 'stopped', pid: null, ready: false });
    const fake = fakeControl([stopped]);
    const outcome = await waitForService(fake.control, 'restart', before, stopped, 50);
    expect(outcome).toMatchObject({ ok: false, why: 'is stopped and did not start (nothing changed for 50 ms after the restart)' });
  });
});

describe('berth up -d ends the way berth up does', () => {
  it('no block free: exit 3 with the foreground message, never an internal error', async () => {
    const cwd = projectWith(`version: 1
project: shop
ranges: { dev: 27250-27252 }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}/serve.mjs, ports: 3 }
`);
    const env = { BERTH_HOME: tempDir('berth-home-') };
    for (const port of [27250, 27251, 27252]) await listenOn(port, '127.0.0.1');
    const foreground = await runCli(['up', '--no-tui'], { cwd, env });
    expect(foreground.code).toBe(3);
    expect(foreground.stderr).toMatch(/^berth: no block of 3 consecutive free ports/);
    const detached = await runCli(['up', '-d'], { cwd, env });
    expect(detached.stderr).not.toContain('internal error');
    expect(detached).toMatchObject({ code: 3, stdout: '', stderr: foreground.stderr });
  });

  it('bad config or usage: exit 2 (ports.yaml:LINE:COL; an invalid pinned port) with the foreground message', async () => {
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const bad = projectWith('version: 1\nranges: { dev: 27260-27269 }\nenvironments: { dev: { services: { x: { cmd: node x.js, restart: sometimes } } } }\n');
    const badConfig = await runCli(['up', '-d'], { cwd: bad, env });
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/ports\.yaml:3:\d+: .*restart/);

    const cwd = projectWith(`version: 1
ranges: { dev: 27270-27279 }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}/serve.mjs }
`);
    for (const args of [['--port', 'api=99999'], ['--port', 'api'], ['--only', 'nope'], ['--instance', 'zero']]) {
      const foreground = await runCli(['up', '--no-tui', ...args], { cwd, env });
      const detached = await runCli(['up', '-d', ...args], { cwd, env });
      expect(foreground.code, args.join(' ')).toBe(2);
      expect(detached, args.join(' ')).toMatchObject({ code: 2, stdout: '', stderr: foreground.stderr });
      expect(detached.stderr).not.toContain('internal error');
    }
    expect((await runCli(['ports', '--json'], { cwd, env })).stdout).toContain('"leases": []');
  });

  it('a service that fails: exit 1 with its last lines', async () => {
    const cwd = projectWith(`version: 1
project: shop
ranges: { dev: 27280-27289 }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}/slow-serve.mjs 0 ${path.join(tempDir(), 'runs')} 1 }
`);
    const env = { BERTH_HOME: tempDir('berth-home-') };
    let pid: number | undefined;
    try {
      const result = await runCli(['up', '-d'], { cwd, env });
      pid = Number(/berth pid (\d+)/.exec(result.stdout)?.[1]) || undefined;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^berth: api failed: .*exited with code 1.*; its last lines:\n  run 1\n  giving up on run 1\n$/);
    } finally {
      await runCli(['down'], { cwd, env });
      if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
