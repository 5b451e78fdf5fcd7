import { PassThrough } from 'node:stream';
import xterm from '@xterm/headless';
import { afterEach, describe, expect, it } from 'vitest';
import type { InstanceControl } from '../../src/control/instance-control.js';
import type { InstanceEvent, InstanceSnapshot } from '../../src/control/protocol.js';
import type { Lease } from '../../src/store/lease.js';
import type { ServiceSnapshot } from '../../src/supervisor/service-state.js';
import { Dashboard } from '../../src/tui/dashboard.js';
import { TopModel } from '../../src/tui/top-model.js';
import { waitFor } from '../helpers/processes.js';

const { Terminal } = xterm;

function lease(project: string, instance: number, ports: [number, number]): Lease {
  return { id: `${project}${instance}`, project, root: '/w', env: 'dev', instance, ports, blocks: [], services: {}, owner: { pid: 1, startTime: 0, host: 'h' }, createdAt: new Date().toISOString() };
}

function service(name: string, pid: number, ports: number[], state: ServiceSnapshot['state'] = 'ready'): ServiceSnapshot {
  return { name, state, pid, ports, restarts: 0, ready: state === 'ready', exitCode: null, signal: null, startedAt: new Date().toISOString(), reason: null };
}

/** An instance in memory: what the dashboard reads, and a record of what it asked for. */
class FakeInstance implements InstanceControl {
  readonly actions: string[] = [];
  emit: (event: InstanceEvent) => void = () => {};
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
function fakeTerminal(cols: number, rows: number) {
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: cols, rows });
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input, isRaw: true });
  const term = new Terminal({ cols, rows, allowProposedApi: true });
  output.on('data', (chunk: Buffer) => term.write(chunk));
  const text = () => {
    const lines: string[] = [];
    for (let y = 0; y < rows; y++) lines.push(term.buffer.active.getLine(y)?.translateToString(true) ?? '');
    return lines.join('\n');
  };
  return { input, output, text, press: (keys: string) => input.write(keys) };
}

let open: Dashboard | undefined;
afterEach(() => {
  open?.destroy();
  open = undefined;
});

describe('dashboard on a fake screen', () => {
  it('shows the instances, the selected instance\'s services with ports and states, and its log; keys act on the selected service', async () => {
    const shop = new FakeInstance(
      { lease: lease('shop', 1, [4100, 4102]), pid: 10, stopping: false, services: [service('api', 11, [4100]), service('worker', 12, [], 'backoff'), service('web', 13, [4300])] },
      { api: ['api listening on 4100'], worker: ['worker tick'], web: ['web up'] },
    );
    const blog = new FakeInstance({ lease: lease('blog', 2, [5100, 5100]), pid: 20, stopping: false, services: [service('site', 21, [5100])] }, { site: ['hello'] });
    const screen = fakeTerminal(100, 30);
    let dashboard: Dashboard | undefined;
    const model = new TopModel(
      async () => [
        { lease: shop.snapshot.lease, control: shop },
        { lease: blog.snapshot.lease, control: blog },
      ],
      () => dashboard?.render(),
      (_instance, name, message) => dashboard?.message(`${name}: ${message}`),
    );
    let quits = 0;
    dashboard = new Dashboard({ model, mode: 'top', color: false, input: screen.input, output: screen.output, onQuit: (times) => (quits = times) });
    open = dashboard;
    await model.refresh();

    // Instances are sorted by project: blog first.
    await waitFor(() => screen.text().includes('blog/dev#2') && screen.text().includes('site'), 3000, 'the first instance and its service');
    expect(screen.text()).toContain('shop/dev#1  4100-4102');
    screen.press('j'); // next instance
    await waitFor(() => /api +ready +11 +4100/.test(screen.text()), 3000, 'shop\'s services');
    expect(screen.text()).toMatch(/worker +backoff +12/);
    expect(screen.text()).toMatch(/web +ready +13 +4300/);
    await waitFor(() => screen.text().includes('api listening on 4100'), 3000, 'api\'s log');

    screen.press('\t'); // to the services pane
    screen.press('j'); // worker
    screen.press('r');
    await waitFor(() => shop.actions.includes('restart worker'), 3000, 'a restart of worker');
    await waitFor(() => screen.text().includes('worker: backoff (pid 999)'), 3000, 'the result in the status bar');
    screen.press('a');
    await waitFor(() => screen.text().includes('logs: all services'), 3000, 'the all-services log');
    shop.emit({ type: 'note', service: 'api', message: 'src/a.ts changed: restarting' });
    await waitFor(() => screen.text().includes('api: src/a.ts changed: restarting'), 3000, 'a restart reason in the status line');
    screen.press('q');
    await waitFor(() => quits === 1, 1000, 'q');
    model.close();
  });

  it('fits 80x24', async () => {
    const shop = new FakeInstance({ lease: lease('shop', 1, [4100, 4102]), pid: 10, stopping: false, services: [service('api', 11, [4100])] }, { api: [] });
    const screen = fakeTerminal(80, 24);
    let dashboard: Dashboard | undefined;
    const model = new TopModel(async () => [{ lease: shop.snapshot.lease, control: shop }], () => dashboard?.render());
    dashboard = new Dashboard({ model, mode: 'top', color: false, input: screen.input, output: screen.output, onQuit: () => {} });
    open = dashboard;
    await model.refresh();
    await waitFor(() => /api +ready +11 +4100/.test(screen.text()), 3000, 'the service row at 80x24');
    expect(screen.text().split('\n')[23]).toContain('q quit');
    model.close();
  });
});
