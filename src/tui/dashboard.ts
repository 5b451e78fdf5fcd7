import blessed from 'blessed';
import { GroupMetrics, type GroupUsage } from '../platform/metrics.js';
import { systemClock, type Clock } from '../supervisor/clock.js';
import type { ServiceSnapshot } from '../supervisor/service-state.js';
import { detailLines, foldLines } from './details.js';
import { hyperlinkAt, hyperlinksSupported } from './hyperlinks.js';
import { headerLine, instanceLines, instancesWidth } from './instances-pane.js';
import { bindingOf, helpLines, keyHints, type KeyAction } from './keys.js';
import { layout, type Rect } from './layout.js';
import { LinePrompt } from './line-prompt.js';
import { LogView } from './log-view.js';
import { paint, paintLogRow, windowRows } from './paint.js';
import { servicesPane, type ScreenLink } from './services-pane.js';
import { Notes, type NoteKind } from './notes.js';
import { nextSort, sortServices, type ServiceSort } from './services-table.js';
import type { TopModel, WatchedInstance } from './top-model.js';
import { DashboardActions } from './dashboard-actions.js';
import { bindMouse } from './dashboard-mouse.js';

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
  /** Notes expire through it (tests drive it). */
  clock?: Clock;
  /** For OSC 8 hyperlinks (BERTH_HYPERLINKS, TERM_PROGRAM…). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where `e` writes the log (default: the temp folder). */
  saveFolder?: string;
}

const RENDER_EVERY_MS = 100;
export type Pane = 'instances' | 'services' | 'log';

/**
 * The dashboard: a header line (the selected instance, its blocks, their ranges' use), the
 * instances (berth top) and the selected instance's services, the log of the selected service,
 * a message line and the key hints. Every key comes from KEY_TABLE (keys.ts). It reads and acts
 * only through InstanceControl, so it works the same on the instance of this process and on
 * any other on the machine.
 */
export class Dashboard {
  readonly screen: blessed.Widgets.Screen;
  readonly options: DashboardOptions;
  readonly clock: Clock;
  readonly log = new LogView();
  readonly notes: Notes;
  readonly #boxes: Record<'header' | 'instances' | 'services' | 'log' | 'message' | 'hints' | 'overlay', blessed.Widgets.BoxElement>;
  readonly #metrics = new GroupMetrics();
  readonly #actions: DashboardActions;
  readonly #hyperlinks: boolean;
  usage = new Map<number, GroupUsage>();
  focus: Pane;
  instanceIndex = 0;
  /** The selected service, by name (so a sort keeps it selected). */
  serviceName: string | null = null;
  allLogs = false;
  fullScreen = false;
  sort: ServiceSort = { column: null, descending: false };
  overlay: 'help' | 'details' | null = null;
  /** First line of the help or details shown (they scroll with ↑↓ and PgUp/PgDn). */
  overlayTop = 0;
  overlayHeight = 10;
  project: string | null = null;
  mouse = true;
  prompt: LinePrompt | null = null;
  quits = 0;
  #logStream: AbortController | null = null;
  #destroyed = false;
  #logKey = '';
  #renderTimer: NodeJS.Timeout | null = null;
  #metricsTimer: NodeJS.Timeout;
  /** Rows of the log pane, from the last layout. */
  logHeight = 10;

  constructor(options: DashboardOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.notes = new Notes(this.clock, () => this.render());
    this.focus = options.mode === 'top' ? 'instances' : 'services';
    this.#hyperlinks = hyperlinksSupported(options.env ?? process.env);
    this.screen = blessed.screen({
      smartCSR: true,
      terminal: 'xterm', // this system's xterm-256color terminfo does not parse in blessed
      fullUnicode: true,
      warnings: false,
      title: options.title ?? 'berth',
      ...(options.input ? { input: options.input } : {}),
      ...(options.output ? { output: options.output } : {}),
    } as blessed.Widgets.IScreenOptions);
    const box = (bordered: boolean, extra: blessed.Widgets.BoxOptions = {}) =>
      blessed.box({ parent: this.screen, tags: true, wrap: false, ...(bordered ? { border: { type: 'line' as const }, style: { border: { fg: options.color ? 'gray' : undefined } } } : {}), ...extra });
    this.#boxes = {
      header: box(false),
      instances: box(true, { label: ' instances ' }),
      services: box(true, { label: ' services ' }),
      log: box(true, { label: ' logs ' }),
      message: box(false),
      hints: box(false),
      overlay: box(true, { hidden: true, left: 'center', top: 'center', width: '90%', height: '80%' }),
    };
    this.#actions = new DashboardActions(this);
    this.screen.on('keypress', (ch: string | undefined, key: { full?: string } | undefined) => this.#key(ch, key?.full ?? ch));
    bindMouse(this, this.#boxes);
    this.screen.program.enableMouse();
    this.#metricsTimer = setInterval(() => this.#sampleMetrics(), 1000);
    this.#metricsTimer.unref();
    this.screen.on('resize', () => this.draw());
  }

  /** Redraws from the model (throttled, so a log flood costs at most 10 draws a second). */
  render(): void {
    if (this.#renderTimer || this.#destroyed) return;
    this.#renderTimer = setTimeout(() => {
      this.#renderTimer = null;
      this.draw();
    }, RENDER_EVERY_MS);
  }

