import type blessed from 'blessed';
import type { Dashboard } from './dashboard.js';
import { firstRow } from './paint.js';

type Box = blessed.Widgets.BoxElement;

/** Clicks select an instance or a service and focus its pane; the wheel scrolls the log. */
export function bindMouse(d: Dashboard, boxes: { instances: Box; services: Box; log: Box }): void {
  const { instances, services, log } = boxes;
  instances.on('click', (data: { y: number }) => {
    const count = d.visibleInstances().length;
    const row = data.y - (instances.atop as number) - 1 + firstRow(count, d.instanceIndex, (instances.height as number) - 2);
    if (row >= 0 && row < count && row !== d.instanceIndex) {
      d.instanceIndex = row;
      d.serviceName = null;
    }
    d.focus = 'instances';
    d.draw();
  });
  services.on('click', (data: { y: number }) => {
    const { services: shown, service } = d.selected();
    const selected = service ? shown.indexOf(service) : -1;
    const picked = shown[data.y - (services.atop as number) - 2 + firstRow(shown.length, selected, (services.height as number) - 3)];
    if (picked) d.serviceName = picked.name;
    d.focus = 'services';
    d.draw();
  });
  for (const [event, step] of [['wheelup', -3], ['wheeldown', 3]] as const) {
    log.on(event, () => {
      d.log.scroll(step, d.logHeight);
      d.render();
    });
  }
  log.on('click', () => {
    d.focus = 'log';
    d.draw();
  });
}
