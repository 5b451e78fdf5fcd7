import { EXIT, UsageError } from '../../errors.js';
import { leaseLabel } from '../../store/lease.js';
import { Dashboard } from '../../tui/dashboard.js';
import { TopModel } from '../../tui/top-model.js';
import { colorWanted } from '../color.js';
import { listInstances } from '../instances.js';
import { onSignal, type CliIo } from '../io.js';

/**
 * `berth top`: the dashboard of every running instance on this machine, through their control
 * sockets. q closes the view; the stacks keep running.
 */
export async function topCommand(io: CliIo, options: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream } = {}): Promise<number> {
  if (!io.stdout.isTTY && !options.output) throw new UsageError('berth top needs a terminal (stdout is not one); use berth ps for a list');
  let dashboard: Dashboard | undefined;
  const model = new TopModel(
    async () => (await listInstances(io, { all: true })).map(({ lease, client }) => ({ lease, control: client })),
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
      ...(options.input ? { input: options.input } : {}),
      ...(options.output ? { output: options.output } : {}),
      onQuit: close,
    });
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
