import { spawn, type ChildProcess } from 'node:child_process';
import { npmRunPathEnv } from 'npm-run-path';
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
 * node_modules/.bin on PATH as npm scripts have it. (execa adds ~0.5 ms per spawn and ~60 ms to
 * load for option handling berth does not use: berth stops process groups itself.)
 */
let base: { root: string; env: NodeJS.ProcessEnv } | undefined;

export const spawnProcess: SpawnService = (launch, options) => {
  // berth's own environment with the project's node_modules/.bin on PATH, built once.
  if (base?.root !== options.preferLocalFrom) {
    base = { root: options.preferLocalFrom, env: npmRunPathEnv({ env: process.env, cwd: options.preferLocalFrom, execPath: process.execPath }) };
  }
  const env = { ...base.env, ...launch.env };
  const child = launch.shell
    ? spawn('/bin/sh', ['-c', launch.file], { cwd: launch.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(launch.file, launch.args, { cwd: launch.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
