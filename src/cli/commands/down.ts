import { EXIT } from '../../errors.js';
import { leaseLabel } from '../../store/lease.js';
import { listInstances, pickInstance, type Instance } from '../instances.js';
import { parseInstance } from '../context.js';
import { printJson, printLine, type CliIo } from '../io.js';

/** One instance `down` stopped: the supervisor's exit code (0 when every service stopped in time). */
interface Stopped {
  project: string;
  env: string;
  instance: number;
  exitCode: number;
}

/**
 * `berth down [ENV] [--instance N] [--all] [--json]`: graceful stop of running instances of this
 * project; waits until each has stopped. Exit 0 when every service stopped in time, 1 when one was killed.
 */
export async function downCommand(io: CliIo, envName: string | undefined, options: { file?: string; instance?: string; all?: boolean; json?: boolean }): Promise<number> {
  const targets = options.all
    ? (await listInstances(io, { file: options.file })).filter((instance) => instance.client && (envName === undefined || instance.lease.env === envName))
    : [await pickInstance(io, { env: envName, instance: parseInstance(options.instance), file: options.file })];
  // Each said as it stops; --json says them all at the end, in one document.
  const say = (entry: Stopped) => {
    if (!options.json) printLine(io.stdout, `stopped ${leaseLabel(entry)}${entry.exitCode === 0 ? '' : ' (a service had to be killed)'}`);
  };
  const stopped = (await Promise.all(targets.map((target) => stopOne(target, say)))).filter((entry): entry is Stopped => entry !== null);
  if (options.json) printJson(io, { stopped });
  else if (stopped.length === 0) printLine(io.stdout, 'no running instances of this project');
  return stopped.every((entry) => entry.exitCode === 0) ? EXIT.ok : EXIT.failed;
}

async function stopOne({ lease, client }: Instance, say: (entry: Stopped) => void): Promise<Stopped | null> {
  if (!client) return null;
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
  const entry = { project: lease.project, env: lease.env, instance: lease.instance, exitCode };
  say(entry);
  return entry;
}