  /** Restores the terminal and ends the log stream; a late event or render after it draws nothing. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    clearInterval(this.#metricsTimer);
    if (this.#renderTimer) clearTimeout(this.#renderTimer);
    this.notes.close();
    this.#logStream?.abort();
    this.screen.destroy();
  }

  /** A line on the message line, until it expires; once a stack is stopping (q in berth up), the last one stays. */
  message(text: string, kind: NoteKind = /failed|error|cannot|refused/i.test(text) ? 'error' : 'info'): void {
    this.notes.show(text, { kind, sticky: this.options.mode === 'up' && this.quits > 0 });
  }

  /** The instances shown (all, or one project's with `p`). */
  visibleInstances(): WatchedInstance[] {
    const all = this.options.model.instances;
    return this.project === null ? all : all.filter((instance) => instance.lease.project === this.project);
  }

  selected(): { instance: WatchedInstance | undefined; services: ServiceSnapshot[]; service: ServiceSnapshot | undefined } {
    const instances = this.visibleInstances();
    if (this.instanceIndex >= instances.length) this.instanceIndex = Math.max(0, instances.length - 1);
    const instance = instances[this.instanceIndex];
    const services = sortServices(instance?.snapshot?.services ?? [], this.sort, (service) => (service.pid ? this.usage.get(service.pid) : undefined));
    let service = services.find((each) => each.name === this.serviceName);
    if (!service) {
      service = services[0];
      this.serviceName = service?.name ?? null;
    }
    return { instance, services, service };
  }

  draw(): void {
    if (this.#destroyed) return;
    const now = this.clock.now();
    const { instance, services, service } = this.selected();
    const instances = this.visibleInstances();
    const width = (this.screen.width as number) || 80;
    const height = (this.screen.height as number) || 24;
    const top = this.options.mode === 'top';
    const shape = layout({ width, height, instances: top, instancesWidth: instancesWidth(instances, width, now), instanceCount: instances.length, serviceCount: services.length, fullScreen: this.fullScreen });
    const b = this.#boxes;
    this.#place(b.header, shape.header);
    this.#place(b.message, shape.message);
    this.#place(b.hints, shape.hints);
    this.#place(b.instances, shape.instances);
    this.#place(b.services, shape.services);
    this.#place(b.log, shape.log);
    for (const pane of ['instances', 'services', 'log'] as const) b[pane].style.border = { fg: this.options.color ? (this.focus === pane ? 'cyan' : 'gray') : undefined };
    if (!this.options.color) for (const pane of ['instances', 'services', 'log'] as const) b[pane].setLabel(this.focus === pane ? ` [${pane === 'log' ? 'logs' : pane}] ` : ` ${pane === 'log' ? 'logs' : pane} `);

    const extra = top ? [`${instances.length} instance${instances.length === 1 ? '' : 's'}${this.project ? ` of ${this.project}` : ''}`] : [];
    b.header.setContent(this.paint(headerLine(instance, extra, width), undefined, true));
    if (shape.instances) {
      const lines = instanceLines(instances, shape.instances.width - 2, now);
      b.instances.setContent(windowRows(lines, instances.length ? this.instanceIndex : -1, shape.instances.height - 2, shape.instances.width - 2, (line, index) => this.paint(line, instances[index]?.stale ? 'gray' : undefined)).join('\n'));
    }
    let urls: ScreenLink[] = [];
    if (shape.services) {
      const pane = servicesPane({ rect: shape.services, services, selected: service, usage: (each) => (each.pid ? this.usage.get(each.pid) : undefined), now, sort: this.sort, colorOn: this.options.color });
      b.services.setContent(pane.content);
      b.services.setLabel(pane.label);
      urls = pane.links;
    }
    this.#followSelectedLog();
    this.#drawLog(shape.log, service);
    this.#drawBottom(width);
    this.#drawOverlay(instance, service);
    this.screen.render();
    if (this.#hyperlinks && !this.overlay) for (const link of urls) (this.screen.program as unknown as { _write(text: string): void })._write(hyperlinkAt(link.x, link.y, link.text, link.url));
  }

  paint(text: string, color: string | undefined, bold = false): string {
    return paint(text, color, this.options.color, bold);
  }

  #place(element: blessed.Widgets.BoxElement, rect: Rect | null): void {
    if (!rect) return void element.hide();
    element.show();
    Object.assign(element, { left: rect.left, top: rect.top, width: rect.width, height: rect.height });
  }

  #drawLog(rect: Rect, service: ServiceSnapshot | undefined): void {
    const inner = { width: rect.width - 2, height: rect.height - 2 };
    this.logHeight = Math.max(1, inner.height);
    const rows = this.log.rows(inner.width, inner.height);
    this.#boxes.log.setContent(rows.map((row) => paintLogRow(row, this.options.color)).join('\n'));
    const what = this.allLogs ? 'all services' : (service?.name ?? '-');
    const flags = [this.log.follow ? 'following' : 'paused', this.log.wrap ? 'wrap' : 'no wrap', this.log.search ? `"${this.log.search}" ${this.log.matches().length} found` : ''].filter(Boolean);
    const label = ` logs: ${what} — ${flags.join(', ')} — ${this.log.position(inner.height)} `;
    this.#boxes.log.setLabel(label.length <= rect.width - 2 ? label : ` logs: ${what} `);
  }

