import { formatRange, rangeSize, type PortRange } from '../port-range.js';
import type { EnvironmentConfig } from '../types.js';
import type { Path } from '../yaml-source.js';
import type { Report } from './report.js';

/** The environment's shared block, and each service's own block, fits in at least one of its ranges. */
export function checkCapacity(env: EnvironmentConfig, at: Path, report: Report): void {
  const shared = env.services.filter((service) => service.ranges === null).reduce((sum, service) => sum + service.portCount, 0);
  if (shared > 0 && env.ranges.length > 0) {
    const message = tooSmall(shared, env.ranges);
    if (message) report([...at, 'ranges'], `environment ${env.name} needs ${shared} consecutive ports, ${message}`);
  }
  for (const service of env.services) {
    if (service.ranges === null || service.portCount === 0 || service.ranges.length === 0) continue;
    const message = tooSmall(service.portCount, service.ranges);
    if (message) report([...at, 'services', service.name, 'ranges'], `service ${service.name} needs ${service.portCount} consecutive ports, ${message}`);
  }
}

function tooSmall(need: number, ranges: PortRange[]): string | undefined {
  const largest = ranges.reduce((best, range) => (rangeSize(range) > rangeSize(best) ? range : best));
  if (rangeSize(largest) >= need) return undefined;
  return ranges.length === 1
    ? `but its range ${formatRange(largest)} holds ${rangeSize(largest)}`
    : `but its largest range, ${formatRange(largest)}, holds ${rangeSize(largest)}`;
}
