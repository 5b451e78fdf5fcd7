import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../src/store/lease.js';
import { createSpawnProcess, spawnProcess } from '../../src/supervisor/spawn-process.js';
import type { LaunchSpec } from '../../src/supervisor/service-env.js';
import { alive, startUp } from '../helpers/berth-up.js';
import { CLI, ROOT, runCli, track, waitFor, type RunResult } from '../helpers/processes.js';
import { projectWith } from '../helpers/temp.js';

// This file's ports: 27100-27199.

const isRoot = process.getuid?.() === 0;
const WHY = 'skipped: only root can start a service as another user (run as root, as CI does)';
const FIX = path.join(ROOT, 'test', 'fixtures');

/** A project and BERTH_HOME that `owner` (a uid) can use; the folders are readable by anyone. */
function project(yaml: string, owner?: number) {
  const cwd = projectWith(yaml);
  const home = path.join(path.dirname(cwd), 'berth-home');
  execFileSync('mkdir', ['-m', '700', home]);
  for (const dir of [path.dirname(cwd), cwd]) chmodSync(dir, 0o755);
  if (owner !== undefined) for (const item of [path.dirname(cwd), cwd, path.join(cwd, 'ports.yaml'), home]) chownSync(item, owner, -1);
  const env = { BERTH_HOME: home };
  const leases = (): Lease[] => {
    const file = path.join(home, 'registry.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { leases: Lease[] }).leases : [];
  };
  const pidOf = async (service: string) => {
    // A BERTH_HOME is used only by the user it belongs to (root too refuses another's).
    const result = owner === undefined ? await runCli(['ps', '--json'], { cwd, env }) : await runAsNobody(['ps', '--json'], { cwd, env });
    const ps = JSON.parse(result.stdout) as { instances: { services: { name: string; pid: number | null }[] }[] };
    return ps.instances[0]?.services.find((each) => each.name === service)?.pid ?? null;
  };
  return { cwd, env, leases, pidOf, yaml: () => readFileSync(path.join(cwd, 'ports.yaml'), 'utf8') };
}

/** LINE:COL of the first `text` in `yaml`. */
function at(yaml: string, text: string): string {
  const lines = yaml.split('\n');
  const line = lines.findIndex((each) => each.includes(text));
  return `${line + 1}:${(lines[line] ?? '').indexOf(text) + 1}`;
}

/** Uid, Gid (real, effective, saved, fs) and supplementary Groups of a live process. */
function credentials(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => (new RegExp(`^${name}:\\t(.*)$`, 'm').exec(status)?.[1] ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
  return { uid: field('Uid'), gid: field('Gid'), groups: field('Groups').sort((a, b) => a - b) };
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
const environ = (pid: number) => Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const id = (...args: string[]) => execFileSync('id', args, { encoding: 'utf8' }).trim();
const ids = (...args: string[]) => id(...args).split(/\s+/).map(Number).sort((a, b) => a - b);
const passwd = (user: string) => execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).trim().split(':');

/** A user with supplementary groups (a member in /etc/group), else nobody. */
function userWithGroups(): string {
  const members = readFileSync('/etc/group', 'utf8').split('\n').flatMap((line) => (line.split(':')[3] ?? '').split(',')).filter(Boolean);
  return members.find((name) => name !== 'root' && ids('-G', name).length > 1) ?? 'nobody';
}

const four = (n: number) => [n, n, n, n];

describe.skipIf(!isRoot)(`user: and group: (${isRoot ? 'as root' : WHY})`, () => {
  it('the service runs as the user with its group and supplementary groups; the pid berth reports is the program itself; HOME, USER, LOGNAME are the user\'s', async () => {
    const user = userWithGroups();
    const { cwd, env, pidOf } = project(`version: 1
ranges: { dev: 27100-27109 }
environments:
  dev:
    services:
      srv: { cmd: node ${FIX}/serve.mjs, user: ${user} }
`);
    const berth = startUp([], { cwd, env });
    try {
      await berth.line(/srv ready on 27100/);
      const pid = await waitFor(() => pidOf('srv'));
      expect(credentials(pid)).toEqual({ uid: four(Number(id('-u', user))), gid: four(Number(id('-g', user))), groups: ids('-G', user) });
      expect(cmdline(pid)).toEqual(['node', `${FIX}/serve.mjs`]);
      expect(environ(pid)).toMatchObject({ HOME: passwd(user)[5], USER: user, LOGNAME: user, PORT: '27100' });
    } finally {
      berth.child.kill('SIGINT');
    }
    expect((await berth.exit).code).toBe(0);
  });

  it('group: overrides the gid; a numeric uid works; shell: true runs /bin/sh as the user; the service\'s env: beats HOME', async () => {
    const nobody = Number(id('-u', 'nobody'));
    const group = readFileSync('/etc/group', 'utf8').split('\n').map((line) => line.split(':')).find(([name, , gid]) => name && gid && !['0', id('-g', 'nobody')].includes(gid));
    const [groupName, , gid] = group as string[];
    const { cwd, env, pidOf } = project(`version: 1
ranges: { dev: 27110-27119 }
environments:
  dev:
    services:
      sh:
        cmd: 'echo "as $(id -u):$(id -g)"; sleep 1000'
        shell: true
        ports: 0
        ready: { log: "as " }
        user: ${nobody}
        group: ${groupName}
        env: { HOME: /berth-test-home }
`);
    const berth = startUp([], { cwd, env });
    let pid: number | null = null;
    try {
      expect(await berth.line(/^sh +│ as /)).toMatch(new RegExp(`as ${nobody}:${gid}$`));
      pid = await waitFor(() => pidOf('sh'));
      expect(credentials(pid)).toMatchObject({ uid: four(nobody), gid: four(Number(gid)) });
      expect(cmdline(pid)[0]).toBe('/bin/sh');
      expect(environ(pid)).toMatchObject({ HOME: '/berth-test-home', USER: 'nobody', LOGNAME: 'nobody' });
    } finally {
      berth.child.kill('SIGINT');
    }
    expect((await berth.exit).code).toBe(0);
    expect(alive(pid as number)).toBe(false);
  });

  it('an unknown user or group is an error at its line and column: exit 2, nothing started, no lease', async () => {
    const { cwd, env, leases, yaml } = project(`version: 1
ranges: { dev: 27120-27129 }
environments:
  dev:
    services:
      first: { cmd: 'touch started; sleep 1000', shell: true, ports: 0, ready: none }
      db: { cmd: node ${FIX}/serve.mjs, user: berth-no-such-user }
      cache:
        cmd: node ${FIX}/serve.mjs
        group: berth-no-such-group
`);
    const result = await runCli(['up', '--no-tui'], { cwd, env });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      `ports.yaml:${at(yaml(), 'berth-no-such-user')}: services.db.user: no user "berth-no-such-user" on this machine`,
      `ports.yaml:${at(yaml(), 'berth-no-such-group')}: services.cache.group: no group "berth-no-such-group" on this machine`,
    ]);
    expect(existsSync(path.join(cwd, 'started'))).toBe(false);
    expect(leases()).toEqual([]);
  });

  it('berth run as another user cannot start a service as root: exit 2 with the rights message; as its own user, the service just starts', async () => {
    const nobody = Number(id('-u', 'nobody'));
    const yaml = (user: string) => `version: 1
ranges: { dev: 27130-27139 }
environments:
  dev:
    services:
      db: { cmd: node ${FIX}/serve.mjs, user: ${user} }
`;
    const { cwd, env, leases, pidOf } = project(yaml('root'), nobody);
    const asNobody = (...args: string[]) => runAsNobody(['up', '--no-tui', ...args], { cwd, env });

    const refused = await asNobody();
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe(`ports.yaml:${at(yaml('root'), 'root }')}: services.db.user: berth runs as nobody (uid ${nobody}) and cannot start a service as root; run berth as root or remove user:`);
    expect(leases()).toEqual([]);

    writeFileSync(path.join(cwd, 'ports.yaml'), yaml('nobody'));
    const berth = startAsNobody(['up', '--no-tui'], { cwd, env });
    try {
      await waitFor(() => berth.output().includes('db ready on 27130'), 10_000, () => `db ready (have: ${berth.output()})`);
      const pid = await waitFor(() => pidOf('db'));
      expect(credentials(pid).uid).toEqual(four(nobody));
    } finally {
      berth.child.kill('SIGINT');
    }
    expect(await berth.exit).toBe(0);
  });

  it('spawnProcess: an unknown user or a missing command is a spawn error, not a started process', async () => {
    const launch = (runAs: LaunchSpec['runAs'], file = 'sleep'): LaunchSpec => ({ file, args: ['1000'], shell: false, cwd: '/', env: {}, ports: [], readyExec: null, runAs });
    const unknown = spawnProcess(launch({ user: 'berth-no-such-user', group: null }), { preferLocalFrom: '/' });
    expect(unknown.child.pid).toBeUndefined();
    expect(await unknown.spawnError).toBe('cannot start sleep: no user "berth-no-such-user" on this machine');
    const missing = spawnProcess(launch({ user: 'nobody', group: null }, 'berth-no-such-command'), { preferLocalFrom: '/' });
    expect(missing.child.pid).toBeUndefined();
    expect(await missing.spawnError).toBe('command not found: berth-no-such-command');
  });

  it('without setpriv (macOS), Node\'s uid/gid options: the user and group, but no supplementary groups (libuv calls setgroups(0))', async () => {
    const user = userWithGroups();
    const spawned = createSpawnProcess({ setpriv: null })({ file: 'sleep', args: ['1000'], shell: false, cwd: '/', env: {}, ports: [], readyExec: null, runAs: { user, group: null } }, { preferLocalFrom: '/' });
    const pid = spawned.child.pid as number;
    track(spawned.child);
    try {
      expect(credentials(pid)).toEqual({ uid: four(Number(id('-u', user))), gid: four(Number(id('-g', user))), groups: [] });
      expect(environ(pid)).toMatchObject({ USER: user, LOGNAME: user, HOME: passwd(user)[5] });
    } finally {
      process.kill(-pid, 'SIGKILL');
    }
  });
});

/** `node dist/cli.js ARGS` as nobody (no root, no supplementary groups), to completion. */
function runAsNobody(args: string[], options: { cwd: string; env: Record<string, string> }): Promise<RunResult> {
  const berth = startAsNobody(args, options);
  return berth.exit.then((code) => ({ code, signal: null, stdout: berth.stdout(), stderr: berth.stderr() }));
}

function startAsNobody(args: string[], options: { cwd: string; env: Record<string, string> }) {
  const gid = id('-g', 'nobody');
  const child = track(
    spawn('setpriv', ['--reuid', 'nobody', '--regid', gid, '--clear-groups', '--', process.execPath, CLI, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exit, stdout: () => stdout, stderr: () => stderr, output: () => stdout + stderr };
}
