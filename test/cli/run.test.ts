import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hoistFileOption } from '../../src/cli/hoist-file-option.js';
import { splitRunArguments } from '../../src/cli/run-arguments.js';
import { processTable } from '../../src/platform/index.js';
import type { Lease } from '../../src/store/lease.js';
import { alive } from '../helpers/berth-up.js';
import { CLI, runCli, track, waitFor, type RunResult } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 30500-30999.

/** A service that listens on $PORT (127.0.0.1), answers "hello from <instance>", and records its pid and its child's. */
const API = `
const http = require('node:http');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const helper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
fs.writeFileSync('api-' + process.env.BERTH_INSTANCE + '.pids', JSON.stringify([process.pid, helper.pid]));
http.createServer((req, res) => res.end('hello from ' + process.env.BERTH_INSTANCE)).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('api listening on ' + process.env.PORT));
`;

/** CMD: prints the instance's variables and what the service answered, as JSON on stdout. */
const CLIENT = `
const vars = Object.fromEntries(Object.entries(process.env).filter(([key]) => /^(API_|WORKER_|BERTH_(PROJECT|ENV|INSTANCE)$)/.test(key)));
fetch('http://127.0.0.1:' + process.env.API_PORT + '/').then((res) => res.text()).then((body) => {
  console.log(JSON.stringify({ vars, body }));
  process.exit(Number(process.argv[2] ?? 0));
}, (error) => { console.error('client: ' + error.message); process.exit(99); });
`;

function stack(range: string, api = 'api: { cmd: node api.js, ports: [http, ws] }') {
  return `version: 1
project: ci
ranges:
  test: ${range}
environments:
  test:
    ranges: [test]
    services:
      ${api}
      worker:
        cmd: [node, -e, "setInterval(() => {}, 1000)"]
        ports: 0
`;
}

