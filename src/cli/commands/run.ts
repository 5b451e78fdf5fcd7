import { allocate } from '../../ports/allocate.js';
import { checkServiceUsers } from '../../supervisor/check-users.js';
import { selectServices } from '../../supervisor/select-services.js';
import { loadEnvironment, openStore, parseInstance } from '../context.js';
import { onSignal, type CliIo } from '../io.js';
import { splitRunArguments } from '../run-arguments.js';
import { RunSession } from '../run-session.js';

export interface RunOptions {
  file?: string;
  instance?: string;
  only?: string;
  quiet?: boolean;
}

/**
 * `berth run [ENV] -- CMD [ARG...]` (CI mode): take a block, start the services, wait until
 * every one is ready, run CMD with the instance's variables, stop everything, exit with CMD's
 * code. `operands` are commander's; `argv` the command line, where CMD is found after `--`.
 */
export async function runCommand(io: CliIo, operands: readonly string[], options: RunOptions, argv: readonly string[]): Promise<number> {
  const { envName, cmd } = splitRunArguments(operands, argv);
  const { config, env } = loadEnvironment(io, options.file, envName);
  const only = options.only?.split(',').map((name) => name.trim()).filter(Boolean);
  const selected = selectServices(env, only); // a bad --only is a usage error before any port is taken
  checkServiceUsers(config, env, selected, { cwd: io.cwd });
  const instance = parseInstance(options.instance);

  // Signals are ours from here on: one that comes while ports are being taken ends the run
  // as soon as the lease exists, instead of killing berth with a lease half made.
  const session = new RunSession(io, cmd, { quiet: options.quiet === true });
  const unsubscribe = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => onSignal(io, signal, () => session.interrupt(signal)));
  try {
    const store = openStore(io);
    const allocation = await allocate({ store, config, env, instance });
    return await session.run({ config, env, store, allocation, only });
  } finally {
    for (const off of unsubscribe) off();
  }
}
