import type { ServiceSnapshot } from '../supervisor/service-state.js';
import type { InstanceEvent, InstanceSnapshot } from './protocol.js';

/**
 * One running instance, as every surface sees it: the CLI's `ps`/`down`/`logs`/`restart`, the
 * control socket, and the TUI. `LocalControl` implements it on the Supervisor in this process;
 * `ControlClient` implements it remotely, over the instance's control socket.
 */
export interface InstanceControl {
  instance(): Promise<InstanceSnapshot>;
  /** A snapshot first, then every change, until the instance ends or `signal` aborts. */
  events(onEvent: (event: InstanceEvent) => void, signal?: AbortSignal): Promise<void>;
  /** The last `tail` lines of a service (all services, prefixed, when `service` is undefined). */
  logs(service: string | undefined, tail: number): Promise<string[]>;
  /** The tail, then new output as it is written, until the instance ends or `signal` aborts. */
  followLogs(service: string | undefined, tail: number, write: (text: string) => void, signal?: AbortSignal): Promise<void>;
  /** Starts a graceful stop of the whole instance. */
  down(): Promise<void>;
  service(name: string, action: 'stop' | 'start' | 'restart'): Promise<ServiceSnapshot>;
}
