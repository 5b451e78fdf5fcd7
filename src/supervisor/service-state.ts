/**
 * The life of one service, as the supervisor, `ps` and the TUI show it:
 * - `pending`: not started yet (waiting for its dependencies to be ready)
 * - `starting`: running, its readiness check not passed yet
 * - `ready`: running and ready (its check passed, or it has none)
 * - `backoff`: ended, waiting to be restarted
 * - `stopping`: its stop signal was sent
 * - `stopped`: stopped on request (berth stopping, `berth stop`)
 * - `exited`: ended on its own with exit code 0, and not restarted
 * - `failed`: could not start, never became ready, or ended with an error, and is not restarted
 * - `skipped`: never started, because a dependency failed
 */
export type ServiceState = 'pending' | 'starting' | 'ready' | 'backoff' | 'stopping' | 'stopped' | 'exited' | 'failed' | 'skipped';

export const FINAL_STATES: ReadonlySet<ServiceState> = new Set(['stopped', 'exited', 'failed', 'skipped']);

export interface ServiceSnapshot {
  name: string;
  state: ServiceState;
  pid: number | null;
  ports: number[];
  restarts: number;
  ready: boolean;
  exitCode: number | null;
  /** The signal that ended the last run, if one did. */
  signal: string | null;
  startedAt: string | null;
  /** Why the service is in its state, when there is more to say (`failed`, `skipped`, `backoff`). */
  reason: string | null;
}
