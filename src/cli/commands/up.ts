import type { BerthConfig, EnvironmentConfig } from '../../config/types.js';
import { EXIT } from '../../errors.js';
import { allocate, type Allocation } from '../../ports/allocate.js';
import type { OpenedStore } from '../../store/open-store.js';
import { formatBlock, leaseLabel, servicePortsSummary } from '../../store/lease.js';
import { checkServiceUsers } from '../../supervisor/check-users.js';
import { selectServices } from '../../supervisor/select-services.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import { rangeUse } from '../../ports/lease-report.js';
import { loadEnvironment, openStore, parseInstance, parsePins } from '../context.js';
import { followConfigFile } from '../config-reload.js';
import { environmentRanges } from '../instance-ranges.js';
import { onSignal, type CliIo } from '../io.js';
import { createSupervisor } from '../start-supervisor.js';
import { PrefixedOutput, useColor } from '../prefixed-output.js';
import { serveControl } from '../serve-control.js';
import { holdYoungGeneration, releaseWhenSettled } from '../idle-heap.js';
import type { UpView } from '../up-view.js';
import { reportWhenSettled, upDetached } from './up-detached.js';

export interface UpOptions {
  file?: string;
  instance?: string;
  only?: string;
  port?: string[];
  tui?: boolean;
  detach?: boolean;
  json?: boolean;
  /** false with --no-reload: do not follow edits of ports.yaml. */
  reload?: boolean;
  /** false with the hidden --no-color, which the detached berth gets: no colour, whatever the environment says. */
  color?: boolean;
}


/**
 * `berth up [ENV]`: take a block, start every service, supervise them, stop them all on
 * Ctrl-C / SIGTERM / SIGHUP or q in the dashboard (a second one kills at once), give the block
 * back. In a terminal it opens the dashboard on its own instance; `--no-tui` or output to a
 * pipe or file keep the prefixed lines.
 */
export async function upCommand(io: CliIo, envName: string | undefined, options: UpOptions, argv: readonly string[] = []): Promise<number> {
  if (options.detach) return upDetached(io, argv, options, envName);
  // The start allocates in a burst: the young generation may not grow until the stack settled
  // (idle-heap.ts), so an idle stack does not sit on 30 MiB of heap for 8 s.
  holdYoungGeneration();
  const { config, env } = loadEnvironment(io, options.file, envName);
  const only = options.only?.split(',').map((name) => name.trim()).filter(Boolean);
  if (only) selectServices(env, only); // a bad --only is a usage error before any port is taken
  checkServiceUsers(config, env, selectServices(env, only), { cwd: io.cwd }); // so is a user: berth cannot become

  // Signals are ours from here on: one that comes while ports are being taken stops the
  // stack as soon as it exists, instead of killing berth with a lease half made.
  let interrupts = 0;
  let supervisor: Supervisor | undefined;
  let view: UpView | undefined;
  const interrupt = (why: string) => {
    interrupts += 1;
    if (!supervisor) return; // acted on once the supervisor exists
    if (interrupts === 1) {
      view?.note(`${why}: stopping every service (again to kill at once)`);
      void supervisor.stop();
    } else {
      view?.note(`${why} again: killing every service`);
      supervisor.kill();
    }
  };
  const unsubscribe = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => onSignal(io, signal, () => interrupt(signal)));
  try {
    const store = openStore(io);
    const allocation = await allocate({ store, config, env, instance: parseInstance(options.instance), pins: parsePins(options.port) });
    const tui = options.tui !== false && io.stdout.isTTY === true;
    // One decision for berth's own output and the services' FORCE_COLOR (the dashboard needs a terminal, so it is the same).
    const color = options.color !== false && useColor(io.stdout, io.env);
    return await supervise(io, { config, env, store, allocation, only, tui, color, interrupt, reload: options.reload !== false }, (created, shown) => {
      supervisor = created;
      view = shown;
      if (interrupts > 0) {
        shown.note('stopping: a signal came while starting');
        void created.stop();
      }
    });
  } finally {
    for (const off of unsubscribe) off();
  }
}

async function supervise(
  io: CliIo,
  input: {
    config: BerthConfig;
    env: EnvironmentConfig;
    store: OpenedStore;
    allocation: Allocation;
    only: string[] | undefined;
    tui: boolean;
    /** berth shows colour: its names are coloured and every service gets FORCE_COLOR=1. */
    color: boolean;
    interrupt: (why: string) => void;
    reload: boolean;
  },
  created: (supervisor: Supervisor, view: UpView) => void,
): Promise<number> {
  const { config, env, store, allocation, only } = input;
  const { lease } = allocation;
  const plain = new PrefixedOutput(io.stdout, env.services.map((service) => service.name), input.color);
  const supervisor = await createSupervisor(
    { config, env, allocation, store, only, vars: io.env, color: input.color },
    { stream: io.stdout, lines: (service, lines) => view.lines(service, lines) },
  );
  const ranges = async () => rangeUse(environmentRanges(config, env.name), await store.list());
  // The dashboard (and blessed) is loaded only when it is shown.
  const view: UpView = input.tui ? (await import('../up-dashboard.js')).dashboardView(supervisor, input.interrupt, input.color, ranges) : plainView(plain);

  const ports = servicePortsSummary(lease);
  view.note(`${leaseLabel(lease)} on ${lease.ports ? formatBlock(lease.ports) : 'no ports'}${ports ? ` (${ports})` : ''} — ${input.tui ? 'q' : 'Ctrl-C'} stops it`);
  supervisor.on((event) => {
    if (event.type === 'note') view.note(event.service ? `${event.service}: ${event.message}` : event.message);
    if (event.type !== 'state') return;
    const { name, state, reason, exitCode, ports: own } = event.service;
    if (state === 'ready') view.note(`${name} ready${own.length ? ` on ${own.join(', ')}` : ''}`);
    else if (state === 'failed') view.note(`${name} failed: ${reason ?? 'unknown reason'}`);
    else if (state === 'exited') view.note(`${name} exited with code ${exitCode ?? 0}`);
  });

  created(supervisor, view);
  let code: number;
  try {
    const control = await serveControl(store, supervisor).catch((error: unknown) => {
      view.note(`no control socket (berth ps/down/logs will not reach this instance): ${(error as Error).message}`);
      return null;
    });
    reportWhenSettled(supervisor, Math.max(...env.services.map((service) => service.readyTimeoutMs)));
    const cancelHeapRelease = releaseWhenSettled(supervisor, 2 * Math.max(...env.services.map((service) => service.readyTimeoutMs)));
    await supervisor.watchFiles();
    const stopFollowing = input.reload ? followConfigFile(io, config.file, env.name, supervisor, (message) => view.note(message)) : null;
    supervisor.start();
    code = await supervisor.whenEnded();
    cancelHeapRelease();
    await stopFollowing?.();
    await control?.close();
  } finally {
    view.close(); // the terminal is given back however berth ends
  }
  plain.note(`stopped; released ${leaseLabel(lease)}`);
  return code === 0 ? EXIT.ok : EXIT.failed;
}

function plainView(output: PrefixedOutput): UpView {
  return { lines: (service, lines) => output.lines(service, lines), note: (message) => output.note(message), close: () => {} };
}
