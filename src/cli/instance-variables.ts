import type { BerthConfig, EnvironmentConfig } from '../config/types.js';
import { envName, portVariable } from '../config/validate-config.js';
import type { Lease } from '../store/lease.js';

/**
 * What a command run against an instance (`berth run -- CMD`) gets in its environment:
 * `<SERVICE>_PORT` (first port) and `<SERVICE>_PORT_<NAME>` (named ports) of every service of
 * the instance, and `BERTH_PROJECT`, `BERTH_ENV`, `BERTH_INSTANCE`.
 */
export function instanceVariables(config: BerthConfig, env: EnvironmentConfig, lease: Lease): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const service of env.services) {
    const ports = lease.services[service.name];
    if (!ports?.[0]) continue;
    const variable = portVariable(service.name);
    vars[variable] = String(ports[0]);
    service.portNames?.forEach((name, index) => {
      const port = ports[index];
      if (port !== undefined) vars[`${variable}_${envName(name)}`] = String(port);
    });
  }
  vars.BERTH_PROJECT = config.project;
  vars.BERTH_ENV = env.name;
  vars.BERTH_INSTANCE = String(lease.instance);
  return vars;
}
