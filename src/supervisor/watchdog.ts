import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Kills the services' process groups if berth itself dies without stopping them (SIGKILL, a
 * crash). A tiny /bin/sh process, in a session of its own and deaf to INT/HUP/TERM, reads group
 * ids from a pipe whose writing end only berth holds (Node opens pipes close-on-exec, so no
 * service inherits it). When berth dies the pipe closes and the watchdog TERMs every listed
 * group, then KILLs what is left after 0.5 s. POSIX only: the same on Linux and macOS.
 */
export class Watchdog {
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static start(): Watchdog {
    const script = fileURLToPath(new URL('./watchdog.sh', import.meta.url));
    const child = spawn('/bin/sh', [script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.unref();
    child.on('error', () => {}); // without /bin/sh berth still runs; only this safety net is gone
    child.stdin?.on('error', () => {});
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return new Watchdog(child);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  watch(pgid: number): void {
    this.#child.stdin?.write(`+${pgid}\n`);
  }

  forget(pgid: number): void {
    this.#child.stdin?.write(`-${pgid}\n`);
  }

  /** Ends the watchdog after a clean stop (no group is left to kill). */
  close(): void {
    this.#child.stdin?.end();
  }
}
