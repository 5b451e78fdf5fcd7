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
  /** Of `restarts`, those asked for (`berth restart`, the dashboard, a watched file); the rest came from the restart policy. */
  manualRestarts?: number;
  /** Exit code (or signal) of the run before the current one, kept when a restart clears `exitCode`. */
  lastExit?: string | null;
  /** The service as configured, for the dashboard's details view. */
  info?: ServiceInfo;
}

/** A service as configured, as the dashboard's details view shows it. */
export interface ServiceInfo {
  /** The command as berth runs it (after interpolation), argv joined by spaces. */
  command: string;
  cwd: string;
  /** `user:` as configured, or null: berth's own user. */
  user: string | null;
  /** The names of its ports (`ports: [http, ws]`), else empty. */
  portNames: string[];
  /** Names of the variables berth adds to its environment (values left out: they may be secrets). */
  envKeys: string[];
  dependsOn: string[];
  /** The readiness check: `port`, `http /health`, `log "text"`, `exec`, `none`. */
  ready: string;
  restart: string;
}
