import type { BerthConfig } from '../../config/types.js';
import { EXIT } from '../../errors.js';
import { formatBlock, leaseLabel } from '../../store/lease.js';
import type { ServiceSnapshot } from '../../supervisor/service-state.js';
import { listInstances, type Instance } from '../instances.js';
import { printJson, printLine, table, type CliIo } from '../io.js';

/**
 * `berth ps [ENV] [--json] [--all]`: running instances with their services, pids, ports and
 * states — of this project, or of every project with `--all`; of ENV only when it is given.
 */
export async function psCommand(io: CliIo, envName: string | undefined, options: { all?: boolean; json?: boolean; file?: string }): Promise<number> {
  if (envName !== undefined && !options.all) await checkEnvironmentName(io, options.file, envName);
  const instances = (await listInstances(io, options)).filter((instance) => envName === undefined || instance.lease.env === envName);
  if (options.json) {
    printJson(io, { instances: instances.map(toJson) });
    return EXIT.ok;
  }
  if (instances.length === 0) {
    const of = envName === undefined ? '' : ` of ${envName}`;
    printLine(io.stdout, options.all ? `no instances${of} running` : `no instances${of} of this project running (--all for every project)`);
    return EXIT.ok;
  }
  for (const instance of instances) {
    const { lease, snapshot } = instance;
    const block = lease.ports ? formatBlock(lease.ports) : 'no ports';
    printLine(io.stdout, `${leaseLabel(lease)}  ${block}  ${snapshot ? `berth pid ${snapshot.pid}${snapshot.stopping ? ', stopping' : ''}` : instance.remote ? `on ${lease.owner.hostname ?? lease.owner.host} (berth pid ${lease.owner.pid}, another machine)` : 'stale: its berth does not answer'}`);
    if (!snapshot) continue;
    const rows = [['  SERVICE', 'STATE', 'PID', 'PORTS', 'RESTARTS', 'READY', 'UP']];
    for (const service of snapshot.services) rows.push(serviceRow(service));
    for (const line of table(rows)) printLine(io.stdout, line);
  }
  return EXIT.ok;
}

/**
 * An ENV that this project's ports.yaml does not have is a usage error listing the ones it has.
 * A ports.yaml that does not validate (being edited while its stack runs) lists nothing: ps
 * still shows the instances, filtered by the name as given. The config stack loads only here.
 */
async function checkEnvironmentName(io: CliIo, file: string | undefined, envName: string): Promise<void> {
  const [{ checkConfigFile }, { selectEnvironment }] = await Promise.all([import('../../config/load-config.js'), import('../../config/select-environment.js')]);
  let config: BerthConfig | null = null;
  try {
    config = checkConfigFile({ file, cwd: io.cwd, vars: io.env, ephemeral: null }).config;
  } catch {
    return; // no ports.yaml: listInstances says so
  }
  if (config) selectEnvironment(config, envName);
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

function toJson({ lease, snapshot, remote }: Instance) {
  return {
    project: lease.project,
    env: lease.env,
    instance: lease.instance,
    ports: lease.ports,
    stale: remote ? lease.stale : snapshot === null,
    host: lease.owner.host,
    ...(lease.owner.hostname ? { hostname: lease.owner.hostname } : {}),
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
