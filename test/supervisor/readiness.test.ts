import { existsSync, readFileSync, realpathSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/supervisor/clock.js';
import { NEXT_ADDRESS_AFTER_MS, waitForHttp, waitForReady, type ReadyTarget } from '../../src/supervisor/readiness.js';
import { listenOn, waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp.js';

// Ports 27000-27099 belong to this file.

const servers = new Set<http.Server>();
afterEach(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all([...servers].map((server) => new Promise((resolve) => server.close(resolve))));
  servers.clear();
});

/** An HTTP server on host:port answering every request with `status`. */
function httpOn(port: number, host: string, status = 200): Promise<http.Server> {
  const server = http.createServer((_request, response) => response.writeHead(status).end('ok'));
  servers.add(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ipv6Only: host.includes(':') }, () => resolve(server));
  });
}

function target(fields: Partial<ReadyTarget> = {}): ReadyTarget {
  return { port: undefined, cwd: process.cwd(), env: process.env, exec: null, clock: systemClock, ...fields };
}

/** A signal that aborts after `ms` (the bound a service's ready_timeout would set). */
const within = (ms: number) => AbortSignal.timeout(ms);

/** Gone, or a zombie waiting for its parent (it holds nothing then). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
  } catch {
    return true;
  }
}

/** SIGKILL to the process groups led by these pids, should a test fail before berth ended them. */
function killGroups(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const pidsIn = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : []);

describe('ready: { http } and ready: port on both loopbacks', () => {
  it('a server on ::1 only is ready (http)', async () => {
    await httpOn(27001, '::1');
    expect(await waitForReady({ kind: 'http', path: '/health' }, target({ port: 27001 }), within(5000))).toEqual({ ready: true });
  });

  it('a server on 127.0.0.1 only is ready (http)', async () => {
    await httpOn(27002, '127.0.0.1');
    expect(await waitForReady({ kind: 'http', path: '/health' }, target({ port: 27002 }), within(5000))).toEqual({ ready: true });
  });

  it('the runner today (waitForHttp) also finds a server on ::1 only', async () => {
    await httpOn(27003, '::1');
    expect(await waitForHttp(27003, '/', within(5000))).toBe(true);
  });

  it('nothing listening: not ready, and the detail names 127.0.0.1 and ::1', async () => {
    const http = await waitForReady({ kind: 'http', path: '/health' }, target({ port: 27004 }), within(300));
    expect(http).toEqual({ ready: false, detail: expect.stringContaining('GET /health on 127.0.0.1:27004 and [::1]:27004 never answered 2xx/3xx') });
    expect(http.ready === false && http.detail).toContain('ECONNREFUSED');
    const port = await waitForReady({ kind: 'port' }, target({ port: 27004 }), within(300));
    expect(port).toEqual({ ready: false, detail: expect.stringContaining('port 27004 never accepted a connection on 127.0.0.1 or ::1') });
    expect(port.ready === false && port.detail).toMatch(/127\.0\.0\.1: ECONNREFUSED; ::1: ECONNREFUSED/);
  });

  it('a server answering 503 is not ready, and the detail has the status', async () => {
    await httpOn(27005, '::1', 503);
    const outcome = await waitForReady({ kind: 'http', path: '/health' }, target({ port: 27005 }), within(300));
    expect(outcome).toEqual({ ready: false, detail: 'GET /health on 127.0.0.1:27005 and [::1]:27005 never answered 2xx/3xx: last answer 503 from [::1]:27005' });
  });

  it('a port listener on ::1 only is ready', async () => {
    await listenOn(27006, '::1');
    expect(await waitForReady({ kind: 'port' }, target({ port: 27006 }), within(5000))).toEqual({ ready: true });
  });

  it('a server on 127.0.0.1 is ready on one connection: ::1 is tried only when 127.0.0.1 did not pass', async () => {
    const v4 = await httpOn(27007, '127.0.0.1');
    const v6 = await httpOn(27007, '::1');
    const seen = { v4: 0, v6: 0 };
    v4.on('request', () => seen.v4++);
    v6.on('request', () => seen.v6++);
    expect(await waitForReady({ kind: 'http', path: '/' }, target({ port: 27007 }), within(5000))).toEqual({ ready: true });
    expect(seen).toEqual({ v4: 1, v6: 0 });
    // a listener on both: one connect, to 127.0.0.1
    const counts = { v4: 0, v6: 0 };
    const tcp4 = await listenOn(27008, '127.0.0.1');
    const tcp6 = await listenOn(27008, '::1');
    tcp4.on('connection', () => counts.v4++);
    tcp6.on('connection', () => counts.v6++);
    try {
      expect(await waitForReady({ kind: 'port' }, target({ port: 27008 }), within(5000))).toEqual({ ready: true });
      await waitFor(() => counts.v4 === 1 || undefined, 5000, 'the connection on 127.0.0.1');
      expect(counts).toEqual({ v4: 1, v6: 0 });
    } finally {
      tcp4.close();
      tcp6.close();
    }
  });

  it('127.0.0.1 taking a request and never answering: ::1 is asked once 250 ms passed, and answers', async () => {
    const clock = new VirtualClock();
    const stalled: http.ServerResponse[] = [];
    const silent = http.createServer((_request, response) => stalled.push(response));
    servers.add(silent);
    await new Promise<void>((resolve) => silent.listen({ port: 27009, host: '127.0.0.1' }, resolve));
    await httpOn(27009, '::1');
    const outcome = waitForReady({ kind: 'http', path: '/' }, target({ port: 27009, clock }), within(5000));
    await waitFor(() => stalled.length === 1 || undefined, 5000, 'the request on 127.0.0.1');
    const next = clock.timers.find((timer) => timer.ms === NEXT_ADDRESS_AFTER_MS);
    expect(next).toBeDefined();
    // the probe's own bound (2 s) is not reached: ::1 is tried beside it
    clock.fire((next as { id: number }).id);
    expect(await outcome).toEqual({ ready: true });
    expect(clock.time).toBe(NEXT_ADDRESS_AFTER_MS);
    // the stalled probe was cancelled: its socket is closed
    await waitFor(() => (stalled[0] as http.ServerResponse).socket?.destroyed !== false || undefined, 5000, 'the stalled socket to close');
  });

  it('none is ready at once', async () => {
    expect(await waitForReady({ kind: 'none' }, target(), within(5000))).toEqual({ ready: true });
  });
});

