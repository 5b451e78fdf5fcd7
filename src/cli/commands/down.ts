import { EXIT } from '../../errors.js';
import { leaseLabel } from '../../store/lease.js';
import { listInstances, pickInstance, type Instance } from '../instances.js';
import { parseInstance } from '../context.js';
import { printLine, type CliIo } from '../io.js';

/**
 * `berth down [ENV] [--instance N] [--all]`: graceful stop of running instances of this project;
 * waits until each has stopped. Exit 0 when every service stopped in time, 1 when one was killed.
 */
export async function downCommand(io: CliIo, envName: string | undefined, options: { file?: string; instance?: string; all?: boolean }): Promise<number> {
  const targets = options.all
    ? (await listInstances(io, { file: options.file })).filter((instance) => instance.client && (envName === undefined || instance.lease.env === envName))
    : [await pickInstance(io, { env: envName, instance: parseInstance(options.instance), file: options.file })];
  if (targets.length === 0) {
    printLine(io.stdout, 'no running instances of this project');
    return EXIT.ok;
  }
  const codes = await Promise.all(targets.map((target) => stopOne(io, target)));
  return codes.every((code) => code === 0) ? EXIT.ok : EXIT.failed;
}

async function stopOne(io: CliIo, { lease, client }: Instance): Promise<number> {
  if (!client) return EXIT.ok;
  let exitCode: number = EXIT.failed;
  const abort = new AbortController();
  const ended = client.events((event) => {
    if (event.type === 'ended') {
      exitCode = event.exitCode;
      abort.abort();
    }
  }, abort.signal);
  await client.down();
  await ended;
  printLine(io.stdout, `stopped ${leaseLabel(lease)}${exitCode === 0 ? '' : ' (a service had to be killed)'}`);
  return exitCode === 0 ? EXIT.ok : EXIT.failed;
}
