import { isatty } from 'node:tty';
import type { BerthConfig, EnvironmentConfig } from '../config/types.js';
import { EXIT } from '../errors.js';
import { inTerminalForeground } from '../platform/foreground-group.js';
import type { Allocation } from '../ports/allocate.js';
import type { OpenedStore } from '../store/open-store.js';
import { formatBlock, leaseLabel, servicePortsSummary } from '../store/lease.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { instanceVariables } from './instance-variables.js';
import type { CliIo } from './io.js';
import { useColor } from './prefixed-output.js';
import { signalExitCode, startCommand, type RunningCommand } from './run-child.js';
import { RunOutput } from './run-output.js';
import { watchWhileCommandRuns } from './run-watch.js';
import { createSupervisor } from './start-supervisor.js';
import { serveControl } from './serve-control.js';
import { onceSettled, type Settled } from './stack-settled.js';

export interface RunInput {
  config: BerthConfig;
  env: EnvironmentConfig;
  store: OpenedStore;
  allocation: Allocation;
  only: string[] | undefined;
}

/**
 * One `berth run`: the stack of an allocated instance, then CMD once every service is ready,
 * then the stack stopped. Signals may come at any point (`interrupt`): before CMD they stop
 * the stack; while CMD runs they go to CMD (the stack stops when it exits); a second one kills
 * CMD and every service at once.
 */
export class RunSession {
  readonly #io: CliIo;
  readonly #cmd: readonly string[];
  readonly #quiet: boolean;
  #interrupts = 0;
  #signal: NodeJS.Signals | null = null;
  #interrupted!: (signal: NodeJS.Signals) => void;
  readonly #whenInterrupted = new Promise<NodeJS.Signals>((resolve) => (this.#interrupted = resolve));
  #supervisor: Supervisor | null = null;
  #output: RunOutput | null = null;
  #child: RunningCommand | null = null;
  #killedChild = false;

  constructor(io: CliIo, cmd: readonly string[], options: { quiet: boolean }) {
    this.#io = io;
    this.#cmd = cmd;
    this.#quiet = options.quiet;
  }

  interrupt(signal: NodeJS.Signals): void {
    this.#interrupts += 1;
    const child = this.#child?.running ? this.#child : null;
    if (this.#interrupts > 1) {
      this.#output?.note(`${signal} again: killing ${child ? `${this.#name} and ` : ''}every service`);
      if (child) {
        this.#killedChild = true;
        child.signal('SIGKILL');
      }
      this.#supervisor?.kill();
      return;
    }
    this.#signal = signal;
    this.#interrupted(signal);
    if (child) {
      // A Ctrl-C typed in the terminal already reached CMD (it is in the terminal's foreground
      // group with berth): a second SIGINT would make many test runners quit without a report.
      const reached = signal === 'SIGINT' && [0, 1, 2].some((fd) => isatty(fd)) && child.pid !== undefined && inTerminalForeground(child.pid);
      if (!reached) child.signal(signal);
      this.#output?.note(`${signal} ${reached ? 'reached' : 'passed on to'} ${this.#name}${reached ? ' from the terminal' : ''}; the stack stops when it exits (again to kill at once)`);
    } else if (this.#supervisor) {
      this.#output?.note(`${signal}: stopping every service (again to kill at once)`);
      void this.#supervisor.stop();
    }
  }

  get #name(): string {
    return this.#cmd[0] as string;
  }

  /** Runs the stack and CMD; resolves with berth's exit code once the lease is released. */
  async run({ config, env, store, allocation, only }: RunInput): Promise<number> {
    const { lease } = allocation;
    const io = this.#io;
    if (this.#signal) {
      await allocation.holds.release();
      await store.release(lease.id);
      return signalExitCode(this.#signal);
    }
    const color = !this.#quiet && useColor(io.stderr, io.env);
    const output = new RunOutput(io.stderr, env.services.map((service) => service.name), { color, quiet: this.#quiet });
    const supervisor = await createSupervisor(
      { config, env, allocation, store, only, vars: io.env, color },
      { stream: io.stderr, lines: (service, lines) => output.lines(service, lines) },
    );
    this.#supervisor = supervisor;
    this.#output = output;

    const ports = servicePortsSummary(lease);
    output.note(`${leaseLabel(lease)} on ${lease.ports ? formatBlock(lease.ports) : 'no ports'}${ports ? ` (${ports})` : ''}: starting`);
    let starting = true;
    supervisor.on((event) => {
      if (event.type === 'note') output.note(event.service ? `${event.service}: ${event.message}` : event.message);
      if (event.type !== 'state' || !starting) return;
      const { name, state, exitCode, ports: own } = event.service;
      if (state === 'ready') output.note(`${name} ready${own.length ? ` on ${own.join(', ')}` : ''}`);
      else if (state === 'exited') output.note(`${name} exited with code ${exitCode ?? 0}`);
    });
    const control = await serveControl(store, supervisor).catch((error: unknown) => {
      output.note(`no control socket (berth ps/logs/down will not reach this instance): ${(error as Error).message}`);
      return null;
    });

    let cancelSettled = () => {};
    const settled = new Promise<Settled>((resolve) => {
      cancelSettled = onceSettled(supervisor, 2 * Math.max(...env.services.map((service) => service.readyTimeoutMs)), resolve);
    });
    supervisor.start();
    const first = await Promise.race([settled, this.#whenInterrupted, supervisor.whenEnded().then(() => 'ended' as const)]);
    cancelSettled();
    starting = false;

    let code: number;
    if (this.#signal) code = signalExitCode(this.#signal);
    else if (first === 'ended') {
      output.problem(`the stack ended before every service was ready; ${this.#name} did not run`);
      code = EXIT.failed;
    } else if (typeof first === 'object' && !first.ok) {
      const failed = first.failed;
      output.problem(failed ? `${failed.name} ${failed.reason ? `failed: ${failed.reason}` : 'was not ready in time'}` : 'a service was not ready in time', failed?.lines ?? []);
      output.problem(`the stack never got ready; ${this.#name} did not run`);
      code = EXIT.failed;
    } else {
      code = await this.#runCommand(supervisor, output, instanceVariables(config, env, lease));
    }

    void supervisor.stop();
    await supervisor.whenEnded();
    await control?.close();
    output.note(`stopped; released ${leaseLabel(lease)}`);
    return code;
  }

  /** CMD with the instance's variables, services watched meanwhile; resolves with its exit code. */
  async #runCommand(supervisor: Supervisor, output: RunOutput, vars: Record<string, string>): Promise<number> {
    output.note(`every service is ready: running ${this.#cmd.join(' ')}`);
    const child = startCommand(this.#cmd, { cwd: this.#io.cwd, env: { ...this.#io.env, ...vars } });
    this.#child = child;
    const stopWatching = watchWhileCommandRuns(supervisor, output, this.#name, () => {
      output.problem(`the stack is being stopped (berth down): sending SIGTERM to ${this.#name}`);
      child.signal('SIGTERM');
    });
    const end = await child.ended;
    stopWatching();
    this.#child = null;
    if (child.pid === undefined) output.problem(`${this.#name}: ${end.how}`);
    else output.note(`${this.#name} ${end.how}: stopping every service`);
    return this.#killedChild && this.#signal ? signalExitCode(this.#signal) : end.exitCode;
  }
}
