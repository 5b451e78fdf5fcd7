import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireFileLock, chooseLock, lockImplementation, LockTimeoutError, type LockKind } from '../../src/store/file-lock.js';
import { ROOT, runCli, runNode, track, waitFor } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';
import { exited } from '../helpers/spawn-line.js';

// This file's ports: none bound (the environment reserved below has no ports; its range is 29790-29799).

const LOCK_MODULE = JSON.stringify(path.join(ROOT, 'dist', 'lib', 'store', 'file-lock.js'));

/** BERTH_LOCK for each implementation: the native one, and both fallbacks. */
const KINDS: Array<[LockKind, string]> = [
  ['native', 'native'],
  ['abstract-socket', 'fallback'],
  ['socket-file', 'fallback-file'],
];
const KINDS_HERE = KINDS.filter(([kind]) => kind !== 'abstract-socket' || process.platform === 'linux');

/** Writes a child script into a fresh folder; returns its path. */
function script(name: string, text: string): string {
  const file = path.join(tempDir('berth-lock-'), name);
  writeFileSync(file, text);
  return file;
}

/** Adds 1 to a counter file ROUNDS times, each under the lock, with the read and the write apart. */
const COUNTER = `import { readFileSync, writeFileSync } from 'node:fs';
import { lockApi, withFileLock } from ${LOCK_MODULE};
const [lockFile, counter, rounds] = process.argv.slice(2);
const spin = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
for (let i = 0; i < Number(rounds); i++) {
  await withFileLock(lockFile, () => {
    const value = Number(readFileSync(counter, 'utf8'));
    spin(0.5);
    writeFileSync(counter, String(value + 1));
  });
}
console.log(lockApi().kind);
`;

/** Takes the lock, says so, and keeps it until killed. */
const HOLDER = `import { acquireFileLock, lockApi } from ${LOCK_MODULE};
await acquireFileLock(process.argv[2]);
console.log('locked ' + lockApi().kind);
setInterval(() => {}, 1 << 30);
`;

describe.each(KINDS_HERE)('registry lock: %s (BERTH_LOCK=%s)', (kind, berthLock) => {
  it('20 processes adding to one counter under the lock lose no update', async () => {
    const dir = tempDir();
    const counter = path.join(dir, 'counter');
    writeFileSync(counter, '0');
    const counterScript = script('counter.mjs', COUNTER);
    const runs = await Promise.all(
      Array.from({ length: 20 }, () => runNode([counterScript, path.join(dir, 'registry.lock'), counter, '10'], { env: { BERTH_LOCK: berthLock }, timeoutMs: 60_000 })),
    );
    for (const run of runs) expect(run, run.stderr).toMatchObject({ code: 0, stdout: `${kind}\n` });
    expect(readFileSync(counter, 'utf8')).toBe('200');
  });

  it('a waiter gives up after its timeout naming the holder; once the holder is SIGKILLed it gets the lock within 1 s', async () => {
    const lockFile = path.join(tempDir(), 'registry.lock');
    const holder = track(spawn(process.execPath, [script('holder.mjs', HOLDER), lockFile], { env: { ...process.env, BERTH_LOCK: berthLock }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    holder.stdout?.on('data', (chunk) => (out += chunk));
    await waitFor(() => out.includes('\n'), 5000, 'the holder to take the lock');
    expect(out).toBe(`locked ${kind}\n`);

    const lock = lockImplementation(kind);
    const timedOut = await acquireFileLock(lockFile, { lock, timeoutMs: 100 }).then(
      (release) => {
        release();
        return null;
      },
      (error: unknown) => error,
    );
    expect(timedOut).toBeInstanceOf(LockTimeoutError);
    expect(timedOut).toMatchObject({ holderPid: holder.pid, message: expect.stringContaining(`locked by pid ${holder.pid}`) });

    const waiting = acquireFileLock(lockFile, { lock, timeoutMs: 5000 });
    holder.kill('SIGKILL');
    const killedAt = performance.now();
    await exited(holder);
    const release = await waiting;
    const tookMs = performance.now() - killedAt;
    release();
    expect(tookMs).toBeLessThan(1000);
    if (kind === 'socket-file') expect(existsSync(`${lockFile}.sock`)).toBe(false); // the dead holder's file, removed
  });
});

describe('choosing the lock', () => {
  it('falls back to a socket lock, with one warning, when the native module does not load', () => {
    const warnings: string[] = [];
    const lock = chooseLock({
      env: {},
      warn: (message) => warnings.push(message),
      loadNative: () => {
        throw new Error('Error relocating fs-native-extensions.node: __fcntl_chk: symbol not found\nmore detail');
      },
    });
    expect(lock.kind).toBe(process.platform === 'linux' ? 'abstract-socket' : 'socket-file');
    expect(warnings).toEqual([expect.stringMatching(/^registry lock: fs-native-extensions did not load: Error relocating .*symbol not found; using a Unix-socket lock instead/)]);
    expect(warnings[0]).not.toContain('\n');
  });

  it('uses the native module when it loads, silently; refuses an unknown BERTH_LOCK', () => {
    const warnings: string[] = [];
    expect(chooseLock({ env: {}, warn: (message) => warnings.push(message) }).kind).toBe('native');
    expect(warnings).toEqual([]);
    expect(() => chooseLock({ env: { BERTH_LOCK: 'flock' } })).toThrow(/BERTH_LOCK must be native, fallback or fallback-file, not "flock"/);
  });

  it('berth with BERTH_LOCK=fallback warns once per process, however many times it takes the lock', async () => {
    const cwd = projectWith(`version: 1
project: lockwarn
ranges: { dev: 29790-29799 }
environments:
  dev:
    services:
      job: { cmd: node job.js, ports: 0 }
`);
    const env = { BERTH_HOME: tempDir('berth-home-'), BERTH_LOCK: 'fallback' };
    const reserve = await runCli(['reserve', 'dev', '--json'], { cwd, env });
    expect(reserve.code, reserve.stderr).toBe(0);
    const release = await runCli(['release', 'dev'], { cwd, env }); // a read, then a locked change
    expect(release.code, release.stderr).toBe(0);
    for (const run of [reserve, release]) {
      expect(run.stderr.match(/registry lock: BERTH_LOCK=fallback; using a Unix-socket lock instead/g)).toHaveLength(1);
    }
  });
});
