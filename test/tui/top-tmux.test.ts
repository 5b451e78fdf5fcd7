import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli, waitFor } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 25000-25099. Runs berth top in a real terminal: tmux on a private socket.

const FIX = path.join(ROOT, 'test', 'fixtures');
const SOCKET = `berth-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 'top');

const started: { cwd: string; home: string }[] = [];
afterEach(async () => {
  try {
    tmux('kill-server');
  } catch {
    // no server
  }
  for (const { cwd, home } of started.splice(0)) await runCli(['down', '--all'], { cwd, env: { BERTH_HOME: home } });
});

describe('berth top in a terminal', () => {
  it('shows two instances of two projects with their services and ports; r restarts a service; q closes the view only', async () => {
    const home = tempDir('berth-home-');
    const yaml = (project: string, range: string) => `version: 1
project: ${project}
ranges: { dev: ${range} }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}/http.mjs, ready: { http: /health } }
      ticker: { cmd: node ${FIX}/ticker.mjs, ports: 0, ready: { log: tick 1 } }
`;
    for (const [project, range] of [['alpha', '25000-25009'], ['beta', '25010-25019']] as const) {
      const cwd = projectWith(yaml(project, range), project);
      started.push({ cwd, home });
      expect((await runCli(['up', '-d'], { cwd, env: { BERTH_HOME: home } })).code).toBe(0);
    }
    const alpha = started[0]?.cwd as string;
    const apiPid = async () =>
      JSON.parse((await runCli(['ps', '--json'], { cwd: alpha, env: { BERTH_HOME: home } })).stdout).instances[0].services.find((service: { name: string }) => service.name === 'api').pid as number;
    const before = await apiPid();

    tmux('new-session', '-d', '-s', 'top', '-x', '120', '-y', '40', `BERTH_HOME=${home} NO_COLOR=1 ${process.execPath} ${CLI} top; echo "top exited $?"; sleep 60`);
    await waitFor(() => {
      const text = screen();
      return text.includes('alpha/dev#1  25000') && text.includes('beta/dev#1  25010') && /api +ready +\d+ +25000/.test(text) && /ticker +ready/.test(text);
    }, 5000, () => `both instances, alpha's services and ports on screen:\n${screen()}`);

    tmux('send-keys', '-t', 'top', 'Tab');
    tmux('send-keys', '-t', 'top', 'r');
    await waitFor(async () => (await apiPid()) !== before, 5000, 'a new pid for alpha\'s api');
    await waitFor(() => /api: (starting|ready) \(pid \d+\)/.test(screen()), 3000, () => `the restart in the status bar:\n${screen()}`);

    tmux('send-keys', '-t', 'top', 'q');
    await waitFor(() => screen().includes('top exited 0'), 3000, () => `top to exit:\n${screen()}`);
    const ps = JSON.parse((await runCli(['ps', '--all', '--json'], { cwd: alpha, env: { BERTH_HOME: home } })).stdout);
    expect(ps.instances.map((instance: { project: string; stale: boolean }) => `${instance.project} ${instance.stale}`).sort()).toEqual(['alpha false', 'beta false']);
  });
});

describe('berth up in a terminal', () => {
  it('opens the dashboard on its instance: every service and port within 5 s; q stops every child and releases the lease', async () => {
    const home = tempDir('berth-home-');
    const cwd = projectWith(`version: 1
project: tuiup
ranges: { dev: 25020-25029 }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}/http.mjs, ready: { http: /health } }
      web: { cmd: node ${FIX}/http.mjs, depends_on: [api] }
      ticker: { cmd: node ${FIX}/ticker.mjs, ports: 0 }
`);
    tmux('new-session', '-d', '-s', 'top', '-x', '120', '-y', '40', '-c', cwd, `BERTH_HOME=${home} ${process.execPath} ${CLI} up; echo "up exited $?"; sleep 60`);
    await waitFor(() => {
      const text = screen();
      return /api +ready +\d+ +25020/.test(text) && /web +ready +\d+ +25021/.test(text) && /ticker +ready/.test(text) && text.includes('tuiup/dev#1');
    }, 5000, () => `every service and port on screen:\n${screen()}`);
    const ps = JSON.parse((await runCli(['ps', '--json'], { cwd, env: { BERTH_HOME: home } })).stdout);
    const pids: number[] = ps.instances[0].services.map((service: { pid: number }) => service.pid);

    tmux('send-keys', '-t', 'top', 'q');
    await waitFor(() => screen().includes('up exited 0'), 10_000, () => `up to stop:\n${screen()}`);
    expect(screen()).toContain('stopped; released tuiup/dev#1');
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(JSON.parse((await runCli(['ports', '--json'], { cwd, env: { BERTH_HOME: home } })).stdout).leases).toEqual([]);
  });
});
