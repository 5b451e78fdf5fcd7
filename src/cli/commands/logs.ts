import { EXIT, UsageError } from '../../errors.js';
import { parseInstance } from '../context.js';
import { pickInstance } from '../instances.js';
import { onSignal, printLine, type CliIo } from '../io.js';

/** `berth logs [SERVICE] [ENV] [-f] [--tail N]`: recent output of a running instance's service(s). */
export async function logsCommand(
  io: CliIo,
  service: string | undefined,
  envName: string | undefined,
  options: { file?: string; instance?: string; follow?: boolean; tail?: string },
): Promise<number> {
  const tail = Number(options.tail ?? 100);
  if (!Number.isInteger(tail) || tail < 0) throw new UsageError(`--tail takes a number of lines, not "${options.tail}"`);
  const { client } = await pickInstance(io, { env: envName, instance: parseInstance(options.instance), file: options.file });
  if (!options.follow) {
    for (const line of await client.logs(service, tail)) printLine(io.stdout, line);
    return EXIT.ok;
  }
  const abort = new AbortController();
  const off = onSignal(io, 'SIGINT', () => abort.abort());
  try {
    await client.followLogs(service, tail, (text) => io.stdout.write(text), abort.signal);
  } finally {
    off();
  }
  return EXIT.ok;
}
