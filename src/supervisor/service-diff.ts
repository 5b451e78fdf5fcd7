import type { ServiceConfig } from '../config/types.js';

export interface ServiceDiff {
  /** New, or back with other ports (they get new ports). */
  added: string[];
  /** Same ports, other settings: restarted in place. */
  changed: string[];
  /** Gone, or leaving their old ports (stopped, ports given back). */
  removed: string[];
}

/**
 * What a reloaded ports.yaml changes for the services that run (`running`): a service whose
 * port count or own ranges changed is removed and added again, since it needs other ports.
 */
export function diffServices(before: readonly ServiceConfig[], after: readonly ServiceConfig[], running: ReadonlySet<string>): ServiceDiff {
  const old = new Map(before.map((service) => [service.name, service]));
  const keepsPorts = (a: ServiceConfig, b: ServiceConfig) => a.portCount === b.portCount && JSON.stringify(a.ranges) === JSON.stringify(b.ranges);
  const removed = before
    .filter((service) => running.has(service.name))
    .filter((service) => {
      const next = after.find((candidate) => candidate.name === service.name);
      return !next || !keepsPorts(service, next);
    })
    .map((service) => service.name);
  const added = after.filter((service) => !old.has(service.name) || removed.includes(service.name)).map((service) => service.name);
  const changed = after
    .filter((service) => running.has(service.name) && !removed.includes(service.name))
    .filter((service) => JSON.stringify(service) !== JSON.stringify(old.get(service.name)))
    .map((service) => service.name);
  return { added, changed, removed };
}
