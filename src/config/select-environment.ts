import { UsageError } from '../errors.js';
import type { BerthConfig, EnvironmentConfig } from './types.js';

/** ENV given, or the only environment, or `dev`; otherwise a usage error listing them. */
export function selectEnvironment(config: BerthConfig, name: string | undefined): EnvironmentConfig {
  const names = [...config.environments.keys()];
  if (name !== undefined) {
    const env = config.environments.get(name);
    if (!env) throw new UsageError(`no environment "${name}" in ${config.file} (environments: ${names.join(', ')})`, 'UNKNOWN_ENV');
    return env;
  }
  if (names.length === 1) return config.environments.get(names[0] as string) as EnvironmentConfig;
  const dev = config.environments.get('dev');
  if (dev) return dev;
  throw new UsageError(`${config.file} has several environments; name one: ${names.join(', ')}`, 'AMBIGUOUS_ENV');
}
