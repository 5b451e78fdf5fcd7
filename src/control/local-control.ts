import { BerthError } from '../errors.js';
import type { ServiceSnapshot } from '../supervisor/service-state.js';
import type { Supervisor, SupervisorEvent } from '../supervisor/supervisor.js';
import type { InstanceControl } from './instance-control.js';
import { splitLines } from '../supervisor/line-framer.js';
import type { InstanceEvent, InstanceSnapshot, LogEntry } from './protocol.js';

/** InstanceControl on the Supervisor of this process. */
export class LocalControl implements InstanceControl {
  readonly #supervisor: Supervisor;

  constructor(supervisor: Supervisor) {
    this.#supervisor = supervisor;
  }

  snapshot(): InstanceSnapshot {
    const supervisor = this.#supervisor;
    return { lease: supervisor.lease, pid: process.pid, stopping: supervisor.stopping, services: supervisor.services() };
  }

  async instance(): Promise<InstanceSnapshot> {
    return this.snapshot();
  }

  events(onEvent: (event: InstanceEvent) => void, signal?: AbortSignal): Promise<void> {
    // Subscribe, then take the snapshot, in one tick: no change falls between the two.
    const done = this.#until(signal, (event) => {
      if (event.type !== 'output') onEvent(event);
    });
    onEvent({ type: 'snapshot', instance: this.snapshot() });
    return done;
  }

  async logs(service: string | undefined, tail: number): Promise<string[]> {
    const { runners, prefix } = this.#logSources(service);
    return runners.flatMap((runner) => runner.log.tail(tail).map((line) => `${prefix(runner.name)}${line}`));
  }

  followLogs(service: string | undefined, tail: number, write: (text: string) => void, signal?: AbortSignal): Promise<void> {
    const { runners, prefix } = this.#logSources(service);
    const names = runners.map((runner) => runner.name);
    const done = this.#until(signal, (event) => {
      if (event.type === 'output' && names.includes(event.service)) {
        const text = event.lines.toString('utf8');
        write(service ? text : text.replace(/^(?=.)/gm, prefix(event.service)));
      }
    });
    const lines = runners.flatMap((runner) => runner.log.tail(tail).map((line) => `${prefix(runner.name)}${line}\n`));
    if (lines.length) write(lines.join(''));
    return done;
  }

  /** `logs` as entries: the service and stream of each line, no prefix. */
  async logEntries(service: string | undefined, tail: number): Promise<LogEntry[]> {
    const { runners } = this.#logSources(service);
    return runners.flatMap((runner) => runner.log.entries(tail).map(({ stream, line }) => ({ service: runner.name, stream, line })));
  }

  /** `followLogs` as entries: the tail, then each new line, until the instance ends or `signal` aborts. */
  followLogEntries(service: string | undefined, tail: number, write: (entry: LogEntry) => void, signal?: AbortSignal): Promise<void> {
    const { runners } = this.#logSources(service);
    const names = runners.map((runner) => runner.name);
    const done = this.#until(signal, (event) => {
      if (event.type === 'output' && names.includes(event.service)) {
        for (const line of splitLines(event.lines)) write({ service: event.service, stream: event.stream, line });
      }
    });
    for (const runner of runners) for (const { stream, line } of runner.log.entries(tail)) write({ service: runner.name, stream, line });
    return done;
  }

  /** Passes every supervisor event to `listener` until the instance ends or `signal` aborts. */
  #until(signal: AbortSignal | undefined, listener: (event: SupervisorEvent) => void): Promise<void> {
    return new Promise((resolve) => {
      const off = this.#supervisor.on((event) => {
        listener(event);
        if (event.type === 'ended') finish();
      });
      const finish = () => {
        off();
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      signal?.addEventListener('abort', finish, { once: true });
    });
  }

  async down(): Promise<void> {
    void this.#supervisor.stop();
  }

  async service(name: string, action: 'stop' | 'start' | 'restart'): Promise<ServiceSnapshot> {
    if (action === 'stop') return this.#supervisor.stopService(name);
    if (action === 'start') return this.#supervisor.startService(name);
    return this.#supervisor.restartService(name);
  }

  #logSources(service: string | undefined) {
    const names = service ? [service] : this.#supervisor.services().map((snapshot) => snapshot.name);
    const runners = names.map((name) => {
      const runner = this.#supervisor.runner(name);
      if (!runner) throw new BerthError('UNKNOWN_SERVICE', `no service "${name}" in ${this.#supervisor.lease.project}/${this.#supervisor.lease.env}#${this.#supervisor.lease.instance}`);
      return runner;
    });
    const width = Math.max(...names.map((name) => name.length));
    const prefix = (name: string) => (service ? '' : `${name.padEnd(width)} │ `);
    return { runners, prefix };
  }
}
