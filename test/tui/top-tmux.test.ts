import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyHints } from '../../src/tui/keys.js';
import { alive } from '../helpers/berth-up.js';
import { CLI, ROOT, runCli, waitFor } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';
import { MARK_VARIABLE, newMark, serverPids, sweep } from '../real/process-sweep.js';

// This file's ports: 31000-31099. berth top and berth up in a real terminal: tmux on a private
// socket. BERTH_TUI_CAPTURE=DIR keeps the screens captured (80x24, 160x48) in DIR.

const FIX = path.join(ROOT, 'test', 'fixtures');
const SOCKET = `berth-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-u', '-L', SOCKET, ...args], { encoding: 'utf8', env: { ...process.env, LANG: 'C.UTF-8' } });
const screen = () => tmux('capture-pane', '-p', '-t', 'top');
const keep = (name: string, text: string) => {
  if (process.env.BERTH_TUI_CAPTURE) writeFileSync(path.join(process.env.BERTH_TUI_CAPTURE, name), text);
};

const started: { cwd: string; env: Record<string, string> }[] = [];
const marks: { mark: string; dir: string }[] = [];
afterEach(async () => {
  try {
    tmux('kill-server');
  } catch {
    // no server
  }
  for (const { cwd, env } of started.splice(0)) await runCli(['down', '--all'], { cwd, env });
  for (const project of marks.splice(0)) sweep(project, []);
});

/** A project folder with the real app fixture (npm run dev → sh → node server.js) and node_modules linked. */
function npmProject(yaml: string): string {
  const dir = path.join(tempDir('berth-tui-'), 'alpha');
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(ROOT, 'test', 'real', 'fixtures', 'app'), dir, { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  writeFileSync(path.join(dir, 'ports.yaml'), yaml);
  return dir;
}

describe('berth top in a terminal', () => {
  it('three instances at 160x48 and 80x24, JSON logs verbatim, every cell whole; r restarts an npm-wrapped service; q closes the view only', async () => {
    const mark = newMark();
    const env = { BERTH_HOME: tempDir('berth-home-'), [MARK_VARIABLE]: mark, NO_COLOR: '1' };
    const alpha = npmProject(`version: 1
project: alpha
ranges: { dev: 31000-31009 }
environments:
  dev:
    services:
      api: { cmd: npm run dev, ready: port }
      ticker: { cmd: node ${FIX}/ticker.mjs, ports: 0, ready: { log: tick 1 } }
`);
    const beta = projectWith(`version: 1
project: beta
ranges: { dev: 31010-31029 }
environments:
  dev:
    services:
      web: { cmd: node ${path.join(ROOT, 'test', 'tui', 'fixtures', 'json-logger.mjs')}, ports: 2 }
      health: { cmd: node ${FIX}/http.mjs, ready: { http: /health } }