describe('ready: { exec }', () => {
  const exec = (command: string, fields: Partial<ReadyTarget> = {}, ms = 5000) =>
    waitForReady({ kind: 'exec', command }, target({ exec: command, cwd: tempDir(), ...fields }), within(ms));

  it('exit 0 is ready', async () => {
    expect(await exec('exit 0')).toEqual({ ready: true });
  });

  it('a command that fails twice and then succeeds is ready after its third run', async () => {
    const cwd = tempDir();
    const command = 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; [ "$n" -ge 3 ]';
    expect(await exec(command, { cwd })).toEqual({ ready: true });
    expect(readFileSync(path.join(cwd, 'count'), 'utf8').trim()).toBe('3');
  });

  it('a command that never succeeds: the detail has its exit code and its output', async () => {
    const command = 'echo "127.0.0.1:5432 - no response"; echo "second line" >&2; exit 2';
    const outcome = await exec(command, {}, 400);
    expect(outcome).toEqual({ ready: false, detail: `${command} exited 2: 127.0.0.1:5432 - no response | second line` });
  });

  it('keeps only the last 20 lines of output', async () => {
    const outcome = await exec('seq 1 100; exit 1', {}, 300);
    expect(outcome).toEqual({ ready: false, detail: `seq 1 100; exit 1 exited 1: ${Array.from({ length: 20 }, (_, i) => 81 + i).join(' | ')}` });
  });

  it('a hanging attempt and what it started are killed when the wait ends', async () => {
    const cwd = tempDir();
    const controller = new AbortController();
    const command = 'sleep 60 & echo $! > sleep.pid; echo $$ > sh.pid; wait';
    const outcome = waitForReady({ kind: 'exec', command }, target({ exec: command, cwd }), controller.signal);
    const sh = () => pidsIn(path.join(cwd, 'sh.pid'));
    const sleep = () => pidsIn(path.join(cwd, 'sleep.pid'));
    try {
      await waitFor(() => sh().length > 0 && sleep().length > 0, 5000, 'the command to start');
      const [shPid] = sh();
      const [sleepPid] = sleep();
      expect(isGone(sleepPid as number)).toBe(false);
      controller.abort();
      expect(await outcome).toEqual({ ready: false, detail: `${command} was still running when the wait ended: no output` });
      expect(isGone(shPid as number)).toBe(true);
      await waitFor(() => isGone(sleepPid as number), 2000, `sleep ${sleepPid} to be gone`);
    } finally {
      controller.abort();
      killGroups(sh());
      await outcome;
    }
  });

  it('an attempt that runs past its bound is killed, and the next one starts', async () => {
    const cwd = tempDir();
    const controller = new AbortController();
    const command = 'echo $$ >> pids; sleep 60';
    const outcome = waitForReady({ kind: 'exec', command }, target({ exec: command, cwd, attemptTimeoutMs: 300 }), controller.signal);
    try {
      await waitFor(() => pidsIn(path.join(cwd, 'pids')).length >= 2, 5000, 'a second attempt');
      const [first] = pidsIn(path.join(cwd, 'pids'));
      await waitFor(() => isGone(first as number), 2000, 'the first attempt to be gone');
      controller.abort();
      expect(await outcome).toEqual({ ready: false, detail: `${command} did not finish within 300 ms: no output` });
    } finally {
      controller.abort();
      killGroups(pidsIn(path.join(cwd, 'pids')));
      await outcome;
    }
  });

  it("runs in the service's cwd with its environment", async () => {
    const cwd = tempDir();
    const outcome = await exec('pwd > seen; echo "$PORT $OWN" >> seen', { cwd, env: { ...process.env, PORT: '27010', OWN: 'mine' } });
    expect(outcome).toEqual({ ready: true });
    expect(readFileSync(path.join(cwd, 'seen'), 'utf8')).toBe(`${realpathSync(cwd)}\n27010 mine\n`);
  });

  it('a cwd that does not exist: never ready, and the detail says why', async () => {
    const outcome = await exec('exit 0', { cwd: '/nonexistent/berth-test' }, 300);
    expect(outcome).toEqual({ ready: false, detail: expect.stringMatching(/^exit 0 could not be started in \/nonexistent\/berth-test: .*ENOENT/) });
  });
});

