import { checkTemplate, type InterpolationContext, type ServicePorts } from '../interpolate.js';
import type { EnvironmentConfig } from '../types.js';
import type { Path } from '../yaml-source.js';
import type { Report } from './report.js';

/** Each service's placeholder ports (numbered from 1), made once per environment. */
const placeholderPorts = new WeakMap<EnvironmentConfig, Map<string, ServicePorts>>();

/** The context references are checked in: instance 1, each service's ports numbered from 1. */
export function placeholderContext(env: EnvironmentConfig, service: string, project: string, vars: Readonly<Record<string, string | undefined>>): InterpolationContext {
  let services = placeholderPorts.get(env);
  if (!services) {
    services = new Map(env.services.map((candidate) => [candidate.name, { ports: Array.from({ length: candidate.portCount }, (_, i) => 1 + i), names: candidate.portNames }]));
    placeholderPorts.set(env, services);
  }
  return { project, env: env.name, instance: 1, self: service, services, vars };
}

/** Every `${...}` in cmd, env values, write_env, templates' `to` and ready.exec resolves, with placeholder port numbers. */
export function checkReferences(
  env: EnvironmentConfig,
  at: Path,
  context: { project: string; vars: Readonly<Record<string, string | undefined>>; cmdIsList: (service: string) => boolean },
  report: Report,
): void {
  for (const service of env.services) {
    const ctx = placeholderContext(env, service.name, context.project, context.vars);
    const where = [...at, 'services', service.name];
    const cmdIsList = context.cmdIsList(service.name);
    service.cmd.forEach((word, index) => {
      for (const message of checkTemplate(word, ctx)) report(cmdIsList && !service.shell ? [...where, 'cmd', index] : [...where, 'cmd'], message);
    });
    for (const [key, value] of Object.entries(service.env)) {
      for (const message of checkTemplate(value, ctx)) report([...where, 'env', key], message);
    }
    if (service.writeEnv !== null) {
      for (const message of checkTemplate(service.writeEnv, ctx)) report([...where, 'write_env'], message);
    }
    service.templates.forEach((template, index) => {
      for (const message of checkTemplate(template.to, ctx)) report([...where, 'templates', index, 'to'], message);
    });
    if (service.ready.kind === 'exec') {
      for (const message of checkTemplate(service.ready.command, ctx)) report([...where, 'ready', 'exec'], message);
    }
  }
}
