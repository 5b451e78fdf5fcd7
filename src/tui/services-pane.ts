import blessed from 'blessed';
import type { GroupUsage } from '../platform/metrics.js';
import type { ServiceSnapshot } from '../supervisor/service-state.js';
import { GAP, layoutCells } from './fit-columns.js';
import { stateColor } from './format.js';
import type { Rect } from './layout.js';
import { firstRow, paint, windowRows } from './paint.js';
import { layoutServices, serviceRow, serviceUrl, URL_COLUMN, type ServiceSort } from './services-table.js';

/** A URL on screen, to draw again as an OSC 8 link. */
export interface ScreenLink {
  x: number;
  y: number;
  text: string;
  url: string;
}

/** The services pane's content and label, and where its URLs are. */
export function servicesPane(input: { rect: Rect; services: ServiceSnapshot[]; selected: ServiceSnapshot | undefined; usage: (service: ServiceSnapshot) => GroupUsage | undefined; now: number; sort: ServiceSort; colorOn: boolean }): { content: string; label: string; links: ScreenLink[] } {
  const { rect, services, sort, colorOn } = input;
  const inner = rect.width - 2;
  const height = rect.height - 3;
  const rows = services.map((service) => serviceRow(service, input.usage(service), input.now));
  const table = layoutServices(rows, inner - 1, sort); // a column of space before the border
  const selected = input.selected ? services.indexOf(input.selected) : -1;
  const body = windowRows(table.lines, selected, height, inner, (_line, index) => {
    const service = services[index] as ServiceSnapshot;
    return layoutCells(rows[index] as string[], table.fitted, table.columns)
      .map((cell, at) => (table.fitted[at]?.index === 1 ? paint(cell, stateColor(service.state), colorOn) : blessed.escape(cell)))
      .join(' '.repeat(GAP));
  });
  const links: ScreenLink[] = [];
  const urlAt = table.fitted.findIndex((column) => column.index === URL_COLUMN);
  if (urlAt !== -1) {
    const first = firstRow(services.length, selected, height);
    const x = rect.left + 1 + table.fitted.slice(0, urlAt).reduce((sum, column) => sum + column.width + GAP, 0);
    services.slice(first, first + height).forEach((service, at) => {
      const url = serviceUrl(service);
      if (url && first + at !== selected) links.push({ x, y: rect.top + 2 + at, text: url, url });
    });
  }
  return {
    content: [paint(table.header, undefined, colorOn, true), ...(services.length ? body : ['(no services)'])].join('\n'),
    label: ` services${sort.column !== null ? ` by ${table.columns[sort.column]?.header.toLowerCase()}` : ''} `,
    links,
  };
}
