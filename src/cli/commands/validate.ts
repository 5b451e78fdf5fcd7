import path from 'node:path';
import { checkConfigFile } from '../../config/load-config.js';
import { EXIT, formatIssue } from '../../errors.js';
import { readEphemeralRange } from '../../platform/ephemeral.js';
import { printLine, type CliIo } from '../io.js';

/** `berth validate [-f FILE]`: every error and warning, exit 0 or 2. */
export async function validateCommand(io: CliIo, options: { file?: string }): Promise<number> {
  const result = checkConfigFile({ file: options.file, cwd: io.cwd, vars: io.env, ephemeral: readEphemeralRange() });
  const relative = path.relative(io.cwd, result.file);
  const shown = relative && !relative.startsWith('..') ? relative : result.file;
  for (const issue of result.issues) printLine(io.stderr, formatIssue(issue));
  if (!result.config) {
    const errors = result.issues.filter((issue) => issue.severity === 'error').length;
    printLine(io.stderr, `${errors} error${errors === 1 ? '' : 's'} in ${shown}`);
    return EXIT.usage;
  }
  const envs = [...result.config.environments.values()].map((env) => {
    const ports = env.services.reduce((total, service) => total + service.portCount, 0);
    return `${env.name} (${env.services.length} service${env.services.length === 1 ? '' : 's'}, ${ports} port${ports === 1 ? '' : 's'})`;
  });
  printLine(io.stdout, `${shown}: ok — project ${result.config.project}; ${envs.join(', ')}`);
  return EXIT.ok;
}
