import { EXIT } from '../../errors.js';
import { leaseLabel } from '../../store/lease.js';
import { parseInstance } from '../context.js';
import { pickInstance } from '../instances.js';
import { printJson, printLine, type CliIo } from '../io.js';

/** `berth restart|stop|start SERVICE [ENV] [--instance N]` on a running instance. */
export async function serviceActionCommand(
  io: CliIo,
  action: 'restart' | 'stop' | 'start',
  service: string,
  envName: string | undefined,
  options: { file?: string; instance?: string; json?: boolean },
): Promise<number> {
  const { lease, client } = await pickInstance(io, { env: envName, instance: parseInstance(options.instance), file: options.file });
  const snapshot = await client.service(service, action);
  if (options.json) printJson(io, snapshot);
  else {
    const where = snapshot.pid ? ` (pid ${snapshot.pid}${snapshot.ports.length ? `, ports ${snapshot.ports.join(', ')}` : ''})` : '';
    printLine(io.stdout, `${service} of ${leaseLabel(lease)}: ${snapshot.state}${where}`);
  }
  return EXIT.ok;
}
