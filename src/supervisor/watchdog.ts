import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { watchdogScanMode } from '../platform/index.js';

/** What the watchdog needs to stop one run as berth would. */
export interface WatchedRun {
  pgid: number;
  /** The run's BERTH_RUN marker, inherited by every process it starts. */
  marker: string;
  signal: NodeJS.Signals;
  timeoutMs: number;
}

/**
 * Stops the services if berth itself dies without stopping them (SIGKILL, a crash). A tiny
 * /bin/sh process, in a session of its own and deaf to INT/HUP/TERM, reads the runs from a pipe
 * whose writing end only berth holds (Node opens pipes close-on-exec, so no service inherits
 * it). When berth dies the pipe closes and the watchdog stops every listed run with its own
 * stop signal — its group and every process carrying its marker — then SIGKILLs what is left
 * after its stop timeout (at most 10 s). POSIX only: the same on Linux and macOS.
 */
export class Watchdog {
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static start(): Watchdog {
    const script = fileURLToPath(new URL('../platform/watchdog.sh', import.meta.url));
    const child = spawn('/bin/sh', [script, watchdogScanMode()], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.unref();
    child.on('error', () => {}); // without /bin/sh berth still runs; only this safety net is gone
    child.stdin?.on('error', () => {});
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return new Watchdog(child);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  watch(run: WatchedRun): void {
    this.#child.stdin?.write(`+${run.pgid} ${run.marker} ${run.signal} ${Math.max(0, Math.round(run.timeoutMs))}\n`);
  }

  forget(pgid: number): void {
    this.#child.stdin?.write(`-${pgid}\n`);
  }

  /** Ends the watchdog after a clean stop (no run is left to stop). */
  close(): void {
    this.#child.stdin?.end();
  }
}
