import type { Lease } from '../store/lease.js';
import type { ServiceSnapshot } from '../supervisor/service-state.js';
import { exitText, restartsText, serviceUrl } from './services-table.js';

/** The details view of a service: one `label  value` line each, as plain text. */
export function detailLines(service: ServiceSnapshot, lease: Lease): string[] {
  const info = service.info;
  const names = info?.portNames ?? [];
  const ports = service.ports.map((port, index) => (names[index] ? `${names[index]}=${port}` : String(port))).join(', ') || '-';
  const rows: [string, string][] = [
    ['service', `${service.name} of ${lease.project}/${lease.env}#${lease.instance}`],
    ['state', `${service.state}${service.reason ? ` (${service.reason})` : ''}`],
    ['command', info?.command ?? '-'],
    ['cwd', info?.cwd ?? '-'],
    ['user', info?.user ?? '(berth\'s own)'],
    ['pid', service.pid === null ? '-' : String(service.pid)],
    ['ports', ports],
    ['url', serviceUrl(service) ?? '-'],
    ['ready check', info?.ready ?? '-'],
    ['depends on', info?.dependsOn.length ? info.dependsOn.join(', ') : '-'],
    ['restart', `${info?.restart ?? '-'}; restarts automatic/manual ${restartsText(service)}`],
    ['last exit', exitText(service)],
    ['started', service.startedAt ?? '-'],
    ['env keys', info?.envKeys.length ? info.envKeys.join(' ') : '-'],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
}

/** Lines folded to `width`: a long value goes on below its label's column, split at spaces where it can be. */
export function foldLines(lines: readonly string[], width: number): string[] {
  if (width < 20) return [...lines];
  const out: string[] = [];
  for (const line of lines) {
    const indent = ' '.repeat(Math.min(line.search(/ {2}\S/) + 2, 20));
    let rest = line;
    while (rest.length > width) {
      const room = rest.lastIndexOf(' ', width);
      const at = room > indent.length ? room : width;
      out.push(rest.slice(0, at));
      rest = indent + rest.slice(at).trimStart();
    }
    out.push(rest);
  }
  return out;
}
