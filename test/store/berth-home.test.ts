import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 29850-29859.

const cwd = () =>
  projectWith(`version: 1
ranges: { dev: 29850-29859 }
environments:
  dev:
    services: { api: { cmd: node x.js } }
`);

describe('BERTH_HOME is checked before anything is written there', () => {
  it('a fresh one is created 0700', async () => {
    const home = path.join(tempDir(), 'deep', 'home');
    const result = await runCli(['reserve'], { cwd: cwd(), env: { BERTH_HOME: home } });
    expect(result.code, result.stderr).toBe(0);
    expect(statSync(home).mode & 0o777).toBe(0o700);
  });

  it('a regular file: exit 2 naming it, the file untouched', async () => {
    const home = path.join(tempDir(), 'home');
    writeFileSync(home, 'mine');
    const result = await runCli(['reserve'], { cwd: cwd(), env: { BERTH_HOME: home } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`berth: BERTH_HOME ${home} is not a folder\n`);
    expect(readFileSync(home, 'utf8')).toBe('mine');
  });

  it('writable by others (0777): exit 2 with the fix, for every command that uses the store', async () => {
    const home = path.join(tempDir(), 'home');
    mkdirSync(home);
    chmodSync(home, 0o777);
    for (const args of [['reserve'], ['ports'], ['gc'], ['ps', '--all'], ['check', '29851']]) {
      const result = await runCli(args, { cwd: cwd(), env: { BERTH_HOME: home } });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toBe(`berth: BERTH_HOME ${home} is writable by its group (mode 777); make it yours alone: chmod 700 ${home}\n`);
    }
  });

  it.runIf(process.getuid?.() === 0)("another user's folder: exit 2", async () => {
    const home = path.join(tempDir(), 'home');
    mkdirSync(home, { mode: 0o700 });
    chownSync(home, 65534, 65534);
    const result = await runCli(['reserve'], { cwd: cwd(), env: { BERTH_HOME: home } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^berth: BERTH_HOME .* belongs to uid 65534, not to you \(uid 0\)/);
  });
});
