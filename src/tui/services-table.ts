import type { GroupUsage } from '../platform/metrics.js';
import type { ServiceSnapshot } from '../supervisor/service-state.js';
import { fitColumns, layoutRow, type Column } from './fit-columns.js';
import { formatBytes, formatDuration } from './format.js';

export const SERVICE_TABLE: readonly Column[] = [
  { header: 'SERVICE', priority: 0 },
  { header: 'STATE', priority: 0 },
  { header: 'PID', priority: 4, right: true },
  { header: 'PORTS', priority: 1 },
  { header: 'CPU', priority: 3, right: true },
  { header: 'MEM', priority: 3, right: true },
  { header: 'HEALTH', priority: 2 },
  { header: 'RESTARTS', priority: 4, right: true },
  { header: 'UP', priority: 2, right: true },
  { header: 'EXIT', priority: 3, right: true },
  { header: 'READY', priority: 6 },
  { header: 'URL', priority: 5 },
];

export const URL_COLUMN = SERVICE_TABLE.findIndex((column) => column.header === 'URL');

/** `http://127.0.0.1:PORT` of a service with ports. */
export function serviceUrl(service: ServiceSnapshot): string | null {
  const port = service.ports[0];
  return port === undefined ? null : `http://127.0.0.1:${port}`;
}

/** A service's ports: `5001`, `5001-5003` when consecutive (they are, in a block), else `5001,5007`. */
export function portsText(ports: readonly number[]): string {
  if (ports.length === 0) return '-';
  const first = ports[0] as number;
  const last = ports[ports.length - 1] as number;
  const consecutive = ports.every((port, index) => port === first + index);
  return ports.length > 1 && consecutive ? `${first}-${last}` : ports.join(',');
}

/** What the readiness check says: `http ok`, `port wait`, `exec fail`, `none`. */
export function health(service: ServiceSnapshot): string {
  const kind = (service.info?.ready ?? 'port').split(' ')[0] ?? 'port';
  if (kind === 'none') return 'none';
  if (service.state === 'ready') return `${kind} ok`;
  if (service.state === 'starting') return `${kind} wait`;
  if (service.state === 'failed' && service.reason?.includes('ready')) return `${kind} fail`;
  return '-';
}

/** How the last run ended: the exit code or signal; a running service shows its previous run's. */
export function exitText(service: ServiceSnapshot): string {
  if (service.pid !== null) return service.lastExit ?? '-';
  return service.signal ?? (service.exitCode === null ? (service.lastExit ?? '-') : String(service.exitCode));
}

/** Restarts by the restart policy and asked for, apart: `auto/manual`. */
export function restartsText(service: ServiceSnapshot): string {
  const manual = service.manualRestarts ?? 0;
  return `${service.restarts - manual}/${manual}`;
}

/** Cells of one service, in SERVICE_TABLE order. */
export function serviceRow(service: ServiceSnapshot, usage: GroupUsage | undefined, now: number): string[] {
  const running = service.pid !== null;
  return [
    service.name,
    service.state,
    running ? String(service.pid) : '-',
    portsText(service.ports),
    running && usage ? `${usage.cpuPercent.toFixed(1)}%` : '-',
    running && usage ? formatBytes(usage.rssBytes) : '-',
    health(service),
    restartsText(service),
    running && service.startedAt ? formatDuration(now - Date.parse(service.startedAt)) : '-',
    exitText(service),
    service.ready ? 'yes' : 'no',
    serviceUrl(service) ?? '-',
  ];
}

/** The sort: a column of SERVICE_TABLE (null: the order of ports.yaml), and its direction. */
export interface ServiceSort {
  column: number | null;
  descending: boolean;
}

type SortKey = (service: ServiceSnapshot, usage: GroupUsage | undefined) => number | string;

const KEY_BY_HEADER: Record<string, SortKey> = {
  SERVICE: (service) => service.name,
  STATE: (service) => service.state,
  PID: (service) => service.pid ?? -1,
  PORTS: (service) => service.ports[0] ?? -1,
  CPU: (_service, usage) => usage?.cpuPercent ?? -1,
  MEM: (_service, usage) => usage?.rssBytes ?? -1,
  HEALTH: (service) => health(service),
  RESTARTS: (service) => service.restarts,
  UP: (service) => (service.pid !== null && service.startedAt ? -Date.parse(service.startedAt) : -Infinity),
  EXIT: (service) => exitText(service),
  READY: (service) => (service.ready ? 1 : 0),
  URL: (service) => service.ports[0] ?? -1,
};

/** One sort key per column of SERVICE_TABLE, in its order. */
const SORT_KEYS: SortKey[] = SERVICE_TABLE.map((column) => KEY_BY_HEADER[column.header] as SortKey);

/** The next sort `o` gives: each column in turn, then the order of ports.yaml again. */
export function nextSort(sort: ServiceSort): ServiceSort {
  if (sort.column === null) return { column: 0, descending: false };
  const next = sort.column + 1;
  return next >= SORT_KEYS.length ? { column: null, descending: false } : { column: next, descending: sort.descending };
}

export function sortServices(services: readonly ServiceSnapshot[], sort: ServiceSort, usage: (service: ServiceSnapshot) => GroupUsage | undefined): ServiceSnapshot[] {
  if (sort.column === null) return sort.descending ? [...services].reverse() : [...services];
  const key = SORT_KEYS[sort.column] as (typeof SORT_KEYS)[number];
  const sign = sort.descending ? -1 : 1;
  return [...services].sort((a, b) => {
    const x = key(a, usage(a));
    const y = key(b, usage(b));
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return sign * order || a.name.localeCompare(b.name);
  });
}

/** The table laid out in `width`: the header line (the sorted column marked ▲/▼) and one line per row, every cell whole. */
export function layoutServices(rows: readonly string[][], width: number, sort: ServiceSort): { header: string; lines: string[]; fitted: { index: number; width: number }[]; columns: Column[] } {
  const headers = SERVICE_TABLE.map((column, index) => (index === sort.column ? `${column.header}${sort.descending ? '▼' : '▲'}` : column.header));
  const columns = SERVICE_TABLE.map((column, index) => ({ ...column, header: headers[index] as string }));
  const fitted = fitColumns(columns, [headers, ...rows], width);
  return { header: layoutRow(headers, fitted, columns), lines: rows.map((row) => layoutRow(row, fitted, columns)), fitted, columns };
}
