import type { ChildProcess } from 'node:child_process';
import type { LaunchSpec } from './service-env.js';

/** Starts a service's process in a process group of its own; injectable for tests. */
export type SpawnService = (launch: LaunchSpec, options: { preferLocalFrom: string }) => Promise<SpawnedService>;

export interface SpawnedService {
  child: ChildProcess;
  /** Resolves when spawning failed (command not found, cwd missing): the reason; never otherwise. */
  spawnError: Promise<string>;
}

/**
 * execa with `detached` (its own session and process group, so the whole tree can be signalled),
 * no stdin, output as streams (berth frames and forwards it itself), node_modules/.bin of the
 * project on PATH as npm scripts have it, and no cleanup of its own: berth stops process groups.
 */
let execaModule: Promise<typeof import('execa')> | undefined;

/** Loads execa ahead of time; `berth up` does it before taking ports, not between hold and spawn. */
export function preloadSpawner(): Promise<unknown> {
  execaModule ??= import('execa');
  return execaModule;
}

export const spawnWithExeca: SpawnService = async (launch, options) => {
  execaModule ??= import('execa');
  const { execa } = await execaModule;
  const subprocess = execa(launch.file, launch.args, {
    cwd: launch.cwd,
    env: launch.env,
    extendEnv: true,
    detached: true,
    shell: launch.shell ? '/bin/sh' : false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: false,
    preferLocal: true,
    localDir: options.preferLocalFrom,
    encoding: 'buffer',
  });
  const spawnError = new Promise<string>((resolve) => {
    if (subprocess.pid !== undefined) return;
    void subprocess.then((result) => {
      const cause = (result as { cause?: NodeJS.ErrnoException }).cause;
      if (cause?.code === 'ENOENT') {
        resolve(`command not found: ${launch.file}`);
      } else if (cause?.code === 'EACCES') {
        resolve(`not allowed to run ${launch.file}`);
      } else {
        resolve(result.shortMessage ?? String(cause?.message ?? 'could not start'));
      }
    });
  });
  return { child: subprocess as unknown as ChildProcess, spawnError };
};
