import type { Lease } from '../store/lease.js';
import type { ServiceSnapshot } from '../supervisor/service-state.js';

/**
 * What a running instance answers on its control socket (HTTP+JSON over a Unix socket):
 *   GET  /v1/instance                      → InstanceSnapshot
 *   GET  /v1/logs?service=S&tail=N         → { lines: string[] } (all services, prefixed, without S)
 *   GET  /v1/logs?...&follow=1             → text/plain stream: the tail, then new lines as written
 *   GET  /v1/logs?...&format=json          → { entries: LogEntry[] } (with follow=1: ndjson of LogEntry)
 *   GET  /v1/events                        → application/x-ndjson: a snapshot first, then every change
 *   POST /v1/down                          → 202; the instance stops gracefully
 *   POST /v1/services/S/{stop,start,restart} → ServiceSnapshot once done
 * Errors are `{ code, message }` with a 4xx/5xx status.
 */
export const API = 'v1';

export interface InstanceSnapshot {
  lease: Lease;
  /** The supervisor's pid. */
  pid: number;
  stopping: boolean;
  services: ServiceSnapshot[];
}

export type InstanceEvent =
  | { type: 'snapshot'; instance: InstanceSnapshot }
  | { type: 'state'; service: ServiceSnapshot }
  | { type: 'note'; service: string | null; message: string }
  | { type: 'ended'; exitCode: number };

/** One line of a service's output, as `logs --json` gives it. */
export interface LogEntry {
  service: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface ErrorBody {
  code: string;
  message: string;
}
