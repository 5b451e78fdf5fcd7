import { PassThrough } from 'node:stream';
import xterm from '@xterm/headless';
import type { InstanceControl } from '../../src/control/instance-control.js';
import type { InstanceEvent, InstanceSnapshot } from '../../src/control/protocol.js';
import type { Lease } from '../../src/store/lease.js';
import type { Clock } from '../../src/supervisor/clock.js';
import type { ServiceSnapshot } from '../../src/supervisor/service-state.js';

const { Terminal } = xterm;

export function lease(project: string, instance: number, ports: [number, number], range = 'dev'): Lease {
  return { id: `${project}${instance}`, project, root: '/w', env: 'dev', instance, ports, blocks: [{ range, ports, group: 'shared' }], services: {}, owner: { pid: 1, startTime: 0, host: 'h' }, createdAt: new Date(Date.now() - 65_000).toISOString() };
}

export function service(name: string, pid: number | null, ports: number[], state: ServiceSnapshot['state'] = 'ready', more: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  return {
    name,
    state,
    pid,
    ports,
    restarts: 0,
    manualRestarts: 0,
    ready: state === 'ready',
    exitCode: null,
    signal: null,
    startedAt: new Date(Date.now() - 5000).toISOString(),
    reason: null,
    lastExit: null,
    info: { command: `node ${name}.js`, cwd: `/w/${name}`, user: null, portNames: [], envKeys: ['PORT', 'BERTH_ENV'], dependsOn: [], ready: 'port', restart: 'never' },
    ...more,
  };
}

/** An instance in memory: what the dashboard reads, and a record of what it asked for. */
export class FakeInstance implements InstanceControl {
  readonly actions: string[] = [];
  emit: (event: InstanceEvent) => void = () => {};
  /** Writes more text to the log being followed. */
  write: (text: string) => void = () => {};
  constructor(readonly snapshot: InstanceSnapshot, readonly lines: Record<string, string[]>) {}
  async instance() {
    return this.snapshot;
  }
  async events(onEvent: (event: InstanceEvent) => void, signal?: AbortSignal) {
    onEvent({ type: 'snapshot', instance: structuredClone(this.snapshot) });
    this.emit = onEvent;
    await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()));
  }
  async logs(name: string | undefined) {
    return this.lines[name ?? ''] ?? [];
  }
  async followLogs(name: string | undefined, _tail: number, write: (text: string) => void, signal?: AbortSignal) {
    const lines = name ? (this.lines[name] ?? []) : Object.entries(this.lines).flatMap(([service, list]) => list.map((line) => `${service} | ${line}`));
    write(lines.map((line) => `${line}\n`).join(''));
    this.write = write;
    await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()));
  }
  async down() {
    this.actions.push('down');
  }
  async service(name: string, action: 'stop' | 'start' | 'restart') {
    this.actions.push(`${action} ${name}`);
    return { ...(this.snapshot.services.find((each) => each.name === name) as ServiceSnapshot), pid: 999 };
  }
}

/** A blessed screen on fake streams, its output fed into a headless terminal to read back as text. */
export function fakeTerminal(cols: number, rows: number) {
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: cols, rows });
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input, isRaw: true });
  const term = new Terminal({ cols, rows, allowProposedApi: true });
  let raw = '';
  output.on('data', (chunk: Buffer) => {
    raw += chunk.toString();
    term.write(chunk);
  });
  const lines = () => {
    const all: string[] = [];
    for (let y = 0; y < term.rows; y++) all.push(term.buffer.active.getLine(y)?.translateToString(true) ?? '');
    return all;
  };
  const resize = (c: number, r: number) => {
    term.resize(c, r);
    Object.assign(output, { columns: c, rows: r });
    output.emit('resize');
  };
  return { input, output, term, lines, text: () => lines().join('\n'), raw: () => raw, press: (keys: string) => input.write(keys), resize };
}

/** A clock whose timers fire when the test says. */
export class FakeClock implements Clock {
  time = Date.now();
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #next = 1;
  now() {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number) {
    const id = this.#next++;
    this.#timers.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown) {
    this.#timers = this.#timers.filter((timer) => timer.id !== handle);
  }
  advance(ms: number) {
    this.time += ms;
    const due = this.#timers.filter((timer) => timer.at <= this.time);
    this.#timers = this.#timers.filter((timer) => timer.at > this.time);
    for (const timer of due) timer.fn();
  }
}
