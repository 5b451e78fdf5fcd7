import { checkTemplate, type InterpolationContext, type ServicePorts } from '../interpolate.js';
import type { EnvironmentConfig } from '../types.js';
import type { Path } from '../yaml-source.js';
import type { Report } from './report.js';

/** Every `${...}` in cmd, env values, env_file and ready.exec resolves, with placeholder port numbers. */
export function checkReferences(
  env: EnvironmentConfig,
  at: Path,
  context: { project: string; vars: Readonly<Record<string, string | undefined>>; cmdIsList: (service: string) => boolean },
  report: Report,
): void {
  const services = new Map<string, ServicePorts>(
    env.services.map((service) => [service.name, { ports: Array.from({ length: service.portCount }, (_, i) => 1 + i), names: service.portNames }]),
  );
  for (const service of env.services) {
    const ctx: InterpolationContext = { project: context.project, env: env.name, instance: 1, self: service.name, services, vars: context.vars };
    const where = [...at, 'services', service.name];
    const cmdIsList = context.cmdIsList(service.name);
    service.cmd.forEach((word, index) => {
      for (const message of checkTemplate(word, ctx)) report(cmdIsList && !service.shell ? [...where, 'cmd', index] : [...where, 'cmd'], message);
    });
    for (const [key, value] of Object.entries(service.env)) {
      for (const message of checkTemplate(value, ctx)) report([...where, 'env', key], message);
    }
    if (service.envFile !== null) {
      for (const message of checkTemplate(service.envFile, ctx)) report([...where, 'env_file'], message);
    }
    if (service.ready.kind === 'exec') {
      for (const message of checkTemplate(service.ready.command, ctx)) report([...where, 'ready', 'exec'], message);
    }
  }
}
