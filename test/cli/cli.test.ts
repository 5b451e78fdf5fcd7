import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../src/store/lease.js';
import { listenOn, ROOT, runCli } from '../helpers/processes.js';
import { exited, spawnUntilLine } from '../helpers/spawn-line.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 20800-21199.

const stack = (range: string) => `version: 1
project: shop
ranges:
  dev: ${range}
environments:
  dev:
    ranges: [dev]
    services:
      api: { cmd: node api.js, ports: [http, ws] }
      worker: { cmd: node worker.js, ports: 0 }
      web-ui: { cmd: node web.js }
`;

function project(yaml: string) {
  const cwd = projectWith(yaml);
  const env = { BERTH_HOME: tempDir('berth-home-') };
  const berth = (...args: string[]) => runCli(args, { cwd, env });
  const registry = () => {
    const file = path.join(env.BERTH_HOME, 'registry.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { leases: Lease[] }) : { leases: [] };
  };
  return { cwd, env, berth, registry };
}

describe('berth validate', () => {
  it('exit 0 on a good file', async () => {
    const { berth } = project(stack('20800-20809'));
    const result = await berth('validate');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('ports.yaml: ok — project shop; dev (3 services, 3 ports)');
  });

  it('a file of many environments: the ok line names twelve and says how many more', async () => {
    const envs = Array.from({ length: 40 }, (_, i) => `  e${i}:\n    ranges: [dev]\n    services:\n      api: { cmd: node api.js }\n`).join('');
    const { berth } = project(`version: 1\nproject: shop\nranges:\n  dev: 20800-20809\nenvironments:\n${envs}`);
    const result = await berth('validate');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ports.yaml: ok — project shop; ' + Array.from({ length: 12 }, (_, i) => `e${i} (1 service, 1 port)`).join(', ') + ', and 28 more environments\n');
  });

  it('exit 2 with every error as ports.yaml:LINE:COL on stderr, nothing on stdout', async () => {
    const { berth } = project(stack('20800-20809').replace('version: 1', 'version: 7').replace('ports: 0', 'ports: -1'));
    const result = await berth('validate');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n').slice(0, 2)).toEqual(['ports.yaml:1:10: version must be 1, not 7', 'ports.yaml:10:45: ports must be 0 or more, not -1']);
  });

  it('finds ports.yaml in a parent folder, or takes -f', async () => {
    const { cwd, env } = project(stack('20800-20809'));
    const nested = path.join(cwd, 'a', 'b');
    (await import('node:fs')).mkdirSync(nested, { recursive: true });
    expect((await runCli(['validate'], { cwd: nested, env })).code).toBe(0);
    const elsewhere = tempDir();
    expect((await runCli(['validate'], { cwd: elsewhere, env })).stderr).toContain('no ports.yaml (or ports.yml) in');
    expect((await runCli(['validate', '-f', path.join(cwd, 'ports.yaml')], { cwd: elsewhere, env })).code).toBe(0);
  });

  it('-f before the command, BERTH_FILE, and ports.yml are found like ports.yaml', async () => {
    const fs = await import('node:fs');
    const { cwd, env } = project(stack('20800-20809'));
    const file = path.join(cwd, 'ports.yaml');
    const elsewhere = tempDir();
    const before = await runCli(['-f', file, 'validate'], { cwd: elsewhere, env });
    expect(before.code, before.stderr).toBe(0);
    expect((await runCli(['--file', file, 'validate'], { cwd: elsewhere, env })).code).toBe(0);
    expect((await runCli([`--file=${file}`, 'validate'], { cwd: elsewhere, env })).code).toBe(0);
    expect((await runCli(['validate'], { cwd: elsewhere, env: { ...env, BERTH_FILE: file } })).code).toBe(0);
    // An explicit -f beats BERTH_FILE.
    const broken = path.join(elsewhere, 'broken.yaml');
    fs.writeFileSync(broken, 'version: 7\n');
    expect((await runCli(['validate', '-f', file], { cwd: elsewhere, env: { ...env, BERTH_FILE: broken } })).code).toBe(0);
    expect((await runCli(['validate'], { cwd: elsewhere, env: { ...env, BERTH_FILE: broken } })).code).toBe(2);
    // ports.yml, in the folder or a parent.
    const yml = tempDir();
    fs.writeFileSync(path.join(yml, 'ports.yml'), fs.readFileSync(file, 'utf8'));
    fs.mkdirSync(path.join(yml, 'sub'));
    const found = await runCli(['validate'], { cwd: path.join(yml, 'sub'), env });
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toContain('ports.yml: ok');
  });
});

describe('berth reserve / env / release', () => {
  it('reserves consecutive blocks, prints the env, and releases', async () => {
    const { berth, registry } = project(stack('20810-20829'));
    const one = await berth('reserve');
    expect(one).toMatchObject({ code: 0, stderr: '' });
    expect(one.stdout).toMatch(/^reserved shop\/dev#1 20810-20812 \(api 20810-20811, web-ui 20812\) — lease [0-9a-f]{8}\n$/);
    const two = await berth('reserve', 'dev', '--json');
    expect(JSON.parse(two.stdout)).toMatchObject({ instance: 2, ports: [20813, 20815], reserved: true, services: { api: [20813, 20814], worker: [], 'web-ui': [20815] } });

    expect((await berth('env', '--instance', '2')).stdout).toBe('export API_PORT=20813\nexport WEB_UI_PORT=20815\n');
    expect((await berth('env', '--instance', '1', '--format', 'dotenv')).stdout).toBe('API_PORT=20810\nWEB_UI_PORT=20812\n');
    expect(JSON.parse((await berth('env', '--instance', '1', '--format', 'json')).stdout)).toEqual({ API_PORT: 20810, WEB_UI_PORT: 20812 });

    const ambiguous = await berth('env');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toBe('berth: several instances of shop/dev: shop/dev#1, shop/dev#2; pick one with --instance N\n');

    expect((await berth('release', 'dev', '--instance', '1')).stdout).toMatch(/^released shop\/dev#1 \(lease [0-9a-f]{8}\)\n$/);
    const id = registry().leases[0]?.id as string;
    expect((await berth('release', id.slice(0, 5))).code).toBe(0);
    expect(registry().leases).toEqual([]);
    expect((await berth('env')).code).toBe(1);
  });

  it('exit 3 when no block is free, naming the range and its holders', async () => {
    const { berth } = project(stack('20830-20835'));
    await berth('reserve');
    await berth('reserve');
    const third = await berth('reserve');
    expect(third.code).toBe(3);
    expect(third.stderr).toBe(
      'berth: no block of 3 consecutive free ports for environment dev of shop/dev#3 in any of its ranges:\n' +
        '  dev (20830-20835): 6 of 6 in use — shop/dev#1 (20830-20832), shop/dev#2 (20833-20835)\n',
    );
  });

  it('a pinned port that is taken is exit 3', async () => {
    const { berth } = project(stack('20840-20849'));
    await listenOn(20848, '127.0.0.1');
    const result = await berth('reserve', '--port', 'web-ui=20848');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('--port web-ui=20848: port 20848 is taken: bound by another process');
    expect(JSON.parse((await berth('reserve', '--port', 'web-ui=20847', '--json')).stdout).services['web-ui']).toEqual([20847]);
  });

  it('bad config: exit 2 and nothing claimed', async () => {
    const { berth, registry } = project(stack('20850-20859').replace('cmd: node api.js', 'cmd: "node api.js ${nope.port}"'));
    const result = await berth('reserve');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('ports.yaml:9:19: unknown reference ${nope.port}: there is no service "nope" in environment dev\n');
    expect(registry().leases).toEqual([]);
  });

  it('ENV may be left out only when it is clear which one', async () => {
    const yaml = `version: 1
ranges: { a: 20860-20869 }
environments:
  staging: { ranges: [a], services: { api: { cmd: x } } }
  test: { ranges: [a], services: { api: { cmd: x } } }
`;
    const { berth } = project(yaml);
    const result = await berth('reserve');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('has several environments; name one: staging, test');
    expect((await berth('reserve', 'prod')).stderr).toContain('no environment "prod"');
    expect((await berth('reserve', 'test')).code).toBe(0);
  });

  it('refuses to release a lease held by a running supervisor', async () => {
    const { cwd, env, berth } = project(stack('20870-20879'));
    const { child } = await spawnUntilLine(path.join(ROOT, 'test/fixtures/hold-lease.mjs'), ['dev'], { cwd, env });
    const result = await berth('release', 'dev');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`is held by a running berth (pid ${child.pid}); stop it with \`berth down\``);
    child.kill('SIGKILL');
    await exited(child);
    expect((await berth('release', 'dev')).code).toBe(1); // stale: nothing running or reserved any more
  });
});

describe('berth ports / gc / check', () => {
  it('ports --json: one document with leases (stale marked), conflicts and range use; stale ones are then reclaimed', async () => {
    const { cwd, env, berth, registry } = project(stack('20880-20899'));
    await berth('reserve');
    const { child, line } = await spawnUntilLine(path.join(ROOT, 'test/fixtures/hold-lease.mjs'), ['dev'], { cwd, env });
    const running = JSON.parse(line) as Lease;
    await listenOn(running.services.api?.[0] as number, '127.0.0.1'); // a stranger on a leased port
    const dead = await spawnUntilLine(path.join(ROOT, 'test/fixtures/hold-lease.mjs'), ['dev'], { cwd, env });
    dead.child.kill('SIGKILL');
    await exited(dead.child);

    const result = await berth('ports', '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.leases.map((lease: Lease & { stale: boolean }) => [lease.instance, lease.stale, lease.reserved ?? false])).toEqual([
      [1, false, true],
      [2, false, false],
      [3, true, false],
    ]);
    expect(report.leases[0]).toEqual(expect.objectContaining({ id: expect.any(String), project: 'shop', root: cwd, env: 'dev', ports: [20880, 20882], createdAt: expect.any(String), owner: expect.objectContaining({ pid: expect.any(Number), startTime: expect.any(Number), host: expect.any(String) }) }));
    expect(report.conflicts).toEqual([{ port: running.services.api?.[0], lease: running.id, label: 'shop/dev#2', pids: [process.pid] }]);
    expect(report.ranges).toEqual([{ name: 'dev', first: 20880, last: 20899, size: 20, leased: 6, holders: [expect.objectContaining({ label: 'shop/dev#1', ports: 3 }), expect.objectContaining({ label: 'shop/dev#2', ports: 3 })] }]);
    expect(registry().leases.map((lease) => lease.instance)).toEqual([1, 2]);
    child.kill('SIGKILL');
  });

  it('ports works from any folder, without a ports.yaml', async () => {
    const { env, berth } = project(stack('20900-20909'));
    await berth('reserve');
    const result = await runCli(['ports'], { cwd: tempDir(), env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^LEASE +INSTANCE +PORTS/);
    expect(result.stdout).toContain('shop/dev#1  20900-20902');
  });

  it('gc reclaims stale leases', async () => {
    const { cwd, env, berth, registry } = project(stack('20910-20919'));
    const { child, line } = await spawnUntilLine(path.join(ROOT, 'test/fixtures/hold-lease.mjs'), ['dev'], { cwd, env });
    expect((await berth('gc')).stdout).toBe('no stale leases\n');
    child.kill('SIGKILL');
    await exited(child);
    const lease = JSON.parse(line) as Lease;
    expect((await berth('gc')).stdout).toBe(`reclaimed shop/dev#1 (lease ${lease.id}, owner pid ${child.pid} is gone)\n`);
    expect(registry().leases).toEqual([]);
  });

  it('check: exit 0 when free, 1 when leased or bound, saying by what', async () => {
    const { berth } = project(stack('20920-20929'));
    await berth('reserve');
    await listenOn(20925, '::');
    expect(await berth('check', '20926-20927')).toMatchObject({ code: 0, stdout: '20926 free\n20927 free\n' });
    const busy = await berth('check', '20921', '20925', '20926');
    expect(busy.code).toBe(1);
    expect(busy.stdout).toBe('20921 in use: leased, by lease shop/dev#1\n20925 in use: bound on ::\n20926 free\n');
    expect((await berth('check', 'abc')).code).toBe(2);
    expect(JSON.parse((await berth('check', '20925', '--json')).stdout)).toEqual({ ports: [{ port: 20925, free: false, reason: 'bound on ::' }] });
  });
});

describe('help and version', () => {
  it('--version, and --help for every command', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(await runCli(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    for (const command of ['up', 'down', 'ps', 'restart', 'stop', 'start', 'logs', 'validate', 'ports', 'reserve', 'release', 'env', 'check', 'gc']) {
      const result = await runCli([command, '--help']);
      expect(result.code, command).toBe(0);
      expect(result.stdout, command).toMatch(new RegExp(`^Usage: berth ${command} `));
    }
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });

  it('an unreadable registry path is a clear error, not a crash', async () => {
    const file = path.join(tempDir(), 'not-a-dir');
    writeFileSync(file, '');
    const result = await runCli(['ports'], { env: { BERTH_HOME: file } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`berth: BERTH_HOME ${file} is not a folder\n`);
    expect(result.stderr).not.toContain('internal error');
  });
});
