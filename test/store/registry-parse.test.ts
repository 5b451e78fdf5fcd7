import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 29820-29839.

const project = (range: string) =>
  projectWith(`version: 1
project: shop
ranges: { dev: ${range} }
environments:
  dev:
    services: { api: { cmd: node x.js, ports: 2 } }
`);

function lease(id: string, services: unknown, extra: Record<string, unknown> = {}) {
  return { id, project: 'other', root: '/elsewhere', env: 'dev', instance: 1, ports: null, blocks: [], services, owner: { pid: process.pid, startTime: 1, host: 'h' }, createdAt: '2026-01-01T00:00:00.000Z', reserved: true, ...extra };
}

function withRegistry(registry: unknown): { home: string; env: Record<string, string> } {
  const home = tempDir('berth-home-');
  writeFileSync(path.join(home, 'registry.json'), JSON.stringify(registry));
  return { home, env: { BERTH_HOME: home } };
}

describe('a registry written by someone else is parsed, not trusted', () => {
  it('a lease whose ports are strings keeps them taken, shows as invalid, and goes with release', async () => {
    const cwd = project('29820-29823');
    const { home, env } = withRegistry({ version: 1, leases: [lease('bad1', { api: ['29820'] })], sticky: {} });
    const reserve = await runCli(['reserve', '--json'], { cwd, env });
    expect(reserve.code, reserve.stderr).toBe(0);
    expect(JSON.parse(reserve.stdout).services.api).toEqual([29821, 29822]);

    const ports = await runCli(['ports', '--json'], { cwd, env });
    const bad = JSON.parse(ports.stdout).leases.find((candidate: { id: string }) => candidate.id === 'bad1');
    expect(bad.invalid).toMatch(/services\.api\.0/);
    expect(bad.services).toEqual({ '?': [29820] });
    expect((await runCli(['ports'], { cwd, env })).stdout).toMatch(/bad1 .*INVALID \(services\.api\.0: .*\); berth release bad1/);
    // The file still holds the lease as it was written.
    const written = JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8')).leases.find((candidate: { id: string }) => candidate.id === 'bad1');
    expect(written.services).toEqual({ api: ['29820'] });

    expect((await runCli(['release', 'bad1'], { cwd, env })).code).toBe(0);
    const after = JSON.parse((await runCli(['ports', '--json'], { cwd, env })).stdout).leases.map((candidate: { id: string }) => candidate.id);
    expect(after).not.toContain('bad1');
  });

  it('a port as a bare number, an empty owner, a lease that is not an object: listed as invalid, never a crash', async () => {
    const cwd = project('29824-29829');
    const { env } = withRegistry({ version: 1, leases: [lease('n', { api: 29824 }), lease('o', { api: [29825] }, { owner: {} }), 'junk', null, lease('r', { api: [29826] }, { ports: ['29827', '29828'] })] });
    const ports = await runCli(['ports', '--json'], { cwd, env });
    expect(ports.code, ports.stderr).toBe(0);
    expect(ports.stderr).not.toMatch(/internal error/);
    const leases = JSON.parse(ports.stdout).leases as { id: string; invalid?: string; services: Record<string, number[]> }[];
    expect(leases.map((candidate) => candidate.id)).toEqual(['n', 'o', 'invalid-3', 'invalid-4', 'r']);
    expect(leases.every((candidate) => typeof candidate.invalid === 'string')).toBe(true);
    expect(leases.flatMap((candidate) => Object.values(candidate.services).flat())).toEqual([29824, 29825, 29826, 29827, 29828]);
    const reserve = await runCli(['reserve', '--json'], { cwd, env: { ...env } });
    expect(reserve.code, reserve.stderr).toBe(3); // 29824-29829 has no two free in a row left but 29829 alone
  });

  it('a wrong-typed sticky is repaired with a warning, not a crash of every reserve', async () => {
    const cwd = project('29830-29833');
    const { home, env } = withRegistry({ version: 1, leases: [], sticky: 5 });
    const reserve = await runCli(['reserve', '--json'], { cwd, env });
    expect(reserve.code, reserve.stderr).toBe(0);
    expect(reserve.stderr).toMatch(/sticky/);
    expect(JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8')).sticky).toEqual(expect.any(Object));
  });

  it('a registry whose leases are not a list is moved aside', async () => {
    const cwd = project('29834-29837');
    const { home, env } = withRegistry({ version: 1, leases: { a: 1 } });
    const reserve = await runCli(['reserve'], { cwd, env });
    expect(reserve.code, reserve.stderr).toBe(0);
    expect(reserve.stderr).toMatch(/moved it to .*corrupt-/);
    expect(JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8')).leases).toHaveLength(1);
  });
});
