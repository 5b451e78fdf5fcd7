import { ControlClient } from '../../control/control-client.js';
import type { LogEntry } from '../../control/protocol.js';
import { BerthError, EXIT, UsageError } from '../../errors.js';
import { parseInstance } from '../context.js';
import { pickInstance } from '../instances.js';
import { onSignal, printLine, type CliIo } from '../io.js';

/**
 * `berth logs [SERVICE] [ENV] [-f] [--tail N] [--json]`: recent output of a running instance's
 * service(s); `--json` gives one `{ service, stream, line }` object per line (ndjson), `-f` too.
 */
export async function logsCommand(
  io: CliIo,
  service: string | undefined,
  envName: string | undefined,
  options: { file?: string; instance?: string; follow?: boolean; tail?: string; json?: boolean },
): Promise<number> {
  const tail = Number(options.tail ?? 100);
  if (!Number.isInteger(tail) || tail < 0) throw new UsageError(`--tail takes a number of lines, not "${options.tail}"`);
  const { client } = await pickInstance(io, { env: envName, instance: parseInstance(options.instance), file: options.file });
  if (options.json && !(client instanceof ControlClient)) throw new BerthError('NO_JSON_LOGS', 'logs --json needs the instance\'s control socket');
  const writeEntry = (entry: LogEntry) => io.stdout.write(`${JSON.stringify(entry)}\n`);
  if (!options.follow) {
    if (client instanceof ControlClient && options.json) for (const entry of await client.logEntries(service, tail)) writeEntry(entry);
    else for (const line of await client.logs(service, tail)) printLine(io.stdout, line);
    return EXIT.ok;
  }
  const abort = new AbortController();
  const off = onSignal(io, 'SIGINT', () => abort.abort());
  try {
    if (client instanceof ControlClient && options.json) await client.followLogEntries(service, tail, writeEntry, abort.signal);
    else await client.followLogs(service, tail, (text) => io.stdout.write(text), abort.signal);
  } finally {
    off();
  }
  return EXIT.ok;
}
