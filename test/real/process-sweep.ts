import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { alive } from '../helpers/berth-up.js';
import { waitFor } from '../helpers/processes.js';

/**
 * What the real-program tests need to find, check and end processes that left their group:
 * every berth started by a test carries a marker variable unique to that test, which every
 * process it starts inherits (also one that called setsid, or a forked postgres backend), so
 * the test's finally can SIGKILL exactly its own processes, wherever they went.
 */

export const MARK_VARIABLE = 'BERTH_REAL_TEST_MARK';

export function newMark(): string {
  return `berth-real-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Live (non-zombie) processes whose environment carries `MARK_VARIABLE=mark`, this one excluded. */
export function markedProcesses(mark: string): number[] {
  const needle = Buffer.from(`\0${MARK_VARIABLE}=${mark}\0`);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: Buffer;
    try {
      environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${entry}/environ`), Buffer.from([0])]);
    } catch {
      continue; // gone, or not ours to read
    }
    if (environ.includes(needle) && alive(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}

/** Processes a test's berth left: carrying its mark, or running in its project folder. */
export function leftBehind(project: { mark: string; dir: string }): number[] {
  return [...new Set([...markedProcesses(project.mark), ...processesIn(project.dir)])];
}

/**
 * Resolves once nothing is left behind (berth's watchdog may take a moment to end after a clean
 * stop); fails naming what is still there after `timeoutMs`.
 */
export async function waitForNothingLeft(project: { mark: string; dir: string }, timeoutMs: number, what: string): Promise<void> {
  let left: number[] = [];
  await waitFor(() => (left = leftBehind(project)).length === 0, timeoutMs, () => `${what} to be gone (alive: ${describePids(left)})`);
}

/**
 * Live processes whose working directory is `dir` or below it. postgres and its children run in
 * their data dir, redis-server in its cwd; both overwrite their environment (process titles), so
 * they carry no mark.
 */
export function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if ((cwd === dir || cwd.startsWith(`${dir}/`)) && alive(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** "pid: command line" of each pid, for a failure message. */
export function describePids(pids: number[]): string {
  return pids
    .map((pid) => {
      try {
        return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`;
      } catch {
        return `${pid}: (gone)`;
      }
    })
    .join('; ');
}

/** SIGKILL to each pid and to the group it may lead; gone or foreign pids are skipped. */
export function killPids(pids: Iterable<number>): void {
  for (const pid of new Set(pids)) {
    if (!Number.isInteger(pid) || pid <= 1) continue;
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // not a group leader, or already gone
      }
    }
  }
}

/** Ends every process a test saw, that carries its mark, or that runs in its project folder (in a finally). */
export function sweep(project: { mark: string; dir: string }, seen: Iterable<number>): void {
  killPids([...seen, ...leftBehind(project)]);
}

/** GET http://host:port/path: status and body, or undefined when nothing answers. */
export function httpGet(port: number, path = '/', host = '127.0.0.1', timeoutMs = 2000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const request = http.get({ host, port, path, timeout: timeoutMs, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', () => resolve(undefined));
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(undefined));
  });
}

/** The pids a fixture server answers GET / with: `{ pid, HELPER_PID?, DAEMON_PID? }`. */
export async function serverPids(port: number, host = '127.0.0.1'): Promise<Record<string, number> | undefined> {
  const answer = await httpGet(port, '/', host);
  if (answer?.status !== 200) return undefined;
  try {
    return JSON.parse(answer.body) as Record<string, number>;
  } catch {
    return undefined;
  }
}

function bindOnce(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRNOTAVAIL' || error.code === 'EAFNOSUPPORT'));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Whether the port binds on 127.0.0.1, ::1 and the dual-stack wildcard: nobody holds it. */
export async function portFree(port: number): Promise<boolean> {
  for (const host of ['127.0.0.1', '::1', '::']) if (!(await bindOnce(port, host))) return false;
  return true;
}
