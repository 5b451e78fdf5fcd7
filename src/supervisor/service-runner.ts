import { existsSync } from 'node:fs';
import type { ServiceConfig } from '../config/types.js';
import { RestartBackoff } from './backoff.js';
import type { Clock } from './clock.js';
import { LogRing } from './log-ring.js';
import type { OutputStream } from './output-pump.js';
import { awaitReadiness } from './run-readiness.js';
import { decideAfterExit } from './restart-policy.js';
import type { LaunchSpec } from './service-env.js';
import type { ProcessOps } from './process-tree.js';
import { ServiceRun, type RunEnd } from './service-run.js';
import { FINAL_STATES, type ServiceInfo, type ServiceSnapshot, type ServiceState } from './service-state.js';
import type { SpawnService } from './spawn-process.js';
import type { Watchdog } from './watchdog.js';

export interface RunnerHooks {
  spawn: SpawnService;
  clock: Clock;
  watchdog: Watchdog | null;
  /** The project folder, for node_modules/.bin on PATH. */
  root: string;
  /** Called just before the first spawn: release the probe sockets held on this service's ports. */
  beforeFirstSpawn: () => Promise<void>;
  /** Whole lines of output; false asks the runner to pause until `resumeOutput`. */
  output: (service: string, stream: OutputStream, lines: Buffer) => boolean;
  /** A line of berth's own about this service. */
  note: (service: string, message: string) => void;
  changed: (snapshot: ServiceSnapshot) => void;
  /** The OS as process trees see it (default: the real one); tests pass a fake. */
  processes?: ProcessOps;
}

/**
 * One service as a state machine (states in service-state.ts), one run at a time. Every
 * transition that acts — start, stop, restart, a restart after backoff — runs as one step of a
 * queue, so no two interleave; a run is fully gone (its tree ended, its output drained or cut)
 * before the next one spawns. A run that ends on its own goes through the restart policy.
 */
export class ServiceRunner {
  readonly config: ServiceConfig;
  readonly launch: LaunchSpec;
  readonly log: LogRing;
  readonly #hooks: RunnerHooks;
  readonly #backoff = new RestartBackoff();
  #state: ServiceState = 'pending';
  #reason: string | null = null;
  #run: ServiceRun | null = null;
  #restarts = 0;
  #manualRestarts = 0;
  /** How the run before the current one ended (`0`, `1`, `SIGTERM`), for the dashboard. */
  #lastExit: string | null = null;
  #exitCode: number | null = null;
  #signal: string | null = null;
  #startedAt: number | null = null;
  #killedOnStop = false;
  #firstSpawn = true;
  #backoffTimer: unknown = null;
  /** The queue of transitions: each step starts when the one before it has finished. */
  #steps: Promise<void> = Promise.resolve();
  /** Steps queued and not finished yet. */
  #queued = 0;
  #readyWaiters: ((ready: boolean) => void)[] = [];
  #endWaiters: (() => void)[] = [];

  constructor(config: ServiceConfig, launch: LaunchSpec, hooks: RunnerHooks, logBytes?: number) {
    this.config = config;
    this.launch = launch;
    this.#hooks = hooks;
    this.log = new LogRing(logBytes);
  }

  get name(): string {
    return this.config.name;
  }

  get state(): ServiceState {
    return this.#state;
  }

