import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, startUp } from '../helpers/berth-up.js';
import { ROOT, runCli, waitFor } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 27300-27399.

const FIX = path.join(ROOT, 'test', 'fixtures');
const escapees = new Set<number>();

/** Processes that left their group are not the test helpers' children: end them by pid. */
afterEach(() => {
  for (const pid of escapees) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  escapees.clear();
});

function project(yaml: string) {
  const cwd = projectWith(yaml);
  const env = { BERTH_HOME: tempDir('berth-home-') };
  return { cwd, env, up: (...args: string[]) => startUp(args, { cwd, env }) };
}

async function psService(cwd: string, env: Record<string, string>, name: string) {
  const ps = JSON.parse((await runCli(['ps', '--json'], { cwd, env })).stdout) as { instances: { services: { name: string; state: string; pid: number | null; restarts: number }[] }[] };
  return ps.instances[0]?.services.find((service) => service.name === name);
}

function answer(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (text += chunk));
    socket.on('end', () => resolve(text.trim()));
    socket.on('error', () => resolve(null));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(null);
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('a service\'s whole tree', () => {
  it('restart of a wrapper that exits before its server: back every time, a new server on the same port, the old one gone', async () => {
    const { cwd, env, up } = project(`version: 1
ranges: { dev: 27300-27309 }
environments:
  dev:
    services:
      web: { cmd: ${FIX}/slow-wrapper.sh, stop_timeout: 5s }
`);
    const berth = up();
    await berth.line(/^berth +│ web ready on 27300/);
    let server = Number(await waitFor(() => answer(27300)));
    for (let round = 1; round <= 5; round++) {
      const result = await runCli(['restart', 'web'], { cwd, env });
      expect(result.code, result.stderr).toBe(0);
      const service = await waitFor(async () => {
        const found = await psService(cwd, env, 'web');
        return found?.state === 'ready' ? found : null;
      }, 10_000, `web ready again (round ${round})`);
      expect(service.restarts).toBe(round);
      const next = Number(await waitFor(() => answer(27300)));
      expect(next).not.toBe(server);
      expect(alive(server)).toBe(false);
      server = next;
    }
    berth.child.kill('SIGINT');
    expect((await berth.exit).code).toBe(0);
  });

  for (const mode of ['detached', 'setsid'] as const) {
    it(`down stops a helper that left the group (${mode}) within stop_timeout + 2 s, and frees the port`, async () => {
      const { cwd, env, up } = project(`version: 1
ranges: { dev: 27310-27319 }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}/escape.mjs ${mode}, stop_timeout: 2s }
`);
      const berth = up();
      const helper = Number((await berth.line(/^api +│ helper \d+/)).split(' ').pop());
      escapees.add(helper);
      await berth.line(/^berth +│ api ready on 27310/);
      const service = await psService(cwd, env, 'api');
      const started = Date.now();
      const down = await runCli(['down'], { cwd, env, timeoutMs: 10_000 });
      expect(down.code, down.stderr + down.stdout).toBe(0);
      expect(Date.now() - started).toBeLessThan(4000);
      expect((await berth.exit).code).toBe(0);
      expect(alive(helper)).toBe(false);
      expect(alive(service?.pid as number)).toBe(false);
      expect(await portIsFree(27310)).toBe(true);
    });
  }

  it('a service that exits on its own leaving a helper on its stdout: the run ends within bounds and the helper is stopped', async () => {
    const { up } = project(`version: 1
ranges: { dev: 27320-27329 }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}/escape.mjs detached, env: { EXIT_AFTER_MS: "300" }, ready: none, stop_timeout: 1s }
`);
    const berth = up();
    const helper = Number((await berth.line(/^api +│ helper \d+/)).split(' ').pop());
    escapees.add(helper);
    const exit = await Promise.race([berth.exit, new Promise<null>((resolve) => setTimeout(() => resolve(null), 8000))]);
    expect(exit?.code).toBe(0);
    expect(alive(helper)).toBe(false);
  });

  it('SIGKILL of berth: the watchdog stops each service with its own stop_signal, its escaped helper too, and SIGKILLs after stop_timeout', async () => {
    const dir = tempDir('berth-signals-');
    const log = path.join(dir, 'signals.log');
    const { cwd, env, up } = project(`version: 1
ranges: { dev: 27330-27339 }
environments:
  dev:
    services:
      db: { cmd: node ${FIX}/escape.mjs setsid, stop_signal: SIGINT, stop_timeout: 3s, env: { SIGNAL_LOG: "${log}" } }
      stubborn: { cmd: "trap '' TERM; sleep 1000 & wait", shell: true, ports: 0, ready: none, stop_timeout: 1500ms }
`);
    const berth = up();
    const helper = Number((await berth.line(/^db +│ helper \d+/)).split(' ').pop());
    escapees.add(helper);
    await berth.line(/^berth +│ db ready on 27330/);
    const stubborn = (await psService(cwd, env, 'stubborn'))?.pid as number;
    berth.child.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(() => existsSync(log) && /service SIGINT/.test(readFileSync(log, 'utf8')) && /helper SIGINT/.test(readFileSync(log, 'utf8')), 5000, 'SIGINT to db and its helper');
    expect(readFileSync(log, 'utf8')).not.toMatch(/SIGTERM/);
    await waitFor(() => !alive(helper), 5000, 'the helper gone');
    // The SIGTERM-deaf service goes only on SIGKILL, after its 1.5 s stop_timeout.
    await waitFor(() => !alive(stubborn), 5000, 'stubborn gone');
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1400);
  });
});
