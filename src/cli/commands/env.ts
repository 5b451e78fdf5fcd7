import { portVariable } from '../../config/validate-config.js';
import { EXIT, UsageError } from '../../errors.js';
import { findInstanceLease, loadEnvironment, openStore, parseInstance } from '../context.js';
import { printJson, printLine, type CliIo } from '../io.js';

const FORMATS = ['shell', 'dotenv', 'json'] as const;

/** `berth env [ENV]`: `<SERVICE>_PORT` of every service of a running or reserved instance. */
export async function envCommand(io: CliIo, envName: string | undefined, options: { file?: string; instance?: string; format?: string }): Promise<number> {
  const format = (options.format ?? 'shell') as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, not "${options.format}"`);
  const { config, env } = loadEnvironment(io, options.file, envName);
  const lease = await findInstanceLease(openStore(io), config, env.name, parseInstance(options.instance));
  const vars: Record<string, number> = {};
  for (const [service, ports] of Object.entries(lease.services)) {
    if (ports[0] !== undefined) vars[portVariable(service)] = ports[0];
  }
  if (format === 'json') {
    printJson(io, vars);
    return EXIT.ok;
  }
  for (const [name, port] of Object.entries(vars)) printLine(io.stdout, format === 'shell' ? `export ${name}=${port}` : `${name}=${port}`);
  return EXIT.ok;
}
