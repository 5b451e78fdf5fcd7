import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ServiceConfig } from '../config/types.js';
import { RestartBackoff } from './backoff.js';
import type { Clock } from './clock.js';
import { LineFramer } from './line-framer.js';
import { LogRing } from './log-ring.js';
import { isGroupAlive, signalGroup, waitForGroupExit } from './process-group.js';
import { waitForHttp, waitForPort } from './readiness.js';
import type { LaunchSpec } from './service-env.js';
import { FINAL_STATES, type ServiceSnapshot, type ServiceState } from './service-state.js';
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
  output: (service: string, stream: 'stdout' | 'stderr', lines: Buffer) => boolean;
  /** A line of berth's own about this service. */
  note: (service: string, message: string) => void;
  changed: (snapshot: ServiceSnapshot) => void;
}

interface Run {
  pgid: number;
  startedAt: number;
  /** Set as soon as the leader process exits. */
  leaderExited: boolean;
  /** Why this run never became ready, when its readiness check failed. */
  notReady: string | null;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  streams: Readable[];
  /** Resolves once the leader exited, the group is gone and the output is drained. */
  finished: Promise<void>;
  ready: AbortController;
}

/**
 * One service: spawn in its own process group, readiness, output, restarts with backoff, and
 * stop in stages (stop_signal to the group, stop_timeout, SIGKILL to the group).
 */