`, 'beta');
    marks.push({ mark, dir: alpha }, { mark, dir: beta });
    for (const cwd of [alpha, beta, beta]) {
      started.push({ cwd, env });
      const up = await runCli(['up', '-d'], { cwd, env, timeoutMs: 30_000 });
      expect(up.code, up.stderr).toBe(0);
    }
    const apiOf = async () => {
      const ps = JSON.parse((await runCli(['ps', '--json'], { cwd: alpha, env })).stdout);
      return ps.instances[0].services.find((service: { name: string }) => service.name === 'api') as { pid: number; ports: number[]; restarts: number };
    };
    const before = await apiOf();
    const serverBefore = (await waitFor(() => serverPids(31000), 10_000, 'alpha\'s server to answer')).pid as number;

    // NCURSES_NO_UTF8_ACS: borders drawn as Unicode, not ACS letters, so the capture reads as the screen looks.
    const envText = Object.entries({ ...env, LANG: 'C.UTF-8', NCURSES_NO_UTF8_ACS: '1' }).map(([key, value]) => `${key}=${value}`).join(' ');
    tmux('new-session', '-d', '-s', 'top', '-x', '160', '-y', '48', `${envText} ${process.execPath} ${CLI} top; echo "top exited $?"; sleep 60`);
    await waitFor(() => {
      const text = screen();
      return text.includes('alpha/dev#1') && text.includes('beta/dev#1') && text.includes('beta/dev#2') && /api +ready +\d+ +31000 /.test(text) && /ticker +ready/.test(text) && text.includes('listening on 127.0.0.1:31000');
    }, 10_000, () => `three instances, alpha's services and its log:\n${screen()}`);
    expect(screen()).toContain('block 31000 dev');
    expect(screen()).toMatch(/dev 31000-31009: 1\/10 leased/);
    keep('top-160x48.txt', screen());

    // beta#1: its JSON logger's lines, braces and all.
    tmux('send-keys', '-t', 'top', 'j');
    tmux('send-keys', '-t', 'top', 'Tab');
    await waitFor(() => /"msg":"tick","n":\d+,"ctx":\{"port":31010\}\}/.test(screen()), 10_000, () => `beta's JSON lines verbatim:\n${screen()}`);

    tmux('resize-window', '-t', 'top', '-x', '80', '-y', '24');
    await waitFor(() => screen().split('\n')[23]?.trimEnd() === keyHints('top', 80), 5000, () => `redrawn at 80x24:\n${screen()}`);
    const small = screen();
    keep('top-80x24.txt', small);
    const lines = small.split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(24);
    for (const line of lines.slice(0, 24)) expect(line.length).toBeLessThanOrEqual(80);
    expect(small).toMatch(/web +ready +31010-31011/);
    expect(small).toMatch(/health +ready +31012/);
    for (const label of ['alpha/dev#1', 'beta/dev#1', 'beta/dev#2']) expect(small).toContain(label);

    // Back to alpha, its api (npm → sh → node): r restarts the whole tree.
    tmux('resize-window', '-t', 'top', '-x', '160', '-y', '48');
    tmux('send-keys', '-t', 'top', 'BTab');
    tmux('send-keys', '-t', 'top', 'k');
    tmux('send-keys', '-t', 'top', 'Tab');
    await waitFor(() => /logs: api/.test(screen()), 5000, () => `alpha's api selected:\n${screen()}`);
    tmux('send-keys', '-t', 'top', 'r');
    await waitFor(async () => (await apiOf()).pid !== before.pid, 15_000, 'a new pid for alpha\'s api');
    const serverAfter = await waitFor(async () => {
      const answer = await serverPids(31000);
      return answer && answer.pid !== serverBefore ? answer.pid : undefined;
    }, 15_000, 'the new server to answer on 31000');
    await waitFor(() => !alive(serverBefore), 5000, 'the old node under npm and sh to be gone');
    expect(serverAfter).not.toBe(serverBefore);
    await waitFor(() => /api: (starting|ready) \(pid \d+\)/.test(screen()), 5000, () => `the restart on the message line:\n${screen()}`);
    await waitFor(() => /api +ready +\d+ +31000 .*port ok +0\/1 /.test(screen()), 10_000, () => `one manual restart counted:\n${screen()}`);
    keep('top-160x48-after-restart.txt', screen());

    tmux('send-keys', '-t', 'top', 'q');
    await waitFor(() => screen().includes('top exited 0'), 5000, () => `top to exit:\n${screen()}`);
    const ps = JSON.parse((await runCli(['ps', '--all', '--json'], { cwd: alpha, env })).stdout);
    expect(ps.instances.map((instance: { project: string; instance: number; stale: boolean }) => `${instance.project}#${instance.instance} ${instance.stale}`).sort()).toEqual(['alpha#1 false', 'beta#1 false', 'beta#2 false']);
  }, 90_000);
});

describe('berth up in a terminal', () => {
  it('opens the dashboard on its instance: every service and port within 5 s; q stops every child and releases the lease', async () => {
    const home = tempDir('berth-home-');
    const cwd = projectWith(`version: 1
project: tuiup
ranges: { dev: 31050-31059 }
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
      return /api +ready +\d+ +31050/.test(text) && /web +ready +\d+ +31051/.test(text) && /ticker +ready/.test(text) && text.includes('tuiup/dev#1');
    }, 5000, () => `every service and port on screen:\n${screen()}`);
    expect(screen()).toContain('q stop stack');
    const ps = JSON.parse((await runCli(['ps', '--json'], { cwd, env: { BERTH_HOME: home } })).stdout);
    const pids: number[] = ps.instances[0].services.map((service: { pid: number }) => service.pid);

    tmux('send-keys', '-t', 'top', 'q');
    await waitFor(() => screen().includes('up exited 0'), 10_000, () => `up to stop:\n${screen()}`);
    expect(screen()).toContain('stopped; released tuiup/dev#1');
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(JSON.parse((await runCli(['ports', '--json'], { cwd, env: { BERTH_HOME: home } })).stdout).leases).toEqual([]);
  });
});
