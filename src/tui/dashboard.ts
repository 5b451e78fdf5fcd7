import blessed from 'blessed';
import type { ServiceSnapshot } from '../supervisor/service-state.js';
import { columns, instanceRow, SERVICE_COLUMNS, serviceCells, stateColor } from './format.js';
import { GroupMetrics, type GroupUsage } from '../platform/metrics.js';
import type { TopModel, WatchedInstance } from './top-model.js';

export interface DashboardOptions {
  model: TopModel;
  /** `top` only closes its view on q; `up` stops the stack (a second q kills). */
  mode: 'top' | 'up';
  color: boolean;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Called on q; resolves when the dashboard may close. */
  onQuit: (times: number) => void;
  title?: string;
}

// q and ? first: on a narrow terminal the end of the line is cut off.
const KEYS = 'q quit  ? help  ↑↓/jk move  tab pane  enter/l logs  a all logs  r restart  s stop/start  f follow  / search';
const RENDER_EVERY_MS = 100;
const LOG_LINES = 2000;

/**
 * The dashboard: instances (top left), the selected instance's services with CPU and memory of
 * each service's whole process tree (top right), the selected service's log (bottom), keys
 * (last line). It reads and acts only through InstanceControl, so it works the same on the
 * instance of this process and on any other on the machine.
 */
export class Dashboard {
  readonly screen: blessed.Widgets.Screen;
  readonly #options: DashboardOptions;
  readonly #instances: blessed.Widgets.ListElement;
  readonly #servicesHeader: blessed.Widgets.BoxElement;
  readonly #services: blessed.Widgets.ListElement;
  readonly #log: blessed.Widgets.Log;
  readonly #status: blessed.Widgets.BoxElement;
  readonly #metrics = new GroupMetrics();
  #usage = new Map<number, GroupUsage>();
  #instanceIndex = 0;
  #serviceIndex = 0;
  #allLogs = false;
  #follow = true;
  #search = '';
  #logLines: string[] = [];
  /** New log lines arrived since the last draw. */
  #logDirty = false;
  #logStream: AbortController | null = null;
  #logKey = '';
  #renderTimer: NodeJS.Timeout | null = null;
  #metricsTimer: NodeJS.Timeout;
  #quits = 0;
  #message = '';