export class ServiceRunner {
  readonly config: ServiceConfig;
  readonly launch: LaunchSpec;
  readonly log: LogRing;
  readonly #hooks: RunnerHooks;
  readonly #backoff = new RestartBackoff();
  #state: ServiceState = 'pending';
  #run: Run | null = null;
  #restarts = 0;
  #ready = false;
  #exitCode: number | null = null;
  #signal: string | null = null;
  #startedAt: number | null = null;
  #reason: string | null = null;
  #stopRequested = false;
  #killedOnStop = false;
  #firstSpawn = true;
  #backoffTimer: unknown = null;
  /** A spawn in flight; a stop waits for it so no process starts behind its back. */
  #spawning: Promise<void> | null = null;
  #paused = false;
  #readyWaiters: ((ready: boolean) => void)[] = [];
  /** Sees every output chunk while a `ready: { log }` check waits. */
  #logWaiter: ((lines: Buffer) => void) | null = null;
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
      pid: this.#run?.pgid ?? null,
      ports: this.launch.ports,
      restarts: this.#restarts,
      ready: this.#ready,
      exitCode: this.#exitCode,
      signal: this.#signal,
      startedAt: this.#startedAt === null ? null : new Date(this.#startedAt).toISOString(),
      reason: this.#reason,
    };
  }

  /** Resolves true when the service is ready, false when it ends up failed/stopped first. */
  whenReady(): Promise<boolean> {
    if (this.#ready) return Promise.resolve(true);
    if (this.isFinal) return Promise.resolve(false);
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** Resolves when the service is in a final state. */
  whenEnded(): Promise<void> {
    if (this.isFinal) return Promise.resolve();
    return new Promise((resolve) => this.#endWaiters.push(resolve));
  }

  /** Marks a service that will never start because `reason`. */
  skip(reason: string): void {
    if (this.#state !== 'pending') return;
    this.#set('skipped', reason);
  }

  /** Starts a service that is pending, or has ended (stopped, exited, failed); false otherwise. */
  start(): boolean {
    if (this.#run || this.#spawning || this.#backoffTimer !== null || !(this.#state === 'pending' || this.isFinal)) return false;
    this.#stopRequested = false;
    this.#backoff.reset();
    this.#beginSpawn();
    return true;
  }

  /** Stops the service if it runs and starts it again; its ports stay the same. */
  async restart(): Promise<void> {
    await this.stop();
    this.#restarts += 1;
    this.start();
  }

  #beginSpawn(): void {
    this.#spawning = this.#spawn().finally(() => {
      this.#spawning = null;
    });
  }

  resumeOutput(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const stream of this.#run?.streams ?? []) stream.resume();
  }

  /** Graceful stop: stop_signal to the group, then SIGKILL after stop_timeout. */
  async stop(): Promise<void> {
    this.#stopRequested = true;
    if (this.#backoffTimer !== null) {
      this.#hooks.clock.clearTimeout(this.#backoffTimer);
      this.#backoffTimer = null;
    }
    if (this.#spawning) await this.#spawning;
    const run = this.#run;
    if (!run) {
      if (!this.isFinal) this.#set('stopped', null);
      return;
    }
    this.#set('stopping', null);
    if (await this.#terminate(run.pgid)) {
      this.#killedOnStop = true;
      this.#hooks.note(this.name, `did not stop within ${this.config.stopTimeoutMs} ms of ${this.config.stopSignal}: SIGKILL`);
    }
    await run.finished;
  }

  /**
   * Stops a process group in stages: stop_signal, then SIGKILL once stop_timeout has passed.
   * Resolves true when SIGKILL was needed, once the group is gone (or 2 s after the SIGKILL).
   */
  async #terminate(pgid: number): Promise<boolean> {
    signalGroup(pgid, this.config.stopSignal);
    if (await waitForGroupExit(pgid, this.config.stopTimeoutMs)) return false;
    signalGroup(pgid, 'SIGKILL');
    await waitForGroupExit(pgid, 2000);
    return true;
  }

  /** SIGKILL to the group at once (a second Ctrl-C). */
  kill(): void {
    this.#stopRequested = true;
    if (this.#run) {
      this.#killedOnStop = true;
      signalGroup(this.#run.pgid, 'SIGKILL');
    }
  }

  async #spawn(): Promise<void> {
    if (!existsSync(this.launch.cwd)) {
      this.#fail(`working directory ${this.launch.cwd} does not exist`);
      return;
    }
    if (this.#firstSpawn) {
      this.#firstSpawn = false;
      await this.#hooks.beforeFirstSpawn();
    }
    if (this.#stopRequested) {
      this.#set('stopped', null);
      return;
    }
    const { child, spawnError } = this.#hooks.spawn(this.launch, { preferLocalFrom: this.#hooks.root });
    if (child.pid === undefined) {
      this.#fail(await spawnError);
      return;
    }
    const pgid = child.pid;
    this.#hooks.watchdog?.watch(pgid);
    const startedAt = this.#hooks.clock.now();
    this.#startedAt = startedAt;
    this.#ready = false;
    this.#exitCode = null;
    this.#signal = null;

    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => {
        run.leaderExited = true;
        resolve({ code, signal });
      });
    });
    const streams = [child.stdout, child.stderr].filter((stream): stream is Readable => stream !== null);
    const drained = Promise.all(streams.map((stream, index) => this.#pump(stream, index === 0 ? 'stdout' : 'stderr')));
    const ready = new AbortController();
    const run: Run = {
      pgid,
      startedAt,
      leaderExited: false,
      notReady: null,
      exited,
      streams,
      ready,
      finished: exited.then(async () => {
        ready.abort();
        // The leader is gone; whatever else it left in its group goes too.
        if (isGroupAlive(pgid)) await this.#terminate(pgid);
        this.#hooks.watchdog?.forget(pgid);
        await drained;
      }),
    };
    this.#run = run;
    this.#set('starting', null);
    void this.#awaitReady(run);
    void run.finished.then(() => exited).then((outcome) => this.#ended(run, outcome));
  }

  #pump(stream: Readable, name: 'stdout' | 'stderr'): Promise<void> {
    const framer = new LineFramer();
    const deliver = (lines: Buffer | null) => {
      if (!lines) return;
      this.log.add(lines);
      if (this.#logWaiter) this.#logWaiter(lines);
      if (!this.#hooks.output(this.name, name, lines) && !this.#paused) {
        this.#paused = true;
        for (const each of this.#run?.streams ?? [stream]) each.pause();
      }
    };
    return new Promise((resolve) => {
      stream.on('data', (chunk: Buffer) => deliver(framer.push(chunk)));
      stream.once('error', () => {});
      stream.once('close', () => {
        deliver(framer.end());
        resolve();
      });
    });
  }

  async #awaitReady(run: Run): Promise<void> {
    const check = this.config.ready;
    const timer = this.#hooks.clock.setTimeout(() => run.ready.abort(), this.config.readyTimeoutMs);
    let ok: boolean;
    const port = this.launch.ports[0];
    if (check.kind === 'none') ok = true;
    else if (check.kind === 'log') ok = await this.#waitForLog(check.text, run.ready.signal);
    else if (port === undefined) ok = true;
    else if (check.kind === 'http') ok = await waitForHttp(port, check.path, run.ready.signal);
    else ok = await waitForPort(port, run.ready.signal);
    this.#hooks.clock.clearTimeout(timer);
    if (this.#run !== run || this.#stopRequested) return;
    if (ok) {
      this.#ready = true;
      this.#set('ready', null);
      for (const resolve of this.#readyWaiters.splice(0)) resolve(true);
      return;
    }
    if (run.leaderExited) return; // the exit handler reports it
    const what = check.kind === 'http' ? `GET ${check.path} on port ${port} never answered 2xx/3xx` : check.kind === 'log' ? `"${check.text}" never appeared in its output` : `port ${port} never accepted a connection`;
    run.notReady = `not ready after ${this.config.readyTimeoutMs} ms: ${what}`;
    this.#hooks.note(this.name, run.notReady);
    await this.#terminate(run.pgid);
  }

  #waitForLog(text: string, signal: AbortSignal): Promise<boolean> {
    const needle = Buffer.from(text);
    // Installed in the tick that spawned the run, before any of its output can arrive; the
    // recent-output buffer is not searched, since it holds earlier runs' lines too.
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        this.#logWaiter = null;
        signal.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = () => done(false);
      this.#logWaiter = (lines) => {
        if (lines.indexOf(needle) !== -1) done(true);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #ended(run: Run, outcome: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (this.#run !== run) return;
    this.#run = null;
    this.#exitCode = outcome.code;
    this.#signal = outcome.signal;
    const endedAt = this.#hooks.clock.now();
    const wasReady = this.#ready;
    this.#ready = false;
    if (this.#stopRequested) {
      this.#set('stopped', null);
      return;
    }
    const success = outcome.code === 0 && run.notReady === null;
    const how = run.notReady ?? (outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`);
    const policy = this.config.restart;
    const restart = policy === 'always' || (policy === 'on-failure' && !success);
    if (!restart) {
      if (success) this.#set('exited', null);
      else this.#fail(wasReady || run.notReady ? how : `${how} before it was ready`);
      return;
    }
    if (this.config.maxRestarts !== null && this.#backoff.streak >= this.config.maxRestarts) {
      this.#fail(`${how}; gave up after ${this.config.maxRestarts} restarts in a row`);
      return;
    }
    const delay = this.#backoff.next(run.startedAt, endedAt);
    const reason = `${how}${wasReady || run.notReady ? '' : ' before it was ready'}; restarting in ${delay} ms`;
    this.#hooks.note(this.name, reason);
    this.#set('backoff', reason);
    this.#backoffTimer = this.#hooks.clock.setTimeout(() => {
      this.#backoffTimer = null;
      if (this.#stopRequested) return;
      this.#restarts += 1;
      this.#beginSpawn();
    }, delay);
  }

  #fail(reason: string): void {
    this.#set('failed', reason);
  }

  #set(state: ServiceState, reason: string | null): void {
    this.#state = state;
    this.#reason = reason;
    this.#hooks.changed(this.snapshot());
    if (FINAL_STATES.has(state)) {
      for (const resolve of this.#readyWaiters.splice(0)) resolve(false);
      for (const resolve of this.#endWaiters.splice(0)) resolve();
    }
  }
}
