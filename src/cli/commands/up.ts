import path from 'node:path';
import { ControlServer } from '../../control/control-server.js';
import { EXIT } from '../../errors.js';
import { allocate } from '../../ports/allocate.js';
import { formatBlock, leaseLabel, servicePortsSummary } from '../../store/lease.js';
import type { BerthConfig, EnvironmentConfig } from '../../config/types.js';
import type { Allocation } from '../../ports/allocate.js';
import type { FileLeaseStore } from '../../store/file-store.js';
import { selectServices, Supervisor } from '../../supervisor/supervisor.js';
import { loadEnvironment, openStore, parseInstance, parsePins } from '../context.js';
import type { CliIo } from '../io.js';
import { reportWhenSettled, upDetached } from './up-detached.js';
import { PrefixedOutput, useColor } from '../prefixed-output.js';

export interface UpOptions {
  file?: string;
  instance?: string;
  only?: string;
  port?: string[];
  tui?: boolean;
  detach?: boolean;
  json?: boolean;
}

/**
 * `berth up [ENV]`: take a block, start every service, supervise them, stop them all on
 * Ctrl-C / SIGTERM / SIGHUP (a second one kills at once), give the block back.
 */
export async function upCommand(io: CliIo, envName: string | undefined, options: UpOptions, argv: readonly string[] = []): Promise<number> {
  if (options.detach) return upDetached(io, argv, options, envName);
  const { config, env } = loadEnvironment(io, options.file, envName);
  const only = options.only?.split(',').map((name) => name.trim()).filter(Boolean);
  if (only) selectServices(env, only); // a bad --only is a usage error before any port is taken

  // Signals are ours from here on: one that comes while ports are being taken stops the
  // stack as soon as it exists, instead of killing berth with a lease half made.
  const onSignal = io.onSignal ?? ((signal, listener) => {
    process.on(signal, listener);
    return () => process.off(signal, listener);
  });
  let signals = 0;
  let supervisor: Supervisor | undefined;
  let output: PrefixedOutput | undefined;
  const interrupt = (signal: NodeJS.Signals) => () => {
    signals += 1;
    if (!supervisor) return; // acted on once the supervisor exists
    if (signals === 1) {
      output?.note(`${signal}: stopping every service (again to kill at once)`);
      void supervisor.stop();
    } else {
      output?.note(`${signal} again: killing every service`);
      supervisor.kill();
    }
  };
  const unsubscribe = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => onSignal(signal, interrupt(signal)));
  try {
    const store = openStore(io);
    const allocation = await allocate({ store, config, env, instance: parseInstance(options.instance), pins: parsePins(options.port) });
    return await supervise(io, { config, env, store, allocation, only }, (created, out) => {
      supervisor = created;
      output = out;
      if (signals > 0) {
        out.note('stopping: a signal came while starting');
        void created.stop();
      }
    });
  } finally {
    for (const off of unsubscribe) off();
  }
}

async function supervise(
  io: CliIo,
  input: { config: BerthConfig; env: EnvironmentConfig; store: FileLeaseStore; allocation: Allocation; only: string[] | undefined },
  created: (supervisor: Supervisor, output: PrefixedOutput) => void,
): Promise<number> {
  const { config, env, store, allocation, only } = input;
  const { lease } = allocation;

  const output = new PrefixedOutput(io.stdout, env.services.map((service) => service.name), useColor(io.stdout, io.env));
  let supervisor: Supervisor;
  try {
    supervisor = new Supervisor({
      config,
      env,
      allocation,
      store,
      only,
      vars: io.env,
      output: (service, _stream, lines) => {
        const more = output.lines(service, lines);
        if (!more) io.stdout.once?.('drain', () => supervisor.resumeOutput());
        return more;
      },
    });
  } catch (error) {
    await allocation.holds.release();
    await store.release(lease.id);
    throw error;
  }

  const ports = servicePortsSummary(lease);
  output.note(`${leaseLabel(lease)} on ${lease.ports ? formatBlock(lease.ports) : 'no ports'}${ports ? ` (${ports})` : ''} — Ctrl-C stops it`);

  supervisor.on((event) => {
    if (event.type === 'note') output.note(event.service ? `${event.service}: ${event.message}` : event.message);
    if (event.type !== 'state') return;
    const { name, state, reason, exitCode, ports: own } = event.service;
    if (state === 'ready') output.note(`${name} ready${own.length ? ` on ${own.join(', ')}` : ''}`);
    else if (state === 'failed') output.note(`${name} failed: ${reason ?? 'unknown reason'}`);
    else if (state === 'exited') output.note(`${name} exited with code ${exitCode ?? 0}`);
  });

  created(supervisor, output);
  const control = await serveControl(store, supervisor).catch((error: unknown) => {
    output.note(`no control socket (berth ps/down/logs will not reach this instance): ${(error as Error).message}`);
    return null;
  });
  reportWhenSettled(supervisor, Math.max(...env.services.map((service) => service.readyTimeoutMs)));
  supervisor.start();
  const code = await supervisor.whenEnded();
  await control?.close();
  output.note(`stopped; released ${leaseLabel(lease)}`);
  return code === 0 ? EXIT.ok : EXIT.failed;
}

/** The instance's control socket, recorded in its lease so `ps`, `down` and `logs` find it. */
async function serveControl(store: FileLeaseStore, supervisor: Supervisor): Promise<ControlServer> {
  const control = await ControlServer.listen(path.join(store.home, 'sockets', `${supervisor.lease.id}.sock`), supervisor);
  supervisor.lease.socket = control.socketPath;
  await store.update(supervisor.lease.id, { socket: control.socketPath });
  return control;
}
