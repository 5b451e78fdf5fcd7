import { loadConfig } from '../config/load-config.js';
import { selectEnvironment } from '../config/select-environment.js';
import type { BerthConfig, EnvironmentConfig } from '../config/types.js';
import { BerthError, EXIT, UsageError } from '../errors.js';
import { readEphemeralRange } from '../platform/ephemeral.js';
import { leaseLabel, type LeaseView } from '../store/lease.js';
import type { LeaseStore } from '../store/lease-store.js';
import type { CliIo } from './io.js';

/** The lease store (also in store-access.ts, for commands that need no ports.yaml). */
export { openStore } from './store-access.js';

export function loadProject(io: CliIo, file: string | undefined): BerthConfig {
  const config = loadConfig({ file, cwd: io.cwd, vars: io.env, ephemeral: readEphemeralRange() });
  for (const warning of config.warnings) io.stderr.write(`${warning.file}:${warning.line}:${warning.col}: warning: ${warning.message}\n`);
  return config;
}

export function loadEnvironment(io: CliIo, file: string | undefined, envName: string | undefined): { config: BerthConfig; env: EnvironmentConfig } {
  const config = loadProject(io, file);
  return { config, env: selectEnvironment(config, envName) };
}

/** Parses `--instance N`. */
export function parseInstance(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const instance = Number(value);
  if (!Number.isInteger(instance) || instance < 1) throw new UsageError(`--instance takes a number from 1, not "${value}"`);
  return instance;
}

/**
 * The live lease of (this ports.yaml's folder, env[, instance]). With several and no
 * `--instance`, a usage error lists them.
 */
export async function findInstanceLease(store: LeaseStore, config: BerthConfig, env: string, instance: number | undefined): Promise<LeaseView> {
  const candidates = (await store.list()).filter((lease) => !lease.stale && !lease.invalid && lease.root === config.root && lease.env === env);
  const chosen = instance === undefined ? candidates : candidates.filter((lease) => lease.instance === instance);
  if (chosen.length === 1) return chosen[0] as LeaseView;
  if (chosen.length === 0) {
    const what = instance === undefined ? `${config.project}/${env}` : `${config.project}/${env}#${instance}`;
    const others = candidates.length ? ` (running or reserved: ${candidates.map(leaseLabel).join(', ')})` : '';
    throw new BerthError('NO_LEASE', `no running or reserved instance of ${what}${others}`, { exitCode: EXIT.failed });
  }
  throw new UsageError(`several instances of ${config.project}/${env}: ${chosen.map(leaseLabel).join(', ')}; pick one with --instance N`, 'AMBIGUOUS_INSTANCE');
}

export function parsePins(values: string[] | undefined): Record<string, number> {
  const pins: Record<string, number> = {};
  for (const value of values ?? []) {
    const match = /^([^=]+)=(\d+)$/.exec(value);
    if (!match) throw new UsageError(`--port takes SERVICE=PORT, e.g. --port api=9000 (got "${value}")`);
    pins[match[1] as string] = Number(match[2]);
  }
  return pins;
}
