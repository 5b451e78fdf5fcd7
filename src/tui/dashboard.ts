import blessed from 'blessed';
import { GroupMetrics, type GroupUsage } from '../platform/metrics.js';
import { leaseLabel } from '../store/lease.js';
import { systemClock, type Clock } from '../supervisor/clock.js';
import type { ServiceSnapshot } from '../supervisor/service-state.js';
import { detailLines, foldLines } from './details.js';
import { GAP, layoutCells } from './fit-columns.js';
import { stateColor } from './format.js';
import { hyperlinkAt, hyperlinksSupported } from './hyperlinks.js';
import { headerLine, instanceLines, instancesWidth } from './instances-pane.js';
import { bindingOf, helpLines, keyHints, type KeyAction } from './keys.js';
import { layout, type Rect } from './layout.js';
import { LinePrompt } from './line-prompt.js';
import { LogView, type LogRow } from './log-view.js';
import { Notes, type NoteKind } from './notes.js';
import { saveLog } from './save-log.js';
import { layoutServices, nextSort, serviceRow, serviceUrl, sortServices, URL_COLUMN, type ServiceSort } from './services-table.js';
import type { TopModel, WatchedInstance } from './top-model.js';
import { DashboardActions } from './dashboard-actions.js';

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
    this.#bindMouse();
    this.screen.program.enableMouse();
    this.#metricsTimer = setInterval(() => this.#sampleMetrics(), 1000);
    this.#metricsTimer.unref();
    this.screen.on('resize', () => this.draw());
  }

  /** Redraws from the model (throttled, so a log flood costs at most 10 draws a second). */
  render(): void {
    if (this.#renderTimer) return;
    this.#renderTimer = setTimeout(() => {
      this.#renderTimer = null;
      this.draw();
    }, RENDER_EVERY_MS);
  }

  destroy(): void {
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
      b.instances.setContent(this.#window(lines, instances.length ? this.instanceIndex : -1, shape.instances.height - 2, shape.instances.width - 2, (line, index) => this.paint(line, instances[index]?.stale ? 'gray' : undefined)).join('\n'));
    }
    const urls: { x: number; y: number; text: string; url: string }[] = [];
    if (shape.services) this.#drawServices(shape.services, services, service, now, urls);
    this.#followSelectedLog();
    this.#drawLog(shape.log, service);
    this.#drawBottom(width);
    this.#drawOverlay(instance, service);
    this.screen.render();
    if (this.#hyperlinks && !this.overlay) for (const link of urls) (this.screen.program as unknown as { _write(text: string): void })._write(hyperlinkAt(link.x, link.y, link.text, link.url));
  }

  paint(text: string, color: string | undefined, bold = false): string {
    const escaped = blessed.escape(text);
    if (!this.options.color || (!color && !bold)) return escaped;
    return `${bold ? '{bold}' : ''}${color ? `{${color}-fg}` : ''}${escaped}${color ? `{/${color}-fg}` : ''}${bold ? '{/bold}' : ''}`;
  }

  #place(element: blessed.Widgets.BoxElement, rect: Rect | null): void {
    if (!rect) return void element.hide();
    element.show();
    Object.assign(element, { left: rect.left, top: rect.top, width: rect.width, height: rect.height });
  }

  /** The rows that fit in `height` around the selected one, the selected one shown inverse across the pane. */
  #window(lines: string[], selected: number, height: number, width: number, paint: (line: string, index: number) => string): string[] {
    const first = Math.max(0, Math.min(selected - height + 1, lines.length - height, selected));
    return lines.slice(Math.max(0, first), Math.max(0, first) + height).map((line, at) => {
      const index = Math.max(0, first) + at;
      return index === selected ? `{inverse}${blessed.escape(line.padEnd(width))}{/inverse}` : paint(line, index);
    });
  }

  #drawServices(rect: Rect, services: ServiceSnapshot[], selected: ServiceSnapshot | undefined, now: number, urls: { x: number; y: number; text: string; url: string }[]): void {
    const inner = rect.width - 2;
    const rows = services.map((service) => serviceRow(service, service.pid ? this.usage.get(service.pid) : undefined, now));
    const table = layoutServices(rows, inner - 1, this.sort); // a column of space before the border
    const selectedIndex = selected ? services.indexOf(selected) : -1;
    const body = this.#window(table.lines, selectedIndex, rect.height - 3, inner, (_line, index) => {
      const cells = layoutCells(rows[index] as string[], table.fitted, table.columns);
      const service = services[index] as ServiceSnapshot;
      return cells.map((cell, at) => (table.fitted[at]?.index === 1 ? this.paint(cell, stateColor(service.state)) : blessed.escape(cell))).join(' '.repeat(GAP));
    });
    const first = Math.max(0, Math.min(selectedIndex - (rect.height - 3) + 1, table.lines.length - (rect.height - 3), selectedIndex));
    const urlAt = table.fitted.findIndex((column) => column.index === URL_COLUMN);
    if (urlAt !== -1) {
      const x = rect.left + 1 + table.fitted.slice(0, urlAt).reduce((sum, column) => sum + column.width + GAP, 0);
      services.slice(first, first + rect.height - 3).forEach((service, at) => {
        const url = serviceUrl(service);
        if (url && first + at !== selectedIndex) urls.push({ x, y: rect.top + 2 + at, text: url, url });
      });
    }
    this.#boxes.services.setContent([this.paint(table.header, undefined, true), ...(services.length ? body : ['(no services)'])].join('\n'));
    this.#boxes.services.setLabel(` services${this.sort.column !== null ? ` by ${table.columns[this.sort.column]?.header.toLowerCase()}` : ''} `);
  }

  #drawLog(rect: Rect, service: ServiceSnapshot | undefined): void {
    const inner = { width: rect.width - 2, height: rect.height - 2 };
    this.logHeight = Math.max(1, inner.height);
    const rows = this.log.rows(inner.width, inner.height);
    this.#boxes.log.setContent(rows.map((row) => this.#paintLogRow(row)).join('\n'));
    const what = this.allLogs ? 'all services' : (service?.name ?? '-');
    const flags = [this.log.follow ? 'following' : 'paused', this.log.wrap ? 'wrap' : 'no wrap', this.log.search ? `"${this.log.search}" ${this.log.matches().length} found` : ''].filter(Boolean);
    const label = ` logs: ${what} — ${flags.join(', ')} — ${this.log.position(inner.height)} `;
    this.#boxes.log.setLabel(label.length <= rect.width - 2 ? label : ` logs: ${what} `);
  }

  /** A log row: the text escaped (never read as tags), matches highlighted, the service's colours kept when berth shows colour. */
  #paintLogRow(row: LogRow): string {
    const colors = this.options.color ? row.colors : [];
    if (row.marks.length === 0 && colors.length === 0) return blessed.escape(row.text);
    const points = [...new Set([0, row.text.length, ...row.marks.flatMap((mark) => [mark.from, mark.to]), ...colors.map((color) => color.at)])].filter((at) => at <= row.text.length).sort((a, b) => a - b);
    let out = '';
    points.forEach((at, index) => {
      for (const color of colors) if (color.at === at) out += color.code;
      const next = points[index + 1];
      if (next === undefined) return;
      const piece = blessed.escape(row.text.slice(at, next));
      const mark = row.marks.find((each) => each.from <= at && at < each.to);
      if (!mark) out += piece;
      else if (!this.options.color) out += `{inverse}${piece}{/inverse}`;
      else out += `{${mark.current ? 'red' : 'yellow'}-bg}{black-fg}${piece}{/black-fg}{/${mark.current ? 'red' : 'yellow'}-bg}`;
    });
    return colors.length ? `${out}\x1b[0m` : out;
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

  saveVisibleLog(): void {
    const { instance, service } = this.selected();
    if (!instance) return this.message('no instance selected');
    const label = `${leaseLabel(instance.lease).replace(/[/#]/g, '-')}-${this.allLogs ? 'all' : (service?.name ?? 'none')}`;
    try {
      const file = saveLog(this.log.text(), label, this.clock.now(), this.options.saveFolder);
      this.message(`log written to ${file} (${this.log.length} lines)`);
    } catch (error) {
      this.message(`cannot write the log: ${(error as Error).message}`, 'error');
    }
  }

  #bindMouse(): void {
    const { instances, services, log } = this.#boxes;
    instances.on('click', (data: { y: number }) => {
      const row = data.y - (instances.atop as number) - 1;
      if (row >= 0 && row < this.visibleInstances().length) this.instanceIndex = row;
      this.focus = 'instances';
      this.draw();
    });
    services.on('click', (data: { y: number }) => {
      const row = data.y - (services.atop as number) - 2;
      const picked = this.selected().services[row];
      if (picked) this.serviceName = picked.name;
      this.focus = 'services';
      this.draw();
    });
    log.on('wheelup', () => {
      this.log.scroll(-3, this.logHeight);
      this.render();
    });
    log.on('wheeldown', () => {
      this.log.scroll(3, this.logHeight);
      this.render();
    });
    log.on('click', () => {
      this.focus = 'log';
      this.draw();
    });
  }

  /** The next sort (for the actions). */
  cycleSort(): void {
    this.sort = nextSort(this.sort);
  }
}
