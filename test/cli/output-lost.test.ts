import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, track } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 29870-29879.

const FIX = path.join(ROOT, 'test', 'fixtures');

describe("berth's own output cannot be written", () => {
  it.runIf(existsSync('/dev/full'))('stdout on a full disk: the stack is stopped, the lease released, exit 1, one line, no stack trace', async () => {
    const cwd = projectWith(`version: 1
ranges: { dev: 29870-29879 }
environments:
  dev:
    services:
      ticker: { cmd: node ${FIX}/ticker.mjs, ports: 1, ready: none }
`);
    const home = tempDir('berth-home-');
    const full = openSync('/dev/full', 'w');
    const child = track(spawn(process.execPath, [CLI, 'up', '--no-tui'], { cwd, env: { ...process.env, BERTH_HOME: home, NO_COLOR: '1' }, stdio: ['ignore', full, 'pipe'] }));
    closeSync(full);
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toBe('berth: cannot write to stdout (ENOSPC): stopping the stack\n');
    const registry = JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8')) as { leases: unknown[] };
    expect(registry.leases).toEqual([]);
  }, 30_000);
});
