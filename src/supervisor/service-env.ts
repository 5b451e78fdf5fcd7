import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatEnvLine, hasBerthHeader, parseEnvFile } from '../config/env-file.js';
import { interpolate, type InterpolationContext, type ServicePorts } from '../config/interpolate.js';
import type { BerthConfig, EnvironmentConfig, ServiceConfig } from '../config/types.js';
import { envName, portVariable } from '../config/validate-config.js';
import { BerthError, EXIT } from '../errors.js';
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
  /** The run's BERTH_RUN marker, set by each run: added last to the spawned environment. */
  marker?: string;
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
 * The environment a service gets, lowest first: the supervisor's environment (added when
 * spawning), its `env_file`s, berth's own variables (PORT, PORT_<NAME>, <SERVICE>_PORT,
 * BERTH_*, FORCE_COLOR), and the service's `env:`.
 */
export function buildLaunch(service: ServiceConfig, ctx: InstanceContext): LaunchSpec {
  const interpolation = interpolationFor(service, ctx);
  const ports = ctx.lease.services[service.name] ?? [];
  ctx.portVars ??= portVariables(ctx.lease);
  const env: Record<string, string> = {
    ...readEnvFiles(service, ctx.vars),
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

/** The dotenv text a service's `write_env` gets: berth's header, every service's ports, then its own `env:`. */
export function writeEnvContent(service: ServiceConfig, ctx: InstanceContext): string {
  const lines = [`# written by berth for ${ctx.config.project}/${ctx.env.name}#${ctx.lease.instance} — removed when the instance stops; do not edit`];
  for (const other of ctx.env.services) {
    const ports = ctx.lease.services[other.name] ?? [];
    if (ports[0] === undefined) continue;
    lines.push(formatEnvLine(portVariable(other.name), String(ports[0])));
    other.portNames?.forEach((name, index) => {
      const port = ports[index];
      if (port !== undefined) lines.push(formatEnvLine(`${portVariable(other.name)}_${envName(name)}`, String(port)));
    });
  }
  const interpolation = interpolationFor(service, ctx);
  for (const [key, value] of Object.entries(service.env)) lines.push(formatEnvLine(key, interpolate(value, interpolation)));
  return `${lines.join('\n')}\n`;
}

/** The files a service has berth write before it starts: its write_env, then its templates' outputs. */
export function filesToWrite(service: ServiceConfig, ctx: InstanceContext): { path: string; kind: 'write_env' | 'template'; content: () => string }[] {
  const interpolation = interpolationFor(service, ctx);
  const files: { path: string; kind: 'write_env' | 'template'; content: () => string }[] = [];
  if (service.writeEnv !== null) {
    files.push({ path: path.resolve(service.cwd, interpolate(service.writeEnv, interpolation)), kind: 'write_env', content: () => writeEnvContent(service, ctx) });
  }
  for (const template of service.templates) {
    files.push({
      path: path.resolve(service.cwd, interpolate(template.to, interpolation)),
      kind: 'template',
      content: () => interpolate(readConfigFile(template.from, 'template'), interpolation),
    });
  }
  return files;
}

/**
 * `env_file:` as docker compose reads it, fresh at each launch: later files win. A file that is
 * gone (or that an older berth wrote) is a config error, as `berth validate` reports it.
 */
export function readEnvFiles(service: ServiceConfig, vars: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const read: Record<string, string> = {};
  for (const file of service.envFiles) {
    const text = readConfigFile(file, 'env_file');
    if (hasBerthHeader(text)) {
      throw new BerthError('ENV_FILE_WRITTEN_BY_BERTH', `env_file ${file} of service ${service.name} was written by berth — env_file is now READ (as in docker compose); to have berth write the ports into a file, use write_env`, { exitCode: EXIT.usage });
    }
    const parsed = parseEnvFile(text, (key) => vars[key], read);
    const problem = parsed.problems[0];
    if (problem) throw new BerthError('ENV_FILE_INVALID', `${file}:${problem.line}:${problem.col}: ${problem.message}`, { exitCode: EXIT.usage });
    Object.assign(read, parsed.vars);
  }
  return read;
}

function readConfigFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read: ${(error as Error).message}`;
    const hint = what === 'env_file' && code === 'ENOENT' ? ' — env_file is now READ (as in docker compose); to have berth write the ports into a file, use write_env' : '';
    throw new BerthError('CONFIG_FILE_MISSING', `${what} ${file} ${why}${hint}`, { exitCode: EXIT.usage, cause: error });
  }
}