  #drawBottom(width: number): void {
    const { message, hints } = this.#boxes;
    if (this.prompt) message.setContent(this.paint(this.prompt.text, 'cyan'));
    else message.setContent(this.notes.text ? this.paint(this.notes.text.slice(0, width), this.notes.kind === 'error' ? 'red' : 'yellow') : '');
    const quit = this.options.mode === 'up' ? 'stop stack' : 'quit';
    hints.setContent(this.paint(keyHints(this.options.mode, width, quit), 'gray'));
  }

  #drawOverlay(instance: WatchedInstance | undefined, service: ServiceSnapshot | undefined): void {
    const overlay = this.#boxes.overlay;
    if (!this.overlay) return void overlay.hide();
    const inner = Math.floor(((this.screen.width as number) || 80) * 0.9) - 2;
    const lines = foldLines(this.overlay === 'help' ? helpLines(this.options.mode) : instance && service ? detailLines(service, instance.lease) : ['no service selected'], inner);
    const height = Math.min(lines.length + 2, (this.screen.height as number) - 2);
    Object.assign(overlay, { height });
    this.overlayHeight = height - 2;
    this.overlayTop = Math.max(0, Math.min(this.overlayTop, lines.length - this.overlayHeight));
    const more = lines.length > this.overlayHeight ? `, ↑↓ PgUp PgDn scroll, ${this.overlayTop + 1}-${this.overlayTop + this.overlayHeight}/${lines.length}` : '';
    overlay.setLabel(this.overlay === 'help' ? ` keys (esc or ? closes${more}) ` : ` ${service?.name ?? ''}: details (esc or i closes${more}) `);
    overlay.setContent(lines.slice(this.overlayTop, this.overlayTop + this.overlayHeight).map((line) => blessed.escape(line)).join('\n'));
    overlay.show();
    overlay.setFront();
  }

  /** (Re)starts following the log of what is selected when the selection changed. */
  #followSelectedLog(): void {
    const { instance, service } = this.selected();
    const name = this.allLogs ? undefined : service?.name;
    const key = `${instance?.lease.id ?? ''}/${name ?? '*'}/${this.allLogs}`;
    if (key === this.#logKey) return;
    this.#logKey = key;
    this.#logStream?.abort();
    this.log.clear();
    if (!instance?.control || (!this.allLogs && !service)) return;
    const abort = new AbortController();
    this.#logStream = abort;
    let history = true;
    void instance.control
      .followLogs(name, 200, (text) => {
        this.log.write(text, history ? null : this.clock.now());
        history = false;
        this.render();
      }, abort.signal)
      .catch(() => {});
  }

  #sampleMetrics(): void {
    const services = this.selected().instance?.snapshot?.services ?? [];
    const pgids = new Set(services.map((service) => service.pid).filter((pid): pid is number => pid !== null));
    this.usage = this.#metrics.sample(pgids);
    this.render();
  }

  #key(ch: string | undefined, name: string | undefined): void {
    if (this.prompt) {
      if (this.prompt.key(ch, name)) this.prompt = null;
      return this.draw();
    }
    if (!name || name === 'return') return;
    const binding = bindingOf(this.options.mode, name);
    if (!binding) return;
    this.run(binding.action);
  }

  /** Does what a key of the table does (the tests call it for every key too). */
  run(action: KeyAction): void {
    this.#actions.run(action);
    this.draw();
  }

  setMouse(on: boolean): void {
    this.mouse = on;
    if (on) this.screen.program.enableMouse();
    else this.screen.program.disableMouse();
  }

  /** The next sort (for the actions). */
  cycleSort(): void {
    this.sort = nextSort(this.sort);
  }
}
