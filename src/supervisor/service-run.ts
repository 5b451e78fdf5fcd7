import { randomBytes } from 'node:crypto';
import type { ServiceConfig } from '../config/types.js';
import type { Clock } from './clock.js';
import { OutputPump, type LinesSink } from './output-pump.js';
import { ProcessTree, SHARED_READ_AGE_MS, type ProcessOps } from './process-tree.js';
import { resolveRunAs } from './run-as.js';
import type { LaunchSpec } from './service-env.js';
import type { SpawnService } from './spawn-process.js';
import { stopInStages, type StopOutcome } from './staged-stop.js';
import type { Watchdog } from './watchdog.js';

export interface RunHooks {
  spawn: SpawnService;
  clock: Clock;
  watchdog: Watchdog | null;
  /** The project folder, for node_modules/.bin on PATH. */
  root: string;
  sink: LinesSink;
  /** The OS as the run's process tree sees it (default: the real one). */
  processes?: ProcessOps;
}

/**
 * Run markers: one random prefix per berth process, then a count — unique on the machine, and
 * without a call into OpenSSL per spawn. Lowercase hex, as the watchdog matches it.
 */
const markerPrefix = randomBytes(8).toString('hex');
let markerCount = 0;

export function nextMarker(): string {
  markerCount += 1;
  return markerPrefix + markerCount.toString(16).padStart(4, '0');
}

/** How a run ended: the leader's exit, and how its stop went when it was stopped. */
export interface RunEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** null when the whole tree ended on its own. */
  stop: StopOutcome | null;
  endedAt: number;
}

/** The user a run's processes run as: its `user:`, else berth's own. */
function runUid(launch: LaunchSpec): number | undefined {
  if (launch.runAs) {
    const resolved = resolveRunAs(launch.runAs);
    return resolved.ok ? resolved.runAs.uid : undefined;
  }
  return process.getuid?.();
}

/** Once the tree is gone, how long output pipes held by a stray process are waited for. */
const PIPE_GRACE_MS = 1000;

/**
 * One run of a service: the process tree a spawn started, from spawn until it is fully gone.
 * `ended` resolves only when the leader exited, no process of the tree is left (when the leader
 * ends, whatever it left behind is stopped in stages too, as a container's processes are when
 * its main process ends) and the output is drained or cut — so the next run never overlaps.
 */
export class ServiceRun {
  readonly pid: number;
  readonly tree: ProcessTree;
  readonly startedAt: number;
  readonly ended: Promise<RunEnd>;
  /** Set when the run was asked to stop (not when it ended on its own). */
  stopRequested = false;
  /** Why the run never became ready, once its readiness check failed. */
  notReady: string | null = null;
  wasReady = false;
  readonly #config: ServiceConfig;
  readonly #hooks: RunHooks;
  readonly #pump: OutputPump;
  #stopping: Promise<StopOutcome> | null = null;
  #giveUp: (() => void) | null = null;
  #textWaiters = new Set<(lines: Buffer) => void>();

  private constructor(pid: number, child: ReturnType<SpawnService>['child'], marker: string, launch: LaunchSpec, config: ServiceConfig, hooks: RunHooks) {
    this.pid = pid;
    this.tree = new ProcessTree(pid, marker, hooks.processes, { ports: launch.ports, uid: runUid(launch) });
    this.startedAt = hooks.clock.now();
    this.#config = config;
    this.#hooks = hooks;
    this.#pump = new OutputPump(child.stdout, child.stderr, (stream, lines) => {
      for (const waiter of this.#textWaiters) waiter(lines);
      return hooks.sink(stream, lines);
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      // A leader that outlives even SIGKILL (uninterruptible sleep) is given up on.
      this.#giveUp = () => resolve({ code: null, signal: null });
    });
    this.ended = this.#end(exited);
  }

  /** Spawns a run of `launch`; the reason when it could not start. */
  static async start(launch: LaunchSpec, config: ServiceConfig, hooks: RunHooks): Promise<ServiceRun | { error: string }> {
    const marker = nextMarker();
    // The marker goes into the environment as it is merged for the spawn: no copy of the
    // service's ~N-sibling environment of its own per run.
    const { child, spawnError } = hooks.spawn({ ...launch, marker }, { preferLocalFrom: hooks.root });
    if (child.pid === undefined) return { error: await spawnError };
    hooks.watchdog?.watch({ pgid: child.pid, marker, signal: config.stopSignal, timeoutMs: config.stopTimeoutMs });
    return new ServiceRun(child.pid, child, marker, launch, config, hooks);
  }

  async #end(exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>): Promise<RunEnd> {
    const exit = await exited;
    let stop = this.#stopping ? await this.#stopping : null;
    if (stop === null && !this.tree.isGone()) stop = await this.#terminate();
    // The tree is gone; a pipe still open belongs to a process outside it.
    const clock = this.#hooks.clock;
    let grace: unknown = null;
    await Promise.race([this.#pump.drained, new Promise<void>((resolve) => (grace = clock.setTimeout(() => resolve(this.#pump.cut()), PIPE_GRACE_MS)))]);
    clock.clearTimeout(grace);
    await this.#pump.drained;
    this.#hooks.watchdog?.forget(this.pid);
    this.#textWaiters.clear();
    return { ...exit, stop, endedAt: this.#hooks.clock.now() };
  }

  /** Stops the whole tree in stages (stop_signal, stop_timeout, SIGKILL); resolves once the run ended. */
  async stop(): Promise<RunEnd> {
    this.stopRequested = true;
    await this.#terminate();
    return this.ended;
  }

  #terminate(): Promise<StopOutcome> {
    this.#stopping ??= stopInStages(this.tree, { signal: this.#config.stopSignal, timeoutMs: this.#config.stopTimeoutMs, clock: this.#hooks.clock }).then((outcome) => {
      if (outcome === 'stuck') this.#giveUp?.();
      return outcome;
    });
    return this.#stopping;
  }

  /** Ends the run's tree when its readiness check failed; the run then ends as usual. */
  abandon(reason: string): void {
    this.notReady = reason;
    void this.#terminate();
  }

  /** SIGKILL to the whole tree at once (a second Ctrl-C). */
  kill(): void {
    this.stopRequested = true;
    this.tree.signal('SIGKILL');
    this.tree.scan(SHARED_READ_AGE_MS);
    this.tree.signalFound('SIGKILL');
  }

  resumeOutput(): void {
    this.#pump.resume();
  }

  /** Resolves true when a line holding `text` arrives, false if `signal` aborts first. */
  waitForText(text: string, signal: AbortSignal): Promise<boolean> {
    const needle = Buffer.from(text);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        this.#textWaiters.delete(waiter);
        signal.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const waiter = (lines: Buffer) => {
        if (lines.indexOf(needle) !== -1) done(true);
      };
      const onAbort = () => done(false);
      if (signal.aborted) return resolve(false);
      this.#textWaiters.add(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
