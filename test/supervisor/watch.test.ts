import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startUp } from '../helpers/berth-up.js';
import { ROOT, runCli } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 26100-26199.

const FIX = path.join(ROOT, 'test', 'fixtures');

function stack(range: string) {
  const cwd = projectWith(`version: 1
ranges: { dev: ${range} }
environments:
  dev:
    services:
      api:
        cmd: node ${FIX}/http.mjs
        watch: [src/**/*.js]
        watch_debounce: 150ms
      other:
        cmd: node ${FIX}/http.mjs
        watch: [other/*.js]
`);
  for (const dir of ['src/lib', 'other', 'src/node_modules/dep']) mkdirSync(path.join(cwd, dir), { recursive: true });
  const env = { BERTH_HOME: tempDir('berth-home-') };
  return { cwd, env };
}

async function services(cwd: string, env: Record<string, string>) {
  const ps = JSON.parse((await runCli(['ps', '--json'], { cwd, env })).stdout);
  return Object.fromEntries(ps.instances[0].services.map((service: { name: string; pid: number; ports: number[]; restarts: number }) => [service.name, service]));
}

const notes = (lines: string[]) => lines.filter((line) => line.includes('changed: restarting'));

describe('watch', () => {
  it('a saved file restarts its service once (new pid, same port) and no other', async () => {
    const { cwd, env } = stack('26100-26109');
    const up = startUp([], { cwd, env });
    await up.line(/other ready/);
    await up.line(/api ready/);
    const before = await services(cwd, env);
    writeFileSync(path.join(cwd, 'src/lib/a.js'), 'x');
    await up.line(/api: src\/lib\/a\.js changed: restarting/);
    await up.line(/api ready on 26100/);
    const after = await services(cwd, env);
    expect(after.api.pid).not.toBe(before.api.pid);
    expect(after.api.ports).toEqual([26100]);
    expect(after.api.restarts).toBe(1);
    expect(after.other).toMatchObject({ pid: before.other.pid, restarts: 0 });
    up.child.kill('SIGINT');
    expect((await up.exit).code).toBe(0);
  });

  it('ten saves within 100 ms give one restart; a file under node_modules gives none', async () => {
    const { cwd, env } = stack('26110-26119');
    const up = startUp([], { cwd, env });
    await up.line(/api ready/);
    const file = path.join(cwd, 'src/lib/a.js');
    for (let i = 0; i < 10; i++) {
      writeFileSync(file, String(i));
      await new Promise((resolve) => setTimeout(resolve, 10)); // the saves themselves, 10 ms apart
    }
    await up.line(/api: src\/lib\/a\.js changed: restarting/);
    await up.line(/api ready/);
    writeFileSync(path.join(cwd, 'src/node_modules/dep/index.js'), 'x');
    // A sentinel change: the next note must be this one, named alone.
    writeFileSync(path.join(cwd, 'src/sentinel.js'), 'x');
    await up.line(/api: src\/sentinel\.js changed: restarting/);
    expect(notes(up.lines)).toEqual(['berth │ api: src/lib/a.js changed: restarting', 'berth │ api: src/sentinel.js changed: restarting']);
    expect((await services(cwd, env)).api.restarts).toBe(2);
    up.child.kill('SIGINT');
    expect((await up.exit).code).toBe(0);
  });

  it('a service stopped with berth stop stays stopped when its files change', async () => {
    const { cwd, env } = stack('26120-26129');
    const up = startUp([], { cwd, env });
    await up.line(/api ready/);
    expect((await runCli(['stop', 'api'], { cwd, env })).code).toBe(0);
    writeFileSync(path.join(cwd, 'src/lib/a.js'), 'x');
    writeFileSync(path.join(cwd, 'other/b.js'), 'x'); // sentinel: other restarts, api does not
    await up.line(/other: other\/b\.js changed: restarting/);
    expect(notes(up.lines)).toEqual(['berth │ other: other/b.js changed: restarting']);
    expect((await services(cwd, env)).api.pid).toBeNull();
    up.child.kill('SIGINT');
    await up.exit;
  });
});
