import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFileLock } from '../../src/store/file-lock.js';
import { ROOT, runCli } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 29840-29849.

const FIX = path.join(ROOT, 'test', 'fixtures');

describe('a registry lost while an instance runs', () => {
  for (const [fault, spoil] of [
    ['corrupted', (file: string) => writeFileSync(file, '{"version": 1, "leases": [')],
    ['deleted', (file: string) => rmSync(file)],
  ] as const) {
    it(`${fault}: the next reserve never gets the running instance's ports, and ps and down still find it`, async () => {
      const cwd = projectWith(`version: 1
project: shop
ranges: { dev: 29840-29843 }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}/http.mjs, ports: 2, ready: { http: /health } }
`);
      const home = tempDir('berth-home-');
      const env = { BERTH_HOME: home };
      const up = await runCli(['up', '-d', '--json'], { cwd, env, timeoutMs: 20_000 });
      try {
        expect(up.code, up.stderr).toBe(0);
        const running = JSON.parse(up.stdout);
        expect(running.services.api ?? running.lease?.services?.api).toBeDefined();
        // Under the registry lock, as a loss between two of berth's transactions: a berth in the
        // middle of one (the supervisor recording its process groups) would otherwise rename its update over
        // the spoiled file, and nothing would be left to find lost.
        await withFileLock(path.join(home, 'registry.lock'), () => spoil(path.join(home, 'registry.json')));

        // At once: no re-registration has had time to run.
        const reserve = await runCli(['reserve', '--json'], { cwd, env });
        expect(reserve.code, reserve.stderr).toBe(0);
        expect(JSON.parse(reserve.stdout).services.api).toEqual([29842, 29843]);
        // Moved aside by whichever berth touched it first: this reserve, or the supervisor itself.
        if (fault === 'corrupted') expect(readdirSync(home).some((name) => name.startsWith('registry.json.corrupt-'))).toBe(true);

        const ps = JSON.parse((await runCli(['ps', '--json'], { cwd, env })).stdout);
        expect(ps.instances).toHaveLength(1);
        expect(ps.instances[0]).toMatchObject({ instance: 1, ports: [29840, 29841], stale: false });
        const leases = JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8')).leases as { instance: number }[];
        expect(leases.map((lease) => lease.instance).sort()).toEqual([1, 2]);
      } finally {
        const down = await runCli(['down', '--all'], { cwd, env, timeoutMs: 20_000 });
        // Should down not reach it, the supervisor is stopped by its pid (it stops its services).
        const pid = Number((JSON.parse(up.stdout || '{}') as { lease?: { owner?: { pid?: number } } }).lease?.owner?.pid ?? 0);
        if (down.code !== 0 && pid > 0) process.kill(pid, 'SIGTERM');
        expect(down.code, down.stderr).toBe(0);
      }
    }, 60_000);
  }
});
