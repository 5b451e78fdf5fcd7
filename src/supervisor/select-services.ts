import type { EnvironmentConfig } from '../config/types.js';
import { UsageError } from '../errors.js';

/** The services to run: those named by `only` and, transitively, what they depend on. */
export function selectServices(env: EnvironmentConfig, only: readonly string[] | undefined): Set<string> {
  if (!only || only.length === 0) return new Set(env.services.map((service) => service.name));
  const byName = new Map(env.services.map((service) => [service.name, service]));
  const unknown = only.filter((name) => !byName.has(name));
  if (unknown.length > 0) throw new UsageError(`--only: no service ${unknown.join(', ')} in environment ${env.name} (services: ${[...byName.keys()].join(', ')})`);
  const selected = new Set<string>();
  const add = (name: string) => {
    if (selected.has(name)) return;
    selected.add(name);
    for (const dependency of byName.get(name)?.dependsOn ?? []) add(dependency);
  };
  only.forEach(add);
  return selected;
}
