import path from 'node:path';
import { checkConfigFile } from '../../config/load-config.js';
import { BerthError, EXIT, formatIssue, type ConfigIssue } from '../../errors.js';
import { readEphemeralRange } from '../../platform/ephemeral.js';
import { printJson, printLine, type CliIo } from '../io.js';

/** One problem as `validate --json` lists it; line and col are null when it is not at a place in the file (no such file). */
interface JsonIssue {
  file: string;
  line: number | null;
  col: number | null;
  message: string;
}

/** Environments named on the "ok" line; a larger file's line ends with how many more there are. */
const SHOWN_ENVIRONMENTS = 12;

/** `berth validate [-f FILE] [--json]`: every error and warning, exit 0 or 2. */
export async function validateCommand(io: CliIo, options: { file?: string; json?: boolean }): Promise<number> {
  if (options.json) return validateJson(io, options.file);
  const result = checkConfigFile({ file: options.file, cwd: io.cwd, vars: io.env, ephemeral: readEphemeralRange() });
  const relative = path.relative(io.cwd, result.file);
  const shown = relative && !relative.startsWith('..') ? relative : result.file;
  for (const issue of result.issues) printLine(io.stderr, formatIssue(issue));
  if (!result.config) {
    const errors = result.issues.filter((issue) => issue.severity === 'error').length;
    printLine(io.stderr, `${errors} error${errors === 1 ? '' : 's'} in ${shown}`);
    return EXIT.usage;
  }
  const all = [...result.config.environments.values()];
  const envs = all.slice(0, SHOWN_ENVIRONMENTS).map((env) => {
    const ports = env.services.reduce((total, service) => total + service.portCount, 0);
    return `${env.name} (${env.services.length} service${env.services.length === 1 ? '' : 's'}, ${ports} port${ports === 1 ? '' : 's'})`;
  });
  if (all.length > SHOWN_ENVIRONMENTS) envs.push(`and ${all.length - SHOWN_ENVIRONMENTS} more environments`);
  printLine(io.stdout, `${shown}: ok — project ${result.config.project}; ${envs.join(', ')}`);
  return EXIT.ok;
}

/** `--json`: `{ errors, warnings }` on stdout, whatever went wrong (a missing file is one error). */
function validateJson(io: CliIo, file: string | undefined): number {
  let issues: ConfigIssue[];
  let valid: boolean;
  try {
    const result = checkConfigFile({ file, cwd: io.cwd, vars: io.env, ephemeral: readEphemeralRange() });
    issues = result.issues;
    valid = result.config !== null;
  } catch (error) {
    if (!(error instanceof BerthError) || error.exitCode !== EXIT.usage) throw error;
    printJson(io, { errors: [{ file: file ?? 'ports.yaml', line: null, col: null, message: error.message }], warnings: [] });
    return EXIT.usage;
  }
  const shape = ({ file, line, col, message }: ConfigIssue): JsonIssue => ({ file, line, col, message });
  printJson(io, {
    errors: issues.filter((issue) => issue.severity === 'error').map(shape),
    warnings: issues.filter((issue) => issue.severity === 'warning').map(shape),
  });
  return valid ? EXIT.ok : EXIT.usage;
}