  get isFinal(): boolean {
    return FINAL_STATES.has(this.#state);
  }

  /** Whether its last stop needed SIGKILL. */
  get killedOnStop(): boolean {
    return this.#killedOnStop;
  }

  snapshot(): ServiceSnapshot {
    return {
      name: this.name,
      state: this.#state,
      pid: this.#run?.pid ?? null,
      ports: this.launch.ports,
      restarts: this.#restarts,
      ready: this.#state === 'ready',
      exitCode: this.#exitCode,
      signal: this.#signal,
      startedAt: this.#startedIso(),
      reason: this.#reason,
      manualRestarts: this.#manualRestarts,
      lastExit: this.#lastExit,
      info: this.#info(),
    };
  }

  /** `startedAt` as ISO text, made once per run: a stack of 200 takes 200 × 200 snapshots while it starts. */
  #startedText: { at: number; text: string } | null = null;

  #startedIso(): string | null {
    const at = this.#startedAt;
    if (at === null) return null;
    if (this.#startedText?.at !== at) this.#startedText = { at, text: new Date(at).toISOString() };
    return this.#startedText.text;
  }

  /** What the dashboard shows of the service; config and launch never change, so it is built once. */
  #infoCache: ServiceInfo | null = null;

  #info(): ServiceInfo {
    return (this.#infoCache ??= this.#buildInfo());
  }

  #buildInfo(): ServiceInfo {
    const { config, launch } = this;
    const ready = config.ready.kind === 'http' ? `http ${config.ready.path}` : config.ready.kind === 'log' ? `log ${JSON.stringify(config.ready.text)}` : config.ready.kind;
    return {
      command: launch.shell ? launch.file : [launch.file, ...launch.args].join(' '),
      cwd: launch.cwd,
      user: config.user,
      portNames: config.portNames ?? [],
      envKeys: Object.keys(launch.env).sort(),
      dependsOn: config.dependsOn,
      ready,
      restart: config.restart,
    };
  }

  /** The current run's process group and marker, while one runs. */
  get currentRun(): { pgid: number; marker: string } | null {
    return this.#run ? { pgid: this.#run.pid, marker: this.#run.tree.marker as string } : null;
  }

  /** Resolves true when the service is ready, false when it ends up failed/stopped first. */
  whenReady(): Promise<boolean> {
    if (this.#state === 'ready') return Promise.resolve(true);
    if (this.isFinal && this.#queued === 0) return Promise.resolve(false);
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** Resolves when the service is in a final state. */
  whenEnded(): Promise<void> {
    if (this.isFinal && this.#queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.#endWaiters.push(resolve));
  }

  /** Marks a service that will never start because `reason`. */
  skip(reason: string): void {
    if (this.#state === 'pending' && this.#queued === 0) this.#set('skipped', reason);
  }

  /** Starts a service that is pending or has ended (stopped, exited, failed); false otherwise. */
  start(): boolean {
    if (this.#queued > 0 || !(this.#state === 'pending' || this.isFinal)) return false;
    void this.#step(async () => {
      this.#backoff.reset();
      await this.#spawn();
    });
    return true;
  }

  /** Stops the service (its whole tree) and starts it again on the same ports; resolves once the new run spawned. */
  restart(): Promise<void> {
    return this.#step(async () => {
      this.#cancelBackoff();
      if (this.#run) await this.#stopRun(this.#run);
      this.#restarts += 1;
      this.#manualRestarts += 1;
      this.#backoff.reset();
      await this.#spawn();
    });
  }

  /** Graceful stop of the whole tree: stop_signal, stop_timeout, SIGKILL. The service stays stopped. */
  stop(): Promise<void> {
    return this.#step(async () => {
      this.#cancelBackoff();
      if (this.#run) await this.#stopRun(this.#run);
      if (!this.isFinal) this.#set('stopped', null);
    });
  }

  /** SIGKILL to the whole tree at once (a second Ctrl-C); a stop already under way then ends at once. */
  kill(): void {
    this.#cancelBackoff();
    if (!this.#run) return;
    this.#killedOnStop = true;
    this.#run.kill();
  }

  resumeOutput(): void {
    this.#run?.resumeOutput();
  }

  #step(action: () => Promise<void>): Promise<void> {
    this.#queued += 1;
    const step = this.#steps.then(action).finally(() => {
      this.#queued -= 1;
      this.#settleWaiters();
    });
    this.#steps = step.catch(() => {});
    return step;
  }

  #cancelBackoff(): void {
    if (this.#backoffTimer === null) return;
    this.#hooks.clock.clearTimeout(this.#backoffTimer);
    this.#backoffTimer = null;
  }