function project(yaml: string) {
  const cwd = projectWith(yaml);
  writeFileSync(path.join(cwd, 'api.js'), API);
  writeFileSync(path.join(cwd, 'client.js'), CLIENT);
  const env = { BERTH_HOME: tempDir('berth-home-') };
  const berth = (args: string[], timeoutMs = 30_000) => runCli(args, { cwd, env, timeoutMs });
  const leases = () => {
    const file = path.join(env.BERTH_HOME, 'registry.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { leases: Lease[] }).leases : [];
  };
  const pids = (instance = 1) => JSON.parse(readFileSync(path.join(cwd, `api-${instance}.pids`), 'utf8')) as number[];
  return { cwd, env, berth, leases, pids };
}

/** Whether a live process (zombies do not count: pid 1 of a container may be slow to reap them) is in group `pgid`. */
function groupAlive(pgid: number): boolean {
  return processTable(0).entries.some((entry) => entry.pgid === pgid);
}

async function expectGone(pids: number[]): Promise<void> {
  // berth has exited; what it stopped is gone, at most a reap away.
  await waitFor(() => pids.every((pid) => !alive(pid)), 5000, `processes ${pids.join(', ')} to be gone`);
  expect(groupAlive(pids[0] as number)).toBe(false);
}

describe('berth run: arguments', () => {
  it('everything after the first -- is CMD; ENV is the one operand before it', () => {
    expect(splitRunArguments(['node', '-e', '1'], ['run', '--', 'node', '-e', '1'])).toEqual({ envName: undefined, cmd: ['node', '-e', '1'] });
    expect(splitRunArguments(['test', 'npm', 'test', '--', '-w'], ['run', 'test', '--quiet', '--', 'npm', 'test', '--', '-w'])).toEqual({ envName: 'test', cmd: ['npm', 'test', '--', '-w'] });
    expect(() => splitRunArguments([], ['run'])).toThrow(/needs a command after --/);
    expect(() => splitRunArguments(['npm', 'test'], ['run', 'npm', 'test'])).toThrow(/put -- before the command: berth run -- npm test/);
    expect(() => splitRunArguments(['a', 'b', 'x'], ['run', 'a', 'b', '--', 'x'])).toThrow(/one ENV before --, not "a b"/);
  });

  it('-f before the command is hoisted; a -f of CMD after -- never is', () => {
    expect(hoistFileOption(['-f', 'a.yaml', 'run', '--', 'node', '-f', 'b'])).toEqual(['run', '--file', 'a.yaml', '--', 'node', '-f', 'b']);
    expect(hoistFileOption(['run', '--', 'node', '-f', 'b'])).toEqual(['run', '--', 'node', '-f', 'b']);
    expect(hoistFileOption(['--', 'node', '-f', 'b'])).toEqual(['--', 'node', '-f', 'b']);
  });

  it('no CMD is a usage error (exit 2), nothing started', async () => {
    const { berth, leases } = project(stack('30500-30509'));
    for (const args of [['run'], ['run', 'test'], ['run', '--'], ['run', 'node', '-v']]) {
      const result = await berth(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stdout).toBe('');
    }
    expect(leases()).toEqual([]);
  });

  it('CMD gets its options and its own -- verbatim, also with -f before the command', async () => {
    const { cwd, berth } = project(stack('30500-30509'));
    writeFileSync(path.join(cwd, 'args.js'), 'console.log(JSON.stringify(process.argv.slice(2)))');
    const result = await berth(['-f', path.join(cwd, 'ports.yaml'), 'run', '-q', '--', 'node', 'args.js', '-f', 'x', '--', '--help', '--only', 'y']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(['-f', 'x', '--', '--help', '--only', 'y']);
  });
});

describe('berth run', () => {
  it("exits with CMD's code; afterwards every service process is gone and no lease is left", async () => {
    const { berth, leases, pids } = project(stack('30510-30519'));
    const result = await berth(['run', '--', 'node', '-e', 'process.exit(7)']);
    expect(result.code, result.stderr).toBe(7);
    expect(result.stdout).toBe(''); // services' output and berth's progress go to stderr
    expect(result.stderr).toContain('api    │ api listening on 30510');
    expect(result.stderr).toContain('berth  │ node exited with code 7: stopping every service');
    await expectGone(pids());
    expect(leases()).toEqual([]);
    const ports = await berth(['ports', '--json']);
    expect(JSON.parse(ports.stdout).leases).toEqual([]);
  });

  it("CMD sees every service's ports and BERTH_* and reaches the service, which was ready before CMD started", async () => {
    const { berth } = project(stack('30520-30529'));
    const result = await berth(['run', 'test', '--quiet', '--', 'node', 'client.js', '0']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(''); // --quiet: nothing but problems
    expect(JSON.parse(result.stdout)).toEqual({
      vars: { API_PORT: '30520', API_PORT_HTTP: '30520', API_PORT_WS: '30521', BERTH_PROJECT: 'ci', BERTH_ENV: 'test', BERTH_INSTANCE: '1' },
      body: 'hello from 1',
    });
  });

  it('10 concurrent runs get 10 instances with disjoint blocks, each exits with its own CMD code, and the registry ends empty', async () => {
    const { berth, leases, pids } = project(stack('30600-30649'));
    const results = await Promise.all(Array.from({ length: 10 }, (_, index) => berth(['run', '-q', '--', 'node', 'client.js', String(index)], 60_000)));
    const seen = results.map((result: RunResult, index) => {
      expect(result.code, result.stderr).toBe(index);
      const { vars, body } = JSON.parse(result.stdout) as { vars: Record<string, string>; body: string };
      expect(body).toBe(`hello from ${vars.BERTH_INSTANCE}`);
      return { instance: Number(vars.BERTH_INSTANCE), ports: [Number(vars.API_PORT_HTTP), Number(vars.API_PORT_WS)] };
    });
    expect(new Set(seen.map((one) => one.instance)).size).toBe(10);
    const ports = seen.flatMap((one) => one.ports);
    expect(new Set(ports).size).toBe(20);
    expect(ports.every((port) => port >= 30600 && port <= 30649)).toBe(true);
    expect(leases()).toEqual([]);
    for (const one of seen) await expectGone(pids(one.instance));
  }, 90_000);

  it('a service that exits at once: exit 1, its last lines on stderr, CMD never ran, the lease released', async () => {
    const failing = 'api: { cmd: [node, -e, "console.log(\'connecting to the database\'); console.error(\'fatal: no database\'); process.exit(1)"] }';
    const { cwd, berth, leases } = project(stack('30530-30539', failing));
    const result = await berth(['run', '-q', '--', 'node', '-e', "require('fs').writeFileSync('cmd-ran', '')"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('berth: api failed: exited with code 1 before it was ready; its last lines:\n  connecting to the database\n  fatal: no database\n');
    expect(result.stderr).toContain('the stack never got ready; node did not run');
    expect(existsSync(path.join(cwd, 'cmd-ran'))).toBe(false);
    expect(leases()).toEqual([]);
  });

  it('a service that never gets ready within ready_timeout: exit 1, CMD never ran, no process left', async () => {
    const silent = "api: { cmd: [node, -e, \"console.log('warming up ' + process.pid); setInterval(() => {}, 1000)\"], ready_timeout: 300ms }";
    const { cwd, berth, leases } = project(stack('30540-30549', silent));
    const result = await berth(['run', '--', 'node', '-e', "require('fs').writeFileSync('cmd-ran', '')"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/berth: api failed: [^\n]*; its last lines:\n {2}warming up \d+\n/);
    expect(existsSync(path.join(cwd, 'cmd-ran'))).toBe(false);
    const pid = Number(/warming up (\d+)/.exec(result.stderr)?.[1]);
    await expectGone([pid]);
    expect(leases()).toEqual([]);
  });

  it('no block free (the one port of the range is reserved): exit 3, CMD never ran', async () => {
    const { cwd, berth, leases } = project(stack('30550-30551'));
    expect((await berth(['reserve'])).code).toBe(0);
    const result = await berth(['run', '--', 'node', '-e', "require('fs').writeFileSync('cmd-ran', '')"]);
    expect(result.code, result.stderr).toBe(3);
    expect(existsSync(path.join(cwd, 'cmd-ran'))).toBe(false);
    expect(leases().map((lease) => lease.reserved)).toEqual([true]);
  });

  it('CMD not found: exit 127 with one line, the stack stopped, the lease released', async () => {
    const { berth, leases, pids } = project(stack('30560-30569'));
    const result = await berth(['run', '-q', '--', 'berth-no-such-command-x', '--flag']);
    expect(result.code).toBe(127);
    expect(result.stderr).toBe('berth: berth-no-such-command-x: command not found\n');
    await expectGone(pids());
    expect(leases()).toEqual([]);
  });

  it('SIGINT to berth while CMD runs: CMD gets it once, the stack stops, exit 130, no process left', async () => {
    const { cwd, env, leases, pids } = project(stack('30570-30579'));
    writeFileSync(
      path.join(cwd, 'waits.js'),
      `let count = 0;
process.on('SIGINT', () => {
  count += 1;
  console.log('cmd got SIGINT ' + count);
  setTimeout(() => { process.removeAllListeners('SIGINT'); process.kill(process.pid, 'SIGINT'); }, 200);
});
console.log('cmd running ' + process.pid);
setInterval(() => {}, 1000);
`,
    );
    const child = track(spawn(process.execPath, [CLI, 'run', '--', 'node', 'waits.js'], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitFor(() => /cmd running (\d+)/.test(stdout), 15_000, () => `CMD to start (stderr: ${stderr})`);
    const cmdPid = Number(/cmd running (\d+)/.exec(stdout)?.[1]);
    const services = pids();
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(stdout.match(/cmd got SIGINT/g)).toEqual(['cmd got SIGINT']);
    expect(stderr).toContain('SIGINT passed on to node; the stack stops when it exits');
    await expectGone([...services, cmdPid]);
    expect(leases()).toEqual([]);
  });

  // util-linux `script` gives berth a terminal; a Ctrl-C typed there reaches berth and CMD (one foreground group).
  const hasScript = process.platform === 'linux' && spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout?.includes('util-linux');
  it.skipIf(!hasScript)('Ctrl-C in a terminal: CMD gets SIGINT once (from the terminal, not again from berth), exit with its code', async () => {
    const { cwd, env, leases, pids } = project(stack('30590-30599'));
    writeFileSync(
      path.join(cwd, 'counts.js'),
      `let count = 0;
process.on('SIGINT', () => {
  count += 1;
  console.log('cmd got SIGINT ' + count);
  setTimeout(() => process.exit(count === 1 ? 4 : 9), 300);
});
console.log('cmd running');
setInterval(() => {}, 1000);
`,
    );
    // `exec`: script runs the line with $SHELL -c, and a shell that stays (dash) would itself die of the Ctrl-C with 130.
    const command = `exec ${[process.execPath, CLI, 'run', '--', process.execPath, 'counts.js'].map((word) => `'${word}'`).join(' ')}`;
    const child = track(spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'] }));
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitFor(() => output.includes('cmd running'), 15_000, () => `CMD to start (output: ${output})`);
    const services = pids();
    child.stdin?.write('\u0003');
    expect(await exit, output).toBe(4);
    expect(output.match(/cmd got SIGINT \d/g)).toEqual(['cmd got SIGINT 1']);
    expect(output).toContain('SIGINT reached');
    await expectGone(services);
    expect(leases()).toEqual([]);
  });

  it('berth down from another terminal stops the stack and sends SIGTERM to CMD; its code is the exit code', async () => {
    const { cwd, env, berth, leases, pids } = project(stack('30700-30709'));
    const script = "process.on('SIGTERM', () => { console.log('cmd got SIGTERM'); process.exit(143); }); console.log('cmd running'); setInterval(() => {}, 1000);";
    const child = track(spawn(process.execPath, [CLI, 'run', '-q', '--', 'node', '-e', script], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitFor(() => stdout.includes('cmd running'), 15_000, () => `CMD to start (stderr: ${stderr})`);
    const services = pids();
    expect((await berth(['down'])).code).toBe(0);
    expect(await exit).toBe(143);
    expect(stdout).toBe('cmd running\ncmd got SIGTERM\n');
    expect(stderr).toBe('berth: the stack is being stopped (berth down): sending SIGTERM to node\n');
    await expectGone(services);
    expect(leases()).toEqual([]);
  });

  it('a service that fails while CMD runs is reported once; CMD keeps running and its code is the exit code', async () => {
    const { cwd, berth, leases } = project(stack('30580-30589'));
    writeFileSync(
      path.join(cwd, 'kills-api.js'),
      `const { execFileSync } = require('child_process');
const [pid] = JSON.parse(require('fs').readFileSync('api-1.pids', 'utf8'));
process.kill(pid, 'SIGKILL');
// Ends once berth has the api as failed (berth ps says so only after berth run heard of it),
// however long berth takes to clear the rest of api's group: no margin to guess.
const failed = () => {
  const ps = JSON.parse(execFileSync(process.execPath, [${JSON.stringify(CLI)}, 'ps', '--json'], { encoding: 'utf8' }));
  if (ps.instances[0].services.find((service) => service.name === 'api').state === 'failed') process.exit(0);
  setTimeout(failed, 50);
};
const poll = () => fetch('http://127.0.0.1:' + process.env.API_PORT + '/').then(() => setTimeout(poll, 20), () => { console.log('api is gone'); failed(); });
poll();
`,
    );
    const result = await berth(['run', '-q', '--', 'node', 'kills-api.js']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('api is gone\n');
    expect(result.stderr.match(/berth: api failed while node ran: [^\n]*SIGKILL/g)).toHaveLength(1);
    expect(leases()).toEqual([]);
  });
});
