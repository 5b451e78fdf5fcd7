import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../src/store/lease.js';
import { alive, startUp } from '../helpers/berth-up.js';
import { ROOT, runCli } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 26400-26499.

const FIX = path.join(ROOT, 'test', 'fixtures');
const base = (range: string) => `version: 1
ranges: { dev: ${range} }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}/http.mjs }
      web: { cmd: node ${FIX}/http.mjs, env: { X_COLOR: blue } }
`;

async function services(cwd: string, env: Record<string, string>): Promise<Record<string, { pid: number | null; ports: number[]; state: string }>> {
  const ps = JSON.parse((await runCli(['ps', '--json'], { cwd, env })).stdout);
  return Object.fromEntries(ps.instances[0].services.map((service: { name: string }) => [service.name, service]));
}

function lease(home: string): Lease {
  return (JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8')) as { leases: Lease[] }).leases[0] as Lease;
}

describe('ports.yaml edited while berth up runs', () => {
  it('a broken edit is reported with its line and column and changes nothing', async () => {
    const cwd = projectWith(base('26400-26409'));
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const up = startUp([], { cwd, env });
    await up.line(/web ready/);
    const before = await services(cwd, env);
    writeFileSync(path.join(cwd, 'ports.yaml'), base('26400-26409').replace('cmd: node', 'cmd: 42, x: node'));
    await up.line(/ports\.yaml has errors: nothing changed/);
    expect(up.lines).toContain('berth │ ports.yaml:6:19: cmd must be a string or a list of strings');
    const after = await services(cwd, env);
    expect(after.api?.pid).toBe(before.api?.pid);
    expect(after.web?.pid).toBe(before.web?.pid);
    up.child.kill('SIGINT');
    expect((await up.exit).code).toBe(0);
  });

  it('an edit naming a user that does not exist is reported at its line and column and changes nothing', async () => {
    const cwd = projectWith(base('26420-26429'));
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const up = startUp([], { cwd, env });
    await up.line(/web ready/);
    const before = await services(cwd, env);
    writeFileSync(path.join(cwd, 'ports.yaml'), base('26420-26429').replace('X_COLOR: blue }', 'X_COLOR: blue }, user: no-such-user-here'));
    await up.line(/ports\.yaml has errors: nothing changed/);
    expect(up.lines.some((line) => /ports\.yaml:7:\d+: .*no-such-user-here/.test(line))).toBe(true);
    const after = await services(cwd, env);
    expect(after.web?.pid).toBe(before.web?.pid);
    up.child.kill('SIGINT');
    expect((await up.exit).code).toBe(0);
  });

  it('an added service starts on a free port in a further block of the lease; a changed one restarts; a removed one stops and gives its ports back', async () => {
    const cwd = projectWith(base('26410-26419'));
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const up = startUp([], { cwd, env });
    await up.line(/web ready/);
    const before = await services(cwd, env);

    writeFileSync(path.join(cwd, 'ports.yaml'), `${base('26410-26419').replace('X_COLOR: blue', 'X_COLOR: red')}      extra: { cmd: node ${FIX}/http.mjs }\n`);
    await up.line(/ports\.yaml reloaded: added extra; changed web/);
    await up.line(/extra ready on 26412/);
    await up.line(/web ready on 26411/);
    const added = await services(cwd, env);
    expect(added.extra).toMatchObject({ state: 'ready', ports: [26412] });
    expect(added.api?.pid).toBe(before.api?.pid); // untouched
    expect(added.web?.pid).not.toBe(before.web?.pid); // restarted with its new env
    expect(added.web?.ports).toEqual([26411]);
    expect(lease(env.BERTH_HOME).blocks).toEqual([
      { range: 'dev', ports: [26410, 26411], group: 'shared' },
      { range: 'dev', ports: [26412, 26412], group: 'extra' },
    ]);

    const extraPid = added.extra?.pid as number;
    writeFileSync(path.join(cwd, 'ports.yaml'), base('26410-26419'));
    await up.line(/ports\.yaml reloaded: changed web; removed extra/);
    const removed = await services(cwd, env);
    expect(removed.extra).toBeUndefined();
    expect(alive(extraPid)).toBe(false);
    expect(lease(env.BERTH_HOME).services).toEqual({ api: [26410], web: [26411] });
    expect(lease(env.BERTH_HOME).blocks).toEqual([{ range: 'dev', ports: [26410, 26411], group: 'shared' }]);
    up.child.kill('SIGINT');
    expect((await up.exit).code).toBe(0);
  });

  it('--no-reload leaves the running stack alone', async () => {
    const cwd = projectWith(base('26420-26429'));
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const up = startUp(['--no-reload'], { cwd, env });
    await up.line(/web ready/);
    writeFileSync(path.join(cwd, 'ports.yaml'), `${base('26420-26429')}      extra: { cmd: node ${FIX}/http.mjs }\n`);
    // Sentinel: a second berth on the edited file starts extra; the first never mentions it.
    const other = startUp(['--no-reload'], { cwd, env });
    await other.line(/extra ready/);
    expect(up.lines.some((line) => line.includes('extra'))).toBe(false);
    other.child.kill('SIGINT');
    up.child.kill('SIGINT');
    await Promise.all([up.exit, other.exit]);
  });
});
