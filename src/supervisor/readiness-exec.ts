import { spawn } from 'node:child_process';
import type { Clock } from './clock.js';

/**
 * One attempt of `ready: { exec }`: the command through `/bin/sh -c` (the string form of a
 * compose healthcheck) in the service's cwd and environment, in a process group of its own.
 * On timeout or abort the whole group gets SIGKILL, and so do leftovers of a command that
 * exited but left children behind: an attempt never outlives its bound or the caller's wait.
 */

/** What is kept of an attempt's output (stdout and stderr together): its last lines and bytes. */
export const OUTPUT_LINES = 20;
export const OUTPUT_BYTES = 4096;
/** After the command exited, how long its pipes may stay open (held by a process that left its group). */
const PIPE_GRACE_MS = 200;

export interface ExecOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  clock: Clock;
  signal: AbortSignal;
}

export interface ExecResult {
  /** How it ended: `exited 2`, `was killed by SIGSEGV`, `did not finish within 5000 ms`, … */
  ending: string;
  /** Exit code when it exited by itself. */
  code: number | null;
  /** True when it was cut short by the caller's signal (not by its own timeout). */
  aborted: boolean;
  /** Its last lines of output, trimmed. */
  output: string;
  pid: number | undefined;
}

/** Keeps only the tail of what a process wrote. */
class OutputTail {
  #chunks: Buffer[] = [];
  #bytes = 0;

  add(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#bytes - (this.#chunks[0]?.length ?? 0) >= OUTPUT_BYTES * 2) this.#bytes -= this.#chunks.shift()?.length ?? 0;
  }

  text(): string {
    const all = Buffer.concat(this.#chunks);
    const text = all.subarray(Math.max(0, all.length - OUTPUT_BYTES)).toString('utf8');
    const lines = text.replace(/\r\n/g, '\n').trimEnd().split('\n');
    return lines
      .slice(-OUTPUT_LINES)
      .map((line) => line.trimEnd())
      .join('\n')
      .trim();
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already empty
  }
}

export function runExecAttempt(command: string, options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve) => {
    const { clock, signal } = options;
    if (signal.aborted) return resolve({ ending: 'was not started (the wait had ended)', code: null, aborted: true, output: '', pid: undefined });

    const output = new OutputTail();
    const child = spawn('/bin/sh', ['-c', command], { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let cut: 'timeout' | 'abort' | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let graceTimer: unknown = null;
    let settled = false;

    const cutShort = (why: 'timeout' | 'abort') => {
      if (exit) {
        // it has exited; only a process outside its group still holds the pipes
        if (why === 'abort') settle(...describe());
        return;
      }
      cut ??= why;
      killGroup(child.pid);
    };
    const onAbort = () => cutShort('abort');
    const timer = clock.setTimeout(() => cutShort('timeout'), options.timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });

    const settle = (ending: string, code: number | null) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      if (graceTimer !== null) clock.clearTimeout(graceTimer);
      signal.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({ ending, code, aborted: cut === 'abort', output: output.text(), pid: child.pid });
    };
    const describe = (): [string, number | null] => {
      if (cut === 'timeout') return [`did not finish within ${options.timeoutMs} ms`, null];
      if (cut === 'abort') return ['was still running when the wait ended', null];
      if (exit?.code !== null && exit?.code !== undefined) return [`exited ${exit.code}`, exit.code];
      return [`was killed by ${exit?.signal ?? 'a signal'}`, null];
    };

    child.stdout?.on('data', (chunk: Buffer) => output.add(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.add(chunk));
    child.on('error', (error) => {
      // spawn failed (no /bin/sh, or a cwd that does not exist): there is no process to wait for
      if (child.pid === undefined) settle(`could not be started in ${options.cwd}: ${error.message}`, null);
    });
    child.once('exit', (code, exitSignal) => {
      exit = { code, signal: exitSignal };
      killGroup(child.pid); // whatever it left running in its group
      graceTimer = clock.setTimeout(() => settle(...describe()), PIPE_GRACE_MS);
    });
    child.once('close', () => settle(...describe()));
  });
}