  /** Stops a run in stages and waits until it is fully gone. */
  async #stopRun(run: ServiceRun): Promise<void> {
    // Signalled first, then shown as stopping: a stack stopping at once signals every group
    // before the 200 state changes (and whoever watches them) run.
    const ending = run.stop();
    this.#set('stopping', null);
    const end = await ending;
    this.#detach(run, end);
    if (end.stop === 'killed' || end.stop === 'stuck') {
      this.#killedOnStop = true;
      this.#hooks.note(this.name, `did not stop within ${this.config.stopTimeoutMs} ms of ${this.config.stopSignal}: SIGKILL${end.stop === 'stuck' ? ', and a process outlived even that' : ''}`);
    }
  }

  #detach(run: ServiceRun, end: RunEnd): void {
    if (this.#run !== run) return;
    this.#run = null;
    this.#exitCode = end.code;
    this.#signal = end.signal;
    this.#lastExit = end.signal ?? (end.code === null ? null : String(end.code));
  }

  async #spawn(): Promise<void> {
    if (!existsSync(this.launch.cwd)) return this.#set('failed', `working directory ${this.launch.cwd} does not exist`);
    if (this.#firstSpawn) {
      this.#firstSpawn = false;
      await this.#hooks.beforeFirstSpawn();
    }
    const run = await ServiceRun.start(this.launch, this.config, {
      spawn: this.#hooks.spawn,
      clock: this.#hooks.clock,
      watchdog: this.#hooks.watchdog,
      root: this.#hooks.root,
      processes: this.#hooks.processes,
      sink: (stream, lines) => {
        this.log.add(lines, stream);
        return this.#hooks.output(this.name, stream, lines);
      },
    });
    if (!(run instanceof ServiceRun)) return this.#set('failed', run.error);
    this.#run = run;
    this.#startedAt = run.startedAt;
    this.#exitCode = null;
    this.#signal = null;
    this.#set('starting', null);
    void this.#watchReadiness(run);
    void run.ended.then((end) => {
      if (!run.stopRequested) void this.#step(() => this.#endedOnItsOwn(run, end));
    });
  }

  async #watchReadiness(run: ServiceRun): Promise<void> {
    const outcome = await awaitReadiness(run, this.config, this.launch, this.#hooks.clock);
    if (this.#run !== run || run.stopRequested) return;
    if (outcome.ready) {
      run.wasReady = true;
      this.#set('ready', null);
      return;
    }
    if (outcome.detail === null) return; // the run ended first: its end is reported
    this.#hooks.note(this.name, outcome.detail);
    run.abandon(outcome.detail);
  }

  async #endedOnItsOwn(run: ServiceRun, end: RunEnd): Promise<void> {
    if (this.#run !== run) return; // a stop or restart dealt with it
    this.#detach(run, end);
    const next = decideAfterExit(this.config, { code: end.code, signal: end.signal, notReady: run.notReady, wasReady: run.wasReady, startedAt: run.startedAt, endedAt: end.endedAt }, this.#backoff);
    if (next.action === 'exited') return this.#set('exited', null);
    if (next.action === 'failed') return this.#set('failed', next.reason);
    this.#hooks.note(this.name, next.reason);
    this.#set('backoff', next.reason);
    this.#backoffTimer = this.#hooks.clock.setTimeout(() => {
      this.#backoffTimer = null;
      void this.#step(async () => {
        if (this.#state !== 'backoff') return;
        this.#restarts += 1;
        await this.#spawn();
      });
    }, next.delayMs);
  }

  #set(state: ServiceState, reason: string | null): void {
    this.#state = state;
    this.#reason = reason;
    this.#hooks.changed(this.snapshot());
    this.#settleWaiters();
  }

  /** Ready waiters learn of readiness at once; of an end only once no queued step could still start a run. */
  #settleWaiters(): void {
    if (this.#state === 'ready') for (const resolve of this.#readyWaiters.splice(0)) resolve(true);
    if (!this.isFinal || this.#queued > 0) return;
    for (const resolve of this.#readyWaiters.splice(0)) resolve(false);
    for (const resolve of this.#endWaiters.splice(0)) resolve();
  }
}
