import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 29860-29869.

const FIX = path.join(ROOT, 'test', 'fixtures');

describe('a BERTH_HOME too long for a Unix socket path', () => {
  it('up -d, ps and down still reach the instance through a short per-user folder recorded in the lease', async () => {
    const cwd = projectWith(`version: 1
ranges: { dev: 29860-29869 }
environments:
  dev:
    services:
      api: { cmd: node ${FIX}/http.mjs, ready: { http: /health } }
`);
    const home = path.join(tempDir(), 'a-rather-long-folder-name-for-state'.repeat(3), 'berth');
    mkdirSync(home, { recursive: true, mode: 0o700 });
    expect(Buffer.byteLength(path.join(home, 'sockets', '12345678.sock'))).toBeGreaterThan(108);
    const env = { BERTH_HOME: home };
    const up = await runCli(['up', '-d', '--json'], { cwd, env, timeoutMs: 20_000 });
    const pid = (JSON.parse(up.stdout || '{}') as { lease?: { owner?: { pid?: number } } }).lease?.owner?.pid;
    try {
      expect(up.code, up.stderr).toBe(0);
      const ps = JSON.parse((await runCli(['ps', '--json'], { cwd, env })).stdout);
      expect(ps.instances).toMatchObject([{ instance: 1, stale: false }]);
      const ports = JSON.parse((await runCli(['ports', '--json'], { cwd, env })).stdout);
      expect(ports.leases[0].socket).toBe(path.join('/tmp', `berth-${process.getuid?.()}`, `${ports.leases[0].id}.sock`));
      const down = await runCli(['down'], { cwd, env, timeoutMs: 20_000 });
      expect(down.code, down.stderr).toBe(0);
    } finally {
      if (pid) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // stopped by down
        }
      }
    }
  }, 60_000);
});
