import { EXIT } from '../../errors.js';
import { formatBlock, leaseLabel } from '../../store/lease.js';
import type { ServiceSnapshot } from '../../supervisor/service-state.js';
import { listInstances, type Instance } from '../instances.js';
import { printJson, printLine, table, type CliIo } from '../io.js';

/** `berth ps [--json] [--all]`: running instances with their services, pids, ports and states. */
export async function psCommand(io: CliIo, options: { all?: boolean; json?: boolean; file?: string }): Promise<number> {
  const instances = await listInstances(io, options);
  if (options.json) {
    printJson(io, { instances: instances.map(toJson) });
    return EXIT.ok;
  }
  if (instances.length === 0) {
    printLine(io.stdout, options.all ? 'no instances running' : 'no instances of this project running (--all for every project)');
    return EXIT.ok;
  }
  for (const instance of instances) {
    const { lease, snapshot } = instance;
    const block = lease.ports ? formatBlock(lease.ports) : 'no ports';
    printLine(io.stdout, `${leaseLabel(lease)}  ${block}  ${snapshot ? `berth pid ${snapshot.pid}${snapshot.stopping ? ', stopping' : ''}` : 'stale: its berth does not answer'}`);
    if (!snapshot) continue;
    const rows = [['  SERVICE', 'STATE', 'PID', 'PORTS', 'RESTARTS', 'READY', 'UP']];
    for (const service of snapshot.services) rows.push(serviceRow(service));
    for (const line of table(rows)) printLine(io.stdout, line);
  }
  return EXIT.ok;
}

function serviceRow(service: ServiceSnapshot): string[] {
  const up = service.startedAt && service.pid ? since(Date.parse(service.startedAt)) : '-';
  const state = service.reason && (service.state === 'failed' || service.state === 'skipped') ? `${service.state} (${service.reason})` : service.state;
  return [`  ${service.name}`, state, service.pid ? String(service.pid) : '-', service.ports.join(',') || '-', String(service.restarts), service.ready ? 'yes' : 'no', up];
}

function since(time: number): string {
  const seconds = Math.max(0, Math.round((Date.now() - time) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
}

function toJson({ lease, snapshot }: Instance) {
  return {
    project: lease.project,
    env: lease.env,
    instance: lease.instance,
    ports: lease.ports,
    stale: snapshot === null,
    pid: snapshot?.pid ?? lease.owner.pid,
    root: lease.root,
    services: (snapshot?.services ?? []).map((service) => ({
      name: service.name,
      state: service.state,
      pid: service.pid,
      ports: service.ports,
      restarts: service.restarts,
      ready: service.ready,
      exitCode: service.exitCode,
      startedAt: service.startedAt,
    })),
  };
}
