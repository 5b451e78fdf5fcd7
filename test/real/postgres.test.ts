import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { UpProcess } from '../helpers/berth-up.js';
import { alive } from '../helpers/berth-up.js';
import { track, waitFor } from '../helpers/processes.js';
import { describePids, killPids, portFree, processesIn, sweep, waitForNothingLeft } from './process-sweep.js';
import { exitWithin, portsYaml, realProject, type RealProject } from './real-project.js';

// This file's ports: 28500-28519.
// postgres as a service, run as user postgres (berth runs as root in CI): ready by pg_isready,
// stopped with its fast shutdown (SIGINT) by `down` and by the watchdog when berth is SIGKILLed,
// so the next start needs no crash recovery.

const run = promisify(execFile);
const PORT = 28500;
const STOP_TIMEOUT_MS = 10_000;
const isRoot = process.getuid?.() === 0;

/** postgres's binaries: `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin (Debian keeps them off PATH). */
function pgBinDir(): string {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (existsSync(path.join(dir, 'postgres'))) return dir;
  } catch {
    // no pg_config on PATH
  }
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((version) => existsSync(path.join(base, version, 'bin', 'postgres'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('postgres is not installed (no pg_config --bindir, nothing in /usr/lib/postgresql/*/bin): run .ci/run, or apt-get install postgresql');
  return path.join(base, newest, 'bin');
}

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A fresh cluster in `<project>/pg/data`, made by initdb run as postgres; the log file beside it. */
function initCluster(project: RealProject, bin: string): { data: string; log: string } {
  const { uid, gid } = postgresIds();
  // postgres must reach the project's folder: mkdtemp made its parent 0700.
  chmodSync(path.dirname(project.dir), 0o755);
  const pg = path.join(project.dir, 'pg');
  const data = path.join(pg, 'data');
  mkdirSync(data, { recursive: true, mode: 0o700 });
  chownSync(pg, uid, gid);
  chownSync(data, uid, gid);
  execFileSync('setpriv', ['--reuid', 'postgres', '--regid', 'postgres', '--init-groups', path.join(bin, 'initdb'), '-D', data, '-U', 'postgres', '-A', 'trust', '--locale=C', '-E', 'UTF8', '--no-sync'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: pg,
  });
  return { data, log: path.join(pg, 'postgres.log') };
}

const logText = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

describe('postgres as a service', () => {
  const test = isRoot ? it : it.skip;
  test(`(needs root, to run postgres as user postgres${isRoot ? '' : ': skipped, not root'}) up, query, down; SIGKILL of berth ends it with a fast shutdown; the next start needs no recovery`, async () => {
    const bin = pgBinDir();
    const project = realProject({}, '');
    const { data, log } = initCluster(project, bin);
    const yaml = portsYaml(
      `${PORT}-${PORT + 9}`,
      `      db:
        cmd: 'exec ${bin}/postgres -D ${data} -p \${self.port} -k ${data} -c listen_addresses=127.0.0.1 2>>${log}'
        shell: true
        user: postgres
        stop_signal: SIGINT
        stop_timeout: ${STOP_TIMEOUT_MS / 1000}s
        ready: { exec: "${bin}/pg_isready -h 127.0.0.1 -p \${self.port}" }
`,
    );
    writeFileSync(path.join(project.dir, 'ports.yaml'), yaml);
    // postgres overwrites its children's environment (their process titles), so they carry no
    // mark: they are found by their working directory, the data dir.
    const postgresProcesses = () => processesIn(data);
    const psql = (...args: string[]) => run(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(PORT), '-U', 'postgres', '-X', '-At', ...args], { timeout: 10_000 });
    const seen = new Set<number>();
    const ready = async (up: UpProcess) => {
      const db = await project.waitForService('db', (each) => each.state === 'ready', 30_000, () => `to be ready (postgres log: ${logText(log).slice(-600)})`, up);
      seen.add(db.pid as number);
      postgresProcesses().forEach((pid) => seen.add(pid));
      return db;
    };
    let sleeper: ReturnType<typeof spawn> | undefined;
    try {
      // up, a query, down: exit 0, nothing of postgres left.
      const first = project.up();
      const db = await ready(first);
      expect(db.ports).toEqual([PORT]);
      expect(Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0])).toBe(db.pid);
      expect((await psql('-c', 'select 1')).stdout.trim()).toBe('1');
      const down = await project.berth(['down'], STOP_TIMEOUT_MS + 5000);
      expect(down.code, `${down.stdout}${down.stderr}`).toBe(0);
      expect((await exitWithin(first, 5000)).code).toBe(0);
      expect(describePids(postgresProcesses()), 'postgres processes after down').toBe('');
      expect(logText(log)).toContain('received fast shutdown request');
      expect(await portFree(PORT)).toBe(true);

      // up again, a client in a long query, then berth is SIGKILLed: the watchdog gives postgres its fast shutdown.
      const second = project.up();
      await ready(second);
      sleeper = track(spawn(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(PORT), '-U', 'postgres', '-X', '-c', 'select pg_sleep(600)'], { stdio: 'ignore' }));
      seen.add(sleeper.pid as number);
      await waitFor(async () => (await psql('-c', "select count(*) from pg_stat_activity where query = 'select pg_sleep(600)'")).stdout.trim() === '1', 10_000, 'the client to be in its query');
      const pids = postgresProcesses();
      pids.forEach((pid) => seen.add(pid));
      expect(pids.length, `postmaster, its helpers and the client's backend: ${describePids(pids)}`).toBeGreaterThan(3);
      const offset = logText(log).length;
      second.child.kill('SIGKILL');
      await second.exit;
      const killedAt = Date.now();
      await waitFor(() => pids.every((pid) => !alive(pid)), STOP_TIMEOUT_MS + 1000, () => `every postgres process to be gone (alive: ${pids.filter(alive).join(' ')})`);
      expect(Date.now() - killedAt).toBeLessThanOrEqual(STOP_TIMEOUT_MS + 1000);
      const shutdown = logText(log).slice(offset);
      expect(shutdown, 'postgres log after berth was SIGKILLed').toContain('received fast shutdown request');
      expect(shutdown).toContain('database system is shut down');

      // The next start finds a cleanly shut down cluster.
      const restartOffset = logText(log).length;
      const third = project.up();
      await ready(third);
      expect((await psql('-c', 'select 1')).stdout.trim()).toBe('1');
      const startup = logText(log).slice(restartOffset);
      expect(startup, 'postgres log of the next start').not.toMatch(/not properly shut down|automatic recovery/);
      expect((await project.berth(['down'], STOP_TIMEOUT_MS + 5000)).code).toBe(0);
      expect((await exitWithin(third, 5000)).code).toBe(0);
      expect(describePids(postgresProcesses()), 'postgres processes after the last down').toBe('');
      await waitForNothingLeft(project, 2000, 'every process started by these berths');
    } finally {
      if (sleeper?.pid) killPids([sleeper.pid]);
      sweep(project, seen);
    }
  }, 90_000);
});