/** A clock whose time moves only when the test fires its next timer. */
class VirtualClock implements Clock {
  time = 0;
  timers: { at: number; fn: () => void; id: number; ms: number }[] = [];
  #next = 0;
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#next;
    this.timers.push({ at: this.time + ms, fn, id, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }
  fire(id: number): void {
    const timer = this.timers.find((each) => each.id === id);
    if (!timer) throw new Error('no such timer');
    this.clearTimeout(id);
    this.time = timer.at;
    timer.fn();
  }
}

describe('polling runs on the injected clock', () => {
  /** Fires the pause between attempts `count` times; the lengths of those pauses. */
  async function pauses(clock: VirtualClock, count: number, isPause: () => VirtualClock['timers'][number] | undefined): Promise<number[]> {
    const seen: number[] = [];
    for (let i = 0; i < count; i++) {
      const timer = await waitFor(isPause, 5000, `pause ${i + 1}`);
      seen.push(timer.ms);
      clock.fire(timer.id);
    }
    return seen;
  }

  it('port: pauses from 5 ms doubling to 100 ms', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const outcome = waitForReady({ kind: 'port' }, target({ port: 27011, clock }), controller.signal);
    // a probe is bounded at 1000 ms and the next address waits up to 250 ms; a pause is at most 100 ms
    const seen = await pauses(clock, 7, () => clock.timers.find((timer) => timer.ms <= 100));
    controller.abort();
    expect(seen).toEqual([5, 10, 20, 40, 80, 100, 100]);
    expect(await outcome).toMatchObject({ ready: false });
  });

  it('exec: pauses from 50 ms doubling to 500 ms, one attempt per pause', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const cwd = tempDir();
    const command = 'echo x >> runs; exit 1';
    const outcome = waitForReady({ kind: 'exec', command }, target({ exec: command, cwd, clock }), controller.signal);
    const runs = () => (existsSync(path.join(cwd, 'runs')) ? readFileSync(path.join(cwd, 'runs'), 'utf8').length / 2 : 0);
    // between attempts, the pause is the only timer (an attempt holds its 5 s bound)
    const isPause = () => (clock.timers.length === 1 && clock.timers[0]?.ms !== 5000 ? clock.timers[0] : undefined);
    const seen = await pauses(clock, 6, isPause);
    await waitFor(isPause, 5000, 'the seventh attempt to end');
    controller.abort();
    expect(seen).toEqual([50, 100, 200, 400, 500, 500]);
    expect(await outcome).toEqual({ ready: false, detail: `${command} exited 1: no output` });
    expect(runs()).toBe(7);
  });
});