  constructor(options: DashboardOptions) {
    this.#options = options;
    const color = options.color;
    this.screen = blessed.screen({
      smartCSR: true,
      terminal: 'xterm', // this system's xterm-256color terminfo does not parse in blessed
      fullUnicode: true,
      warnings: false,
      title: options.title ?? 'berth',
      ...(options.input ? { input: options.input } : {}),
      ...(options.output ? { output: options.output } : {}),
    } as blessed.Widgets.IScreenOptions);
    const border = { type: 'line' as const };
    const style = (focusColor: string) => ({
      border: { fg: color ? 'gray' : undefined },
      focus: { border: { fg: color ? focusColor : undefined } },
      selected: color ? { bg: 'blue', fg: 'white' } : { inverse: true },
    });
    this.#instances = blessed.list({
      parent: this.screen,
      label: ' instances ',
      top: 0,
      left: 0,
      width: '35%',
      height: '45%',
      border,
      tags: true,
      keys: true,
      vi: true,
      mouse: true,
      style: style('cyan'),
    });
    const servicesBox = blessed.box({ parent: this.screen, label: ' services ', top: 0, left: '35%', width: '65%', height: '45%', border, style: style('cyan') });
    this.#servicesHeader = blessed.box({ parent: servicesBox, top: 0, left: 0, height: 1, width: '100%-2', tags: true });
    this.#services = blessed.list({
      parent: servicesBox,
      top: 1,
      left: 0,
      width: '100%-2',
      height: '100%-3',
      tags: true,
      keys: true,
      vi: true,
      mouse: true,
      style: style('cyan'),
    });
    this.#log = blessed.log({
      parent: this.screen,
      label: ' logs ',
      top: '45%',
      left: 0,
      width: '100%',
      height: '55%-1',
      border,
      tags: false,
      keys: true,
      vi: true,
      mouse: true,
      scrollable: true,
      scrollback: LOG_LINES,
      scrollbar: { ch: ' ', style: { inverse: true } } as never,
      style: style('cyan'),
    });
    this.#status = blessed.box({ parent: this.screen, bottom: 0, left: 0, height: 1, width: '100%', tags: true });

    this.#instances.on('select item', (_item, index) => this.#selectInstance(index));
    this.#services.on('select item', (_item, index) => this.#selectService(index));
    this.#instances.on('select', () => this.#services.focus());
    this.#services.on('select', () => this.#log.focus());
    this.#bindKeys();
    this.#instances.focus();
    this.#metricsTimer = setInterval(() => this.#sampleMetrics(), 1000);
    this.#metricsTimer.unref();
    this.screen.on('resize', () => this.render());
  }

  /** Redraws the lists from the model (throttled, so a log flood costs at most 10 draws a second). */
  render(): void {
    if (this.#renderTimer) return;
    this.#renderTimer = setTimeout(() => {
      this.#renderTimer = null;
      this.#draw();
    }, RENDER_EVERY_MS);
  }

  destroy(): void {
    clearInterval(this.#metricsTimer);
    if (this.#renderTimer) clearTimeout(this.#renderTimer);
    this.#logStream?.abort();
    this.screen.destroy();
  }

  /** Shows a line in the status bar until the next key. */
  message(text: string): void {
    this.#message = text;
    this.render();
  }

  #selected(): { instance: WatchedInstance | undefined; service: ServiceSnapshot | undefined } {
    const instance = this.#options.model.instances[this.#instanceIndex];
    const service = instance?.snapshot?.services[this.#serviceIndex];
    return { instance, service };
  }

  #draw(): void {
    const now = Date.now();
    const { instances } = this.#options.model;
    if (this.#instanceIndex >= instances.length) this.#instanceIndex = Math.max(0, instances.length - 1);
    this.#instances.setItems(instances.length ? instances.map((instance) => this.#paint(instanceRow(instance.lease, instance.snapshot, now), instance.snapshot ? undefined : 'gray')) : ['(no instances running)']);
    this.#instances.select(this.#instanceIndex);

    const { instance } = this.#selected();
    const services = instance?.snapshot?.services ?? [];
    if (this.#serviceIndex >= services.length) this.#serviceIndex = Math.max(0, services.length - 1);
    const rows = columns([[...SERVICE_COLUMNS], ...services.map((service) => serviceCells(service, service.pid ? this.#usage.get(service.pid) : undefined, now))]);
    this.#servicesHeader.setContent(this.#paint(rows[0] ?? '', undefined, true));
    this.#services.setItems(
      rows.slice(1).map((row, index) => {
        const service = services[index] as ServiceSnapshot;
        // Colour only the state column: find it after the padded name.
        const at = row.indexOf(service.state, service.name.length);
        return at === -1 ? row : `${row.slice(0, at)}${this.#paint(service.state, stateColor(service.state))}${row.slice(at + service.state.length)}`;
      }),
    );
    this.#services.select(this.#serviceIndex);
    this.#followSelectedLog();
    this.#drawLog();

    const label = this.#allLogs ? 'all services' : (this.#selected().service?.name ?? '-');
    this.#log.setLabel(` logs: ${label}${this.#search ? ` — lines with "${this.#search}"` : ''}${this.#follow ? '' : ' — paused'} `);
    const quit = this.#options.mode === 'up' ? 'q stop stack' : 'q quit';
    this.#status.setContent(this.#message ? this.#paint(this.#message, 'yellow') : this.#paint(KEYS.replace('q quit', quit), 'gray'));
    this.screen.render();
  }

  #paint(text: string, color: string | undefined, bold = false): string {
    const escaped = blessed.escape(text);
    if (!this.#options.color || (!color && !bold)) return escaped;
    const open = `${bold ? '{bold}' : ''}${color ? `{${color}-fg}` : ''}`;
    const close = `${color ? `{/${color}-fg}` : ''}${bold ? '{/bold}' : ''}`;
    return `${open}${escaped}${close}`;
  }

  #selectInstance(index: number): void {
    if (index === this.#instanceIndex) return;
    this.#instanceIndex = index;
    this.#serviceIndex = 0;
    this.render();
  }

  #selectService(index: number): void {
    if (index === this.#serviceIndex) return;
    this.#serviceIndex = index;
    this.render();
  }

  /** (Re)starts following the log of what is selected when the selection changed. */
  #followSelectedLog(): void {
    const { instance, service } = this.#selected();
    const name = this.#allLogs ? undefined : service?.name;
    const key = `${instance?.lease.id ?? ''}/${name ?? '*'}/${this.#allLogs}`;
    if (key === this.#logKey) return;
    this.#logKey = key;
    this.#logStream?.abort();
    this.#logLines = [];
    this.#log.setContent('');
    if (!instance?.control || (!this.#allLogs && !service)) return;
    const abort = new AbortController();
    this.#logStream = abort;
    let partial = '';
    void instance.control
      .followLogs(name, 200, (text) => {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        this.#appendLog(lines);
      }, abort.signal)
      .catch(() => {});
  }

  /** Keeps the lines; the pane is redrawn with them at the next (throttled) draw. */
  #appendLog(lines: string[]): void {
    this.#logLines.push(...lines);
    if (this.#logLines.length > LOG_LINES) this.#logLines.splice(0, this.#logLines.length - LOG_LINES);
    if (!this.#follow) return;
    this.#showLog();
  }

  #showLog(): void {
    this.#logDirty = true;
    this.render();
  }

  #drawLog(): void {
    if (!this.#logDirty) return;
    this.#logDirty = false;
    const shown = this.#search ? this.#logLines.filter((line) => line.includes(this.#search)) : this.#logLines;
    this.#log.setContent(shown.map((line) => blessed.escape(line)).join('\n'));
    this.#log.setScrollPerc(100);
  }

  #sampleMetrics(): void {
    const services = this.#selected().instance?.snapshot?.services ?? [];
    const pgids = new Set(services.map((service) => service.pid).filter((pid): pid is number => pid !== null));
    this.#usage = this.#metrics.sample(pgids);
    this.render();
  }

  #bindKeys(): void {
    const screen = this.screen;
    const panes = [this.#instances, this.#services, this.#log];
    screen.key(['tab'], () => {
      const current = panes.findIndex((pane) => pane === screen.focused);
      panes[(current + 1) % panes.length]?.focus();
      this.render();
    });
    screen.key(['S-tab'], () => {
      const current = panes.findIndex((pane) => pane === screen.focused);
      panes[(current + panes.length - 1) % panes.length]?.focus();
      this.render();
    });
    screen.key(['l'], () => this.#log.focus());
    screen.key(['a'], () => {
      this.#allLogs = !this.#allLogs;
      this.render();
    });
    screen.key(['f'], () => {
      this.#follow = !this.#follow;
      if (this.#follow) this.#showLog();
      this.render();
    });
    screen.key(['r'], () => void this.#act('restart'));
    screen.key(['s'], () => {
      const { service } = this.#selected();
      const running = service && service.state !== 'stopped' && service.state !== 'exited' && service.state !== 'failed' && service.state !== 'skipped';
      void this.#act(running ? 'stop' : 'start');
    });
    screen.key(['/'], () => this.#prompt());
    screen.key(['escape'], () => {
      this.#message = '';
      if (this.#search) {
        this.#search = '';
        this.#showLog();
      }
      this.render();
    });
    screen.key(['?'], () => this.message(`keys: ${KEYS}`));
    screen.key(['q', 'C-c'], () => {
      this.#quits += 1;
      this.#options.onQuit(this.#quits);
    });
    screen.on('keypress', (_ch, key) => {
      if (key && key.name !== 'q' && this.#message && !this.#message.startsWith('stopping')) this.#message = '';
    });
  }

  async #act(action: 'restart' | 'stop' | 'start'): Promise<void> {
    const { instance, service } = this.#selected();
    if (!instance?.control || !service) return;
    this.message(`${action} ${service.name}…`);
    try {
      const after = await instance.control.service(service.name, action);
      this.message(`${service.name}: ${after.state}${after.pid ? ` (pid ${after.pid})` : ''}`);
    } catch (error) {
      this.message(`${action} ${service.name} failed: ${(error as Error).message}`);
    }
  }

  #prompt(): void {
    const prompt = blessed.textbox({ parent: this.screen, bottom: 0, left: 0, height: 1, width: '100%', inputOnFocus: true, style: { bg: this.#options.color ? 'blue' : undefined } });
    prompt.setValue('');
    this.screen.render();
    prompt.readInput((_error, value) => {
      prompt.destroy();
      this.#search = (value ?? '').trim();
      this.#showLog();
    });
  }
}
