import { ControlClient } from '../../control/control-client.js';
import { EXIT, UsageError } from '../../errors.js';
import { leaseLabel, type LeaseView } from '../../store/lease.js';
import { Dashboard } from '../../tui/dashboard.js';
import { TopModel, type FoundInstance } from '../../tui/top-model.js';
import { colorWanted } from '../color.js';
import { openStore } from '../context.js';
import { InstanceRanges } from '../instance-ranges.js';
import { onSignal, type CliIo } from '../io.js';

/**
 * `berth top`: the dashboard of every running instance on this machine, through their control
 * sockets; stale ones shown as such with the reason. q closes the view; the stacks keep running.
 */
export async function topCommand(io: CliIo, options: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream; project?: string } = {}): Promise<number> {
  if (!io.stdout.isTTY && !options.output) throw new UsageError('berth top needs a terminal (stdout is not one); use berth ps for a list');
  let dashboard: Dashboard | undefined;
  const ranges = new InstanceRanges(io.env);
  const clients = new Map<string, ControlClient>();
  const model = new TopModel(
    () => findInstances(io, ranges, clients),
    () => dashboard?.render(),
    (instance, service, message) => dashboard?.message(`${leaseLabel(instance.lease)}${service ? ` ${service}` : ''}: ${message}`),
  );
  let refresh: NodeJS.Timeout | undefined;
  let close!: () => void;
  const closed = new Promise<void>((resolve) => (close = resolve));
  const offs = (['SIGTERM', 'SIGHUP'] as const).map((signal) => onSignal(io, signal, close));
  try {
    dashboard = new Dashboard({
      model,
      mode: 'top',
      color: colorWanted(io.env, true), // the dashboard is always on a terminal
      title: 'berth top',
      env: io.env,
      ...(options.input ? { input: options.input } : {}),
      ...(options.output ? { output: options.output } : {}),
      onQuit: close,
    });
    if (options.project) dashboard.project = options.project;
    await model.refresh();
    refresh = setInterval(() => void model.refresh(), 1000);
    await closed;
  } finally {
    for (const off of offs) off();
    if (refresh) clearInterval(refresh);
    model.close();
    dashboard?.destroy(); // restores the terminal, on q, on a signal and on an error alike
  }
  return EXIT.ok;
}

/** Every supervisor's lease in the store, with a client for those that answer and the reason for those that do not. */
async function findInstances(io: CliIo, ranges: InstanceRanges, clients: Map<string, ControlClient>): Promise<FoundInstance[]> {
  const leases = await openStore(io).list();
  return Promise.all(
    leases
      .filter((lease) => !lease.reserved)
      .map(async (lease): Promise<FoundInstance> => {
        const found = { lease, ranges: ranges.of(lease, leases) };
        const stale = staleReason(lease);
        if (stale || !lease.socket) return { ...found, control: null, stale: stale ?? 'no control socket recorded' };
        const client = clients.get(lease.id) ?? new ControlClient(lease.socket, { timeoutMs: 2000 });
        clients.set(lease.id, client);
        try {
          await client.instance();
          return { ...found, control: client };
        } catch (error) {
          return { ...found, control: null, stale: `its control socket does not answer (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
        }
      }),
  );
}

function staleReason(lease: LeaseView): string | undefined {
  if (lease.invalid) return `invalid lease: ${lease.invalid}`;
  if (lease.stale) return `owner pid ${lease.owner.pid} is gone (berth gc reclaims it)`;
  return undefined;
}
