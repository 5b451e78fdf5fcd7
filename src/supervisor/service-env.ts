import path from 'node:path';
import { interpolate, type InterpolationContext, type ServicePorts } from '../config/interpolate.js';
import type { BerthConfig, EnvironmentConfig, ServiceConfig } from '../config/types.js';
import { envName, portVariable } from '../config/validate-config.js';
import type { Lease } from '../store/lease.js';

/** How to start one service of an instance: argv, cwd and environment, interpolated. */
export interface LaunchSpec {
  /** argv[0], or the script for /bin/sh -c when `shell` is set. */
  file: string;
  args: string[];
  shell: boolean;
  cwd: string;
  /** Added to (and overriding) the supervisor's own environment. */
  env: Record<string, string>;
  ports: number[];
  /** `user:` / `group:` as configured, resolved when spawning; null or absent: berth's own user. */
  runAs?: { user: string | null; group: string | null } | null;
  /** `ready: { exec }` interpolated like cmd (a script for /bin/sh -c), else null. */
  readyExec: string | null;
}

export interface InstanceContext {
  config: BerthConfig;
  env: EnvironmentConfig;
  lease: Lease;
  /** The supervisor's environment, for `${VAR}`. */
  vars: Readonly<Record<string, string | undefined>>;
  /** berth shows colour: services get FORCE_COLOR=1 (with berth's own variables). */
  color?: boolean;
  /** `<SERVICE>_PORT` of every service, computed once per instance. */
  portVars?: Record<string, string>;
}

function interpolationFor(service: ServiceConfig, ctx: InstanceContext): InterpolationContext {
  const services = new Map<string, ServicePorts>(
    ctx.env.services.map((candidate) => [candidate.name, { ports: ctx.lease.services[candidate.name] ?? [], names: candidate.portNames }]),
  );
  return { project: ctx.config.project, env: ctx.env.name, instance: ctx.lease.instance, self: service.name, services, vars: ctx.vars };
}

/** `<SERVICE>_PORT` of every service of the instance that has a port. */
export function portVariables(lease: Lease): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [name, ports] of Object.entries(lease.services)) {
    if (ports[0] !== undefined) vars[portVariable(name)] = String(ports[0]);
  }
  return vars;
}

/**
 * The environment a service gets: berth's own variables (PORT, PORT_<NAME>, <SERVICE>_PORT,
 * BERTH_*) over the supervisor's environment, and the service's `env:` over those.
 */
export function buildLaunch(service: ServiceConfig, ctx: InstanceContext): LaunchSpec {
  const interpolation = interpolationFor(service, ctx);
  const ports = ctx.lease.services[service.name] ?? [];
  ctx.portVars ??= portVariables(ctx.lease);
  const env: Record<string, string> = {
    ...ctx.portVars,
    BERTH_PROJECT: ctx.config.project,
    BERTH_ENV: ctx.env.name,
    BERTH_INSTANCE: String(ctx.lease.instance),
    BERTH_SERVICE: service.name,
  };
  if (ctx.color) env.FORCE_COLOR = '1';
  if (ports[0] !== undefined) env.PORT = String(ports[0]);
  service.portNames?.forEach((name, index) => {
    const port = ports[index];
    if (port !== undefined) env[`PORT_${envName(name)}`] = String(port);
  });
  for (const [key, value] of Object.entries(service.env)) env[key] = interpolate(value, interpolation);

  const argv = service.cmd.map((word) => interpolate(word, interpolation));
  const readyExec = service.ready.kind === 'exec' ? interpolate(service.ready.command, interpolation) : null;
  return { file: argv[0] ?? '', args: argv.slice(1), shell: service.shell, cwd: service.cwd, env, ports, readyExec, runAs: runAsOf(service) };
}

function runAsOf(service: ServiceConfig): LaunchSpec['runAs'] {
  return service.user === null && service.group === null ? null : { user: service.user, group: service.group };
}

/** Where a service's env_file goes (absolute), or null. */
export function envFilePath(service: ServiceConfig, ctx: InstanceContext): string | null {
  if (service.envFile === null) return null;
  return path.resolve(ctx.config.root, interpolate(service.envFile, interpolationFor(service, ctx)));
}

/** The dotenv text of an env_file: `<SERVICE>_PORT` of every service of the instance. */
export function envFileContent(ctx: InstanceContext): string {
  const header = `# Written by berth for ${ctx.config.project}/${ctx.env.name}#${ctx.lease.instance}; rewritten at every start.\n`;
  return header + Object.entries(portVariables(ctx.lease)).map(([key, value]) => `${key}=${value}\n`).join('');
}
