import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { npmRunPathEnv } from 'npm-run-path';
import { RUN_MARKER } from '../platform/index.js';
import { resolveRunAs, rightsProblem, switchesUser, type RunAs } from './run-as.js';
import type { LaunchSpec } from './service-env.js';

/** Starts a service's process in a process group of its own; injectable for tests. */
export type SpawnService = (launch: LaunchSpec, options: { preferLocalFrom: string }) => SpawnedService;

export interface SpawnedService {
  child: ChildProcess;
  /** Resolves when spawning failed (command not found, not executable): the reason; never otherwise. */
  spawnError: Promise<string>;
}

/**
 * `child_process.spawn` with `detached` (its own session and process group, so the whole tree
 * can be signalled), no stdin, output as pipes that berth frames itself, and the project's
 * node_modules/.bin on PATH as npm scripts have it. Not execa: it signals the child, not its group,
 * and costs ~1 ms of CPU per spawn and ~70 ms to load (README, "Why not execa, get-port, pidusage").
 *
 * With `user:` / `group:` naming someone else than berth, the service runs as that user with its
 * supplementary groups, and HOME, USER and LOGNAME of that user unless its env sets them. On Linux
 * through `setpriv --reuid --regid --init-groups -- cmd`, which execs cmd in place: the pid berth
 * records (and signals as `-pid`) is the program's own. `runuser`/`su` would fork and leave
 * their own pid in front. `setpriv` is looked up once; `null` forces the fallback.
 */
export function createSpawnProcess(options: { setpriv?: string | null } = {}): SpawnService {
  let base: { root: string; env: NodeJS.ProcessEnv } | undefined;
  let setpriv = options.setpriv;
  return (launch, { preferLocalFrom }) => {
    // berth's own environment with the project's node_modules/.bin on PATH, built once.
    if (base?.root !== preferLocalFrom) {
      base = { root: preferLocalFrom, env: npmRunPathEnv({ env: process.env, cwd: preferLocalFrom, execPath: process.execPath }) };
    }
    const [file, args] = launch.shell ? ['/bin/sh', ['-c', launch.file]] : [launch.file, launch.args];
    let runAs: RunAs | null = null;
    if (launch.runAs) {
      const resolved = resolveRunAs(launch.runAs);
      if (!resolved.ok) return notSpawned(`cannot start ${launch.file}: ${resolved.message}`);
      const problem = rightsProblem(resolved.runAs);
      if (problem) return notSpawned(problem.message);
      if (switchesUser(resolved.runAs)) runAs = resolved.runAs;
    }
    const env = mergeEnv(base.env, runAs ? { HOME: runAs.home, USER: runAs.name, LOGNAME: runAs.name } : null, launch.env, launch.marker === undefined ? null : { [RUN_MARKER]: launch.marker });
    const common = { cwd: launch.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] as ('ignore' | 'pipe')[] };

    let child: ChildProcess;
    if (!runAs) {
      child = spawn(file, args, common);
    } else {
      if (setpriv === undefined) setpriv = findSetpriv();
      if (setpriv) {
        // setpriv reports a missing command only as its own exit 127: say it as berth does.
        const missing = commandProblem(file, env.PATH, launch.cwd);
        if (missing) return notSpawned(`${missing} ${launch.file}`);
        child = spawn(setpriv, ['--reuid', String(runAs.uid), '--regid', String(runAs.gid), '--init-groups', '--', file, ...args], common);
      } else {
        // No setpriv (macOS, busybox): libuv's uid/gid options. They call setgroups(0), so the
        // service gets the user and group but none of the user's supplementary groups.
        child = spawn(file, args, { ...common, uid: runAs.uid, gid: runAs.gid });
      }
    }
    const spawnError = new Promise<string>((resolve) => {
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (child.pid !== undefined) return; // an error after a successful spawn is not a spawn failure
        if (error.code === 'ENOENT') resolve(`command not found: ${launch.file}`);
        else if (error.code === 'EACCES') resolve(`not allowed to run ${launch.file}`);
        else resolve(`could not start ${launch.file}: ${error.message}`);
      });
    });
    return { child, spawnError };
  };
}

export const spawnProcess: SpawnService = createSpawnProcess();

/**
 * `{ ...a, ...b, ...c }` as Object.assign onto an object without a prototype. A service's
 * environment holds every sibling's port variable (200 services: ~240 keys), and V8's spread of
 * two objects that large costs ~1.4 ms per spawn (the property-by-property map transitions),
 * Object.assign ~0.02 ms. Without a prototype a key named `__proto__` stays a plain variable.
 */
export function mergeEnv(...parts: (Readonly<Record<string, string | undefined>> | null)[]): NodeJS.ProcessEnv {
  const env = Object.create(null) as NodeJS.ProcessEnv;
  for (const part of parts) if (part) Object.assign(env, part);
  return env;
}

/** A service that could not be spawned: a child with no pid, and the reason. */
function notSpawned(reason: string): SpawnedService {
  return { child: new ChildProcess(), spawnError: Promise.resolve(reason) };
}

/** util-linux setpriv, on Linux only (busybox's lacks --init-groups); one `--version` per berth. */
function findSetpriv(): string | null {
  if (process.platform !== 'linux') return null;
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  const found = dirs.filter(Boolean).map((dir) => path.join(dir, 'setpriv')).find(isExecutable);
  if (!found) return null;
  try {
    return execFileSync(found, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).includes('util-linux') ? found : null;
  } catch {
    return null;
  }
}

/** Why execvp would not run `file` (a path, or a name on PATH), as the words before its name; null when it would. */
function commandProblem(file: string, PATH: string | undefined, cwd: string): string | null {
  const candidates = file.includes('/') ? [path.resolve(cwd, file)] : (PATH ?? '').split(path.delimiter).map((dir) => path.resolve(cwd, dir, file));
  if (candidates.some(isExecutable)) return null;
  return candidates.some(isFile) ? 'not allowed to run' : 'command not found:';
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
