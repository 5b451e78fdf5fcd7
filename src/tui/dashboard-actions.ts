import { leaseLabel } from '../store/lease.js';
import { FINAL_STATES } from '../supervisor/service-state.js';
import { saveLog } from './save-log.js';
import type { Dashboard, Pane } from './dashboard.js';
import type { KeyAction } from './keys.js';
import { LinePrompt } from './line-prompt.js';

/** What each action of the key table does to the dashboard. */
export class DashboardActions {
  readonly #d: Dashboard;

  constructor(dashboard: Dashboard) {
    this.#d = dashboard;
  }

  run(action: KeyAction): void {
    const d = this.#d;
    const log = d.log;
    const page = Math.max(1, d.logHeight - 1);
    if (d.overlay && ['up', 'down', 'pageUp', 'pageDown', 'top', 'bottom'].includes(action)) return this.#scrollOverlay(action);
    switch (action) {
      case 'quit':
        d.quits += 1;
        d.options.onQuit(d.quits);
        return;
      case 'help':
        d.overlay = d.overlay === 'help' ? null : 'help';
        d.overlayTop = 0;
        return;
      case 'details':
        d.overlay = d.overlay === 'details' ? null : 'details';
        d.overlayTop = 0;
        return;
      case 'escape':
        if (d.overlay) d.overlay = null;
        else if (log.search) log.setSearch('');
        else if (d.fullScreen) d.fullScreen = false;
        else d.notes.clear();
        return;
      case 'up':
      case 'down':
        return this.#move(action === 'up' ? -1 : 1);
      case 'pageUp':
        return log.scroll(-page, d.logHeight);
      case 'pageDown':
        return log.scroll(page, d.logHeight);
      case 'top':
        return log.toTop();
      case 'bottom':
        return log.toBottom();
      case 'nextPane':
      case 'previousPane':
        return this.#cycleFocus(action === 'nextPane' ? 1 : -1);
      case 'open':
        if (d.focus === 'instances') d.focus = 'services';
        else if (d.focus === 'services') {
          d.allLogs = false;
          d.focus = 'log';
        }
        return;
      case 'allLogs':
        d.allLogs = !d.allLogs;
        return;
      case 'restart':
        return void this.#act('restart');
      case 'stopStart': {
        const { service } = d.selected();
        return void this.#act(service && !FINAL_STATES.has(service.state) && service.state !== 'pending' ? 'stop' : 'start');
      }
      case 'sort':
        return d.cycleSort();
      case 'sortReverse':
        d.sort = { ...d.sort, descending: !d.sort.descending };
        return;
      case 'project':
        return this.#nextProject();
      case 'follow':
        if (log.follow) log.follow = false;
        else log.toBottom();
        return;
      case 'wrap':
        log.wrap = !log.wrap;
        return;
      case 'timestamps':
        log.timestamps = !log.timestamps;
        return;
      case 'fullScreen':
        d.fullScreen = !d.fullScreen;
        return;
      case 'search':
        d.prompt = new LinePrompt('search: ', log.search, (value) => {
          if (value === null) return;
          log.setSearch(value.trim());
          if (value.trim()) this.#jump(1);
        });
        return;
      case 'nextMatch':
      case 'previousMatch':
        return this.#jump(action === 'nextMatch' ? 1 : -1);
      case 'mouse':
        d.setMouse(!d.mouse);
        d.message(d.mouse ? 'mouse capture on: click selects, the wheel scrolls the log' : 'mouse capture off: select text with the mouse and copy as usual; m turns it back on');
        return;
      case 'saveLog':
        return this.#saveLog();
    }
  }

  #scrollOverlay(action: KeyAction): void {
    const d = this.#d;
    const step = { up: -1, down: 1, pageUp: -d.overlayHeight, pageDown: d.overlayHeight, top: -Infinity, bottom: Infinity }[action as 'up'] ?? 0;
    d.overlayTop = Math.max(0, d.overlayTop + step); // the draw keeps it within the lines
  }

  #panes(): Pane[] {
    return this.#d.options.mode === 'top' && !this.#d.fullScreen ? ['instances', 'services', 'log'] : this.#d.fullScreen ? ['log'] : ['services', 'log'];
  }

  #cycleFocus(step: 1 | -1): void {
    const panes = this.#panes();
    const at = panes.indexOf(this.#d.focus);
    this.#d.focus = panes[(at + step + panes.length) % panes.length] as Pane;
  }

  #move(step: 1 | -1): void {
    const d = this.#d;
    if (d.focus === 'log' || d.fullScreen) return d.log.scroll(step, d.logHeight);
    if (d.focus === 'instances') {
      const count = d.visibleInstances().length;
      const next = Math.max(0, Math.min(count - 1, d.instanceIndex + step));
      if (next !== d.instanceIndex) {
        d.instanceIndex = next;
        d.serviceName = null;
      }
      return;
    }
    const { services, service } = d.selected();
    const at = service ? services.indexOf(service) : -1;
    const next = services[Math.max(0, Math.min(services.length - 1, at + step))];
    if (next) d.serviceName = next.name;
  }

  #nextProject(): void {
    const d = this.#d;
    const projects = [...new Set(d.options.model.instances.map((instance) => instance.lease.project))].sort();
    const at = d.project === null ? -1 : projects.indexOf(d.project);
    d.project = at + 1 < projects.length ? (projects[at + 1] as string) : null;
    d.instanceIndex = 0;
    d.serviceName = null;
    d.message(d.project === null ? 'every project' : `project ${d.project} only (p: the next one)`);
  }

  #jump(direction: 1 | -1): void {
    const d = this.#d;
    if (!d.log.search) return d.message('no search: / to search');
    const found = d.log.jump(direction, d.logHeight);
    d.message(found ? `match ${found.index} of ${found.count} for "${d.log.search}"` : `no line has "${d.log.search}"`);
  }

  #saveLog(): void {
    const d = this.#d;
    const { instance, service } = d.selected();
    if (!instance) return d.message('no instance selected');
    const label = `${leaseLabel(instance.lease).replace(/[/#]/g, '-')}-${d.allLogs ? 'all' : (service?.name ?? 'none')}`;
    try {
      const file = saveLog(d.log.text(), label, d.clock.now(), d.options.saveFolder);
      d.message(`log written to ${file} (${d.log.length} lines)`);
    } catch (error) {
      d.message(`cannot write the log: ${(error as Error).message}`, 'error');
    }
  }

  async #act(action: 'restart' | 'stop' | 'start'): Promise<void> {
    const d = this.#d;
    const { instance, service } = d.selected();
    if (!instance?.control || !service) return d.message(instance?.stale ? `${service?.name ?? 'no service'}: the instance is stale (${instance.stale})` : 'no service selected');
    d.message(`${action} ${service.name}…`);
    try {
      const after = await instance.control.service(service.name, action);
      d.message(`${service.name}: ${after.state}${after.pid ? ` (pid ${after.pid})` : ''}`);
    } catch (error) {
      d.message(`${action} ${service.name} failed: ${(error as Error).message}`, 'error');
    }
  }
}
