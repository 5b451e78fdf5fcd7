import type { InstanceSnapshot } from '../control/protocol.js';
import { formatBlock, leaseLabel, type Lease } from '../store/lease.js';
import type { ServiceSnapshot, ServiceState } from '../supervisor/service-state.js';
import type { GroupUsage } from '../platform/metrics.js';

/** Text for the dashboard, kept apart from blessed so it is tested as plain strings. */

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(seconds / 86_400)}d${Math.floor((seconds % 86_400) / 3600)}h`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)}K`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)}M`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(1)}G`;
}

const STATE_COLORS: Record<ServiceState, string> = {
  pending: 'gray',
  starting: 'yellow',
  ready: 'green',
  backoff: 'magenta',
  stopping: 'yellow',
  stopped: 'gray',
  exited: 'blue',
  failed: 'red',
  skipped: 'gray',
};

export function stateColor(state: ServiceState): string {
  return STATE_COLORS[state];
}

export function instanceRow(lease: Lease, snapshot: InstanceSnapshot | null, now: number): string {
  const block = lease.ports ? formatBlock(lease.ports) : '-';
  const status = snapshot ? (snapshot.stopping ? 'stopping' : formatDuration(now - Date.parse(lease.createdAt))) : 'stale';
  return `${leaseLabel(lease)}  ${block}  ${status}`;
}

export const SERVICE_COLUMNS = ['SERVICE', 'STATE', 'PID', 'PORTS', 'CPU', 'MEM', 'RESTARTS', 'UP', 'READY'] as const;

/** Cells of one service row, in SERVICE_COLUMNS order. */
export function serviceCells(service: ServiceSnapshot, usage: GroupUsage | undefined, now: number): string[] {
  const running = service.pid !== null;
  return [
    service.name,
    service.state,
    running ? String(service.pid) : '-',
    service.ports.length ? service.ports.join(',') : '-',
    running && usage ? `${usage.cpuPercent.toFixed(1)}%` : '-',
    running && usage ? formatBytes(usage.rssBytes) : '-',
    String(service.restarts),
    running && service.startedAt ? formatDuration(now - Date.parse(service.startedAt)) : '-',
    service.ready ? 'yes' : 'no',
  ];
}

/** Rows padded into columns (the header first), each cell left-aligned. */
export function columns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
}
