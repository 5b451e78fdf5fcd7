import { readFileSync } from 'node:fs';
import { configDisplayName } from '../config/load-config.js';
import type { BerthConfig, EnvironmentConfig } from '../config/types.js';
import { parseYamlSource } from '../config/yaml-source.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { currentIdentity, resolveRunAs, rightsProblem, systemAccounts, type AccountLookup, type Identity } from './run-as.js';

/**
 * Pre-flight for `user:` / `group:` of the services about to start, before any port is taken:
 * an unknown user or group, or a user berth has no right to become (only root can), is a
 * ConfigError at that key (exit 2). It needs the OS, so it is not part of the pure config checks.
 * One lookup per distinct name; a stack without `user:` costs nothing.
 */
export function checkServiceUsers(
  config: BerthConfig,
  env: EnvironmentConfig,
  selected: ReadonlySet<string>,
  options: { cwd: string; lookup?: AccountLookup; self?: Identity },
): void {
  const self = options.self ?? currentIdentity();
  const problems: { service: string; key: 'user' | 'group'; message: string }[] = [];
  for (const service of env.services) {
    if (!selected.has(service.name) || (service.user === null && service.group === null)) continue;
    const resolved = resolveRunAs({ user: service.user, group: service.group }, options.lookup ?? systemAccounts, self);
    const problem = resolved.ok ? rightsProblem(resolved.runAs, self) : resolved;
    if (problem) problems.push({ service: service.name, key: problem.key, message: problem.message });
  }
  if (problems.length === 0) return;

  const source = parseYamlSource(readFileSync(config.file, 'utf8'), configDisplayName(config.file, options.cwd));
  const issues: ConfigIssue[] = problems.map(({ service, key, message }) =>
    source.issue(['environments', env.name, 'services', service, key], `services.${service}.${key}: ${message}`),
  );
  throw new ConfigError(issues);
}
