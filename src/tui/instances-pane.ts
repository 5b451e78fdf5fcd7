import { formatBlock, leaseLabel } from '../store/lease.js';
import { fitColumns, layoutRow, type Column } from './fit-columns.js';
import { formatDuration } from './format.js';
import type { WatchedInstance } from './top-model.js';

const INSTANCE_TABLE: readonly Column[] = [
  { header: 'INSTANCE', priority: 0 },
  { header: 'BLOCK', priority: 1 },
  { header: 'UP', priority: 2 },
];

function instanceCells(instance: WatchedInstance, now: number): string[] {
  const { lease, snapshot } = instance;
  const status = instance.stale ? 'stale' : snapshot ? (snapshot.stopping ? 'stopping' : formatDuration(now - Date.parse(lease.createdAt))) : '…';
  return [leaseLabel(lease), lease.ports ? formatBlock(lease.ports) : '-', status];
}

/** The instance list in `width` columns, every cell whole (the block and uptime go first when short). */
export function instanceLines(instances: readonly WatchedInstance[], width: number, now: number): string[] {
  if (instances.length === 0) return ['(no instances running)'];
  const rows = instances.map((instance) => instanceCells(instance, now));
  const fitted = fitColumns(INSTANCE_TABLE, rows, width);
  return rows.map((row) => layoutRow(row, fitted, INSTANCE_TABLE));
}

/** The width the instance list wants: its widest row, within `max`. */
export function instancesWidth(instances: readonly WatchedInstance[], max: number, now: number): number {
  const widest = Math.max(22, ...instanceLines(instances, Number.MAX_SAFE_INTEGER, now).map((line) => line.length));
  return Math.min(widest, max);
}

/**
 * The header line: the selected instance, each of its blocks with the range it came from, and
 * each of those ranges' use on this machine; a stale instance says why. Parts that do not fit
 * are left out whole, from the end.
 */
export function headerLine(instance: WatchedInstance | undefined, extra: string[], width: number): string {
  const parts: string[] = [];
  if (!instance) parts.push('berth: no instance');
  else {
    const { lease } = instance;
    parts.push(leaseLabel(lease));
    if (instance.stale) parts.push(`stale: ${instance.stale}`);
    const blocks = lease.blocks.length ? lease.blocks.map((block) => `${formatBlock(block.ports)} ${block.range}`) : lease.ports ? [formatBlock(lease.ports)] : [];
    parts.push(blocks.length ? `block ${blocks.join(', ')}` : 'no ports');
    for (const range of instance.ranges ?? []) parts.push(`${range.name} ${range.first}-${range.last}: ${range.leased}/${range.size} leased`);
  }
  parts.push(...extra);
  let line = '';
  for (const part of parts) {
    const next = line ? `${line}  ·  ${part}` : part;
    if (next.length > width) break;
    line = next;
  }
  return line;
}
