import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** How CMD of `berth run` ended, as the exit code a shell would give it. */
export interface CommandEnd {
  exitCode: number;
  /** "exited with code 7", "was killed by SIGINT", "command not found". */
  how: string;
}

export interface RunningCommand {
  readonly pid: number | undefined;
  readonly ended: Promise<CommandEnd>;
  /** Whether it still runs (it was spawned and has not exited). */
  readonly running: boolean;
  /** Sends `signal` to CMD's process (not to a group: CMD shares berth's own). */
  signal(signal: NodeJS.Signals): void;
}

/** 128 + the signal's number, as a shell reports a command a signal ended. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Spawns CMD with no shell (argv as given, looked up on PATH), its stdio berth's own, so its
 * stdout stays the user's pipe and its stdin their terminal. A command that cannot be spawned
 * ends like it would in a shell: 127 when it is not found, 126 when it cannot be executed.
 */
export function startCommand(cmd: readonly string[], options: { cwd: string; env: Readonly<Record<string, string | undefined>> }): RunningCommand {
  const [file, ...args] = cmd as [string, ...string[]];
  const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: 'inherit' });
  let running = child.pid !== undefined;
  const ended = new Promise<CommandEnd>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // it runs; a failed kill is not its end
      running = false;
      if (error.code === 'ENOENT') resolve({ exitCode: 127, how: 'command not found' });
      else if (error.code === 'EACCES') resolve({ exitCode: 126, how: 'permission denied' });
      else resolve({ exitCode: 126, how: `cannot be run: ${error.message}` });
    });
    child.once('exit', (code, signal) => {
      running = false;
      if (signal) resolve({ exitCode: signalExitCode(signal), how: `was killed by ${signal}` });
      else resolve({ exitCode: code ?? 1, how: `exited with code ${code ?? 1}` });
    });
  });
  return {
    pid: child.pid,
    ended,
    get running() {
      return running;
    },
    signal(signal) {
      if (!running) return;
      try {
        child.kill(signal);
      } catch {
        // gone meanwhile
      }
    },
  };
}
