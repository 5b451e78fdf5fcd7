import type { BerthConfig, EnvironmentConfig, ServiceConfig } from '../config/types.js';
import { BerthError } from '../errors.js';
import type { Allocation } from '../ports/allocate.js';
import { extendLease, shrinkLease } from '../ports/extend-lease.js';
import type { Lease, LeaseGroup } from '../store/lease.js';
import type { LeaseStore } from '../store/lease-store.js';
import { readProcess } from '../platform/identity.js';
import { backgroundTimeout, systemClock, type Clock } from './clock.js';
import { FileWatch } from './file-watch.js';
import { diffServices } from './service-diff.js';
import { berthHome } from '../store/berth-home.js';
import { WrittenRecords } from '../store/written-record.js';
import { buildLaunch, filesToWrite, type InstanceContext } from './service-env.js';
import { selectServices } from './select-services.js';
import { ServiceRunner } from './service-runner.js';
import type { ServiceSnapshot } from './service-state.js';
import { spawnProcess, type SpawnService } from './spawn-process.js';
import { Watchdog } from './watchdog.js';
import { WrittenFiles, type FileToWrite } from './written-files.js';

export interface SupervisorOptions {
  config: BerthConfig;
  env: EnvironmentConfig;
  /** The instance's lease and the probe sockets still held on its ports. */
  allocation: Allocation;
  store: LeaseStore;
  /** Run only these services (and what they depend on). */
  only?: string[] | undefined;
  /** The environment for `${VAR}` and for the services; default process.env. */
  vars?: Readonly<Record<string, string | undefined>>;
  /** berth shows colour: every service gets FORCE_COLOR=1 so its colours survive the pipe. */
  color?: boolean;
  /** Whole lines of a service's output; return false to pause that service until `resumeOutput()`. */
  output?: (service: string, stream: 'stdout' | 'stderr', lines: Buffer) => boolean;
  /** Bytes of recent output kept per service for `logs` and the TUI (default 256 KiB). */
  logBytes?: number;
  clock?: Clock;
  spawn?: SpawnService;
  /** Start the watchdog that kills every service group if this process dies (default true). */
  watchdog?: boolean;
  /**
   * Where the records of the files berth writes (write_env, templates) are kept; default: the
   * store's home when it has one, else $BERTH_HOME.
   */
  filesHome?: string;
}

export type SupervisorEvent =
  | { type: 'state'; service: ServiceSnapshot }
  | { type: 'note'; service: string | null; message: string }
  /** Whole, newline-terminated lines a service wrote. */
  | { type: 'output'; service: string; stream: 'stdout' | 'stderr'; lines: Buffer }
  | { type: 'ended'; exitCode: number };

export type SupervisorListener = (event: SupervisorEvent) => void;

/**
 * One running environment instance: starts its services in dependency order, each when what it
 * depends on is ready; stops them in reverse order; and gives the lease back once every service
 * has ended. Ends by itself when every service has ended and none restarts.
 */
export class Supervisor {
  readonly lease: Lease;
  #options: SupervisorOptions;
  /** Every timer of the instance runs on it, so sequences can be tested in virtual time. */
  get #clock(): Clock {
    return this.#options.clock ?? systemClock;
  }
  readonly #runners = new Map<string, ServiceRunner>();
  readonly #listeners = new Set<SupervisorListener>();
  readonly #watchdog: Watchdog | null;
  #stopping: Promise<void> | null = null;
  #ended: Promise<number>;
  #resolveEnded!: (code: number) => void;
  #finished = false;
  #reRegister: unknown = null;
  readonly #watches: FileWatch[] = [];
  readonly #files: WrittenFiles;

  /**
   * Builds every service's launch (reading its env_file) and writes the files berth writes for
   * them (write_env, templates). Throws — exit 2, nothing started, nothing written — when one
   * of those files is missing, is not berth's, or is written by another running instance; the
   * caller still holds the lease and gives it back.
   */
  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.lease = options.allocation.lease;
    this.#ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    const selected = selectServices(options.env, options.only);
    const home = options.filesHome ?? storeHome(options.store) ?? berthHome(options.vars ?? process.env);
    this.#files = new WrittenFiles(new WrittenRecords(home), this.lease);
    this.#watchdog = options.watchdog === false ? null : Watchdog.start();
    try {
      for (const service of options.env.services) {
        if (selected.has(service.name)) this.#runners.set(service.name, this.#createRunner(service));
      }
      this.#writeFiles();
    } catch (error) {
      this.#watchdog?.close();
      throw error;
    }
  }

  /** The files this instance wrote (write_env, templates' outputs), absolute. */
  writtenFiles(): string[] {
    return this.#files.paths();
  }

  /** What every service's launch is built from; one per instance, so its port variables are computed once. */
  #ctx: InstanceContext | null = null;

  #context(): InstanceContext {
    const { config, env, vars, color } = this.#options;
    this.#ctx ??= { config, env, lease: this.lease, vars: vars ?? process.env, color: color === true };
    return this.#ctx;
  }

  #createRunner(service: ServiceConfig): ServiceRunner {
    const options = this.#options;
    return new ServiceRunner(
      service,
      buildLaunch(service, this.#context()),
      {
        spawn: options.spawn ?? spawnProcess,
        clock: this.#clock,
        watchdog: this.#watchdog,
        root: options.config.root,
        beforeFirstSpawn: () => options.allocation.holds.release(this.lease.services[service.name] ?? []),
        output: (name, stream, lines) => {
          if (this.#listeners.size > 0) this.#emit({ type: 'output', service: name, stream, lines });
          return options.output?.(name, stream, lines) ?? true;
        },
        note: (name, message) => this.#emit({ type: 'note', service: name, message }),
        changed: (snapshot) => this.#changed(snapshot),
      },
      options.logBytes,
    );
  }

  on(listener: SupervisorListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  services(): ServiceSnapshot[] {
    return [...this.#runners.values()].map((runner) => runner.snapshot());
  }

  runner(name: string): ServiceRunner | undefined {
    return this.#runners.get(name);
  }

  /**
   * Starts watching the `watch:` globs of every service; resolves once the watches are in
   * place (a change after that restarts the service).
   */
  async watchFiles(): Promise<void> {
    const clock = this.#clock;
    await Promise.all(
      [...this.#runners.values()]
        .filter((runner) => runner.config.watch.length > 0)
        .map((runner) => {
          const watch = new FileWatch({
            globs: runner.config.watch,
            ignore: runner.config.watchIgnore,
            cwd: runner.config.cwd,
            debounceMs: runner.config.watchDebounceMs,
            clock,
            onChange: (files) => this.#filesChanged(runner, files),
          });
          this.#watches.push(watch);
          return watch.start();
        }),
    );
  }

  #filesChanged(runner: ServiceRunner, files: string[]): void {
    // Stopping, or stopped on request (berth stop): a saved file does not bring it back.
    if (this.stopping || runner.state === 'stopped' || runner.state === 'stopping') return;
    const what = files.length === 1 ? files[0] : `${files[0]} and ${files.length - 1} more`;
    this.#emit({ type: 'note', service: runner.name, message: `${what} changed: restarting` });
    void runner.restart();
  }

  #registrationProblem: string | null = null;

  /** Says once, loudly, when the lease cannot be put back in the store, and once when it is back. */
  #registered(result: 'present' | 'restored' | 'conflict' | Error): void {
    const problem =
      result === 'conflict'
        ? `lease ${this.lease.id} is missing from the lease store and another lease now names some of its ports; this instance keeps running and holds them, but other berths cannot see it until that lease is released (berth ports)`
        : result instanceof Error
          ? `cannot re-register lease ${this.lease.id}: ${result.message}; this instance keeps running, retrying every 5 s`
          : null;
    if (problem !== null && this.#registrationProblem === null) this.#emit({ type: 'note', service: null, message: problem });
    if (problem === null && this.#registrationProblem !== null) this.#emit({ type: 'note', service: null, message: `lease ${this.lease.id} is registered again` });
    if (result === 'restored' && this.#registrationProblem === null) this.#emit({ type: 'note', service: null, message: `lease ${this.lease.id} was missing from the lease store: registered it again` });
    this.#registrationProblem = problem;
  }

  /** Starts every service as soon as what it depends on is ready. */
  start(): void {
    if (this.#stopping || this.#finished) return;
    const reRegister = () => {
      this.#reRegister = backgroundTimeout(this.#clock, () => {
        if (this.#finished) return;
        void this.#options.store.ensure(this.lease).then(
          (result) => this.#registered(result),
          (error: unknown) => this.#registered(error as Error),
        );
        reRegister();
      }, 5000);
    };
    reRegister();
    for (const runner of this.#runners.values()) void this.#startWhenReady(runner);
  }

  /** Starts a service once everything it depends on is ready; skips it if one failed. */
  async #startWhenReady(runner: ServiceRunner): Promise<void> {
    const dependencies = runner.config.dependsOn.map((name) => this.#runners.get(name)).filter((dep): dep is ServiceRunner => dep !== undefined);
    const results = await Promise.all(dependencies.map(async (dep) => ({ dep, ready: await dep.whenReady() })));
    if (this.#stopping) return runner.skip('berth is stopping');
    const failed = results.find((result) => !result.ready);
    if (failed) {
      const reason = `not started: dependency ${failed.dep.name} ${failed.dep.state === 'skipped' ? 'was not started' : failed.dep.state}`;
      this.#emit({ type: 'note', service: runner.name, message: reason });
      runner.skip(reason);
      return;
    }
    runner.start();
  }

  /**
   * Applies an edited ports.yaml as a diff: removed services are stopped and their ports given
   * back; changed ones restart with their new settings on the same ports (a changed port count
   * means new ports); added ones get a further block in the same lease and start. Services
   * whose settings did not change keep running untouched.
   */
  async reconfigure(config: BerthConfig, env: EnvironmentConfig): Promise<{ added: string[]; changed: string[]; removed: string[] }> {
    if (this.stopping) return { added: [], changed: [], removed: [] };
    const { added, changed, removed } = diffServices(this.#options.env.services, env.services, new Set(this.#runners.keys()));
    const after = new Map(env.services.map((service) => [service.name, service]));
    this.#options = { ...this.#options, config, env };
    this.#ctx = null;

    for (const name of removed) {
      const runner = this.#runners.get(name) as ServiceRunner;
      await runner.stop();
      this.#runners.delete(name);
      await shrinkLease(this.#options.store, this.lease, name);
      this.#ctx = null;
      this.#emit({ type: 'note', service: name, message: after.has(name) ? 'its ports changed: stopped, to start again on new ports' : 'removed from ports.yaml: stopped, ports released' });
    }
    for (const name of added) {
      const service = after.get(name) as ServiceConfig;
      if (service.portCount > 0) {
        await extendLease(this.#options.store, this.lease, name, service.portCount, service.ranges ?? env.ranges, this.#options.allocation.holds);
      } else {
        this.lease.services[name] = [];
      }
      this.#ctx = null; // the lease has ports for one more service
      const runner = this.#createRunner(service);
      this.#runners.set(name, runner);
      const ports = this.lease.services[name] ?? [];
      this.#emit({ type: 'note', service: name, message: `added in ports.yaml: starting${ports.length ? ` on ${ports.join(', ')}` : ''}` });
    }
    // After the additions, so a restarted service sees its new siblings' ports.
    for (const name of changed) {
      const old = this.#runners.get(name) as ServiceRunner;
      await old.stop();
      const runner = this.#createRunner(after.get(name) as ServiceConfig);
      this.#runners.set(name, runner);
      this.#emit({ type: 'note', service: name, message: 'changed in ports.yaml: restarting' });
    }
    // Files first (siblings' new ports), then the starts: a file berth may not write keeps the new runs from starting.
    let refused: string | null = null;
    try {
      this.#writeFiles();
    } catch (error) {
      refused = (error as Error).message;
      this.#emit({ type: 'note', service: null, message: refused });
    }
    // Started once every runner is in place, so each waits for its current dependencies.
    for (const name of [...added, ...changed]) {
      const runner = this.#runners.get(name) as ServiceRunner;
      if (refused !== null) runner.skip(`not started: ${refused}`);
      else void this.#startWhenReady(runner);
    }
    if (added.length + changed.length + removed.length > 0 && this.#watches.length + env.services.filter((service) => service.watch.length > 0).length > 0) {
      await Promise.all(this.#watches.splice(0).map((watch) => watch.close()));
      await this.watchFiles();
    }
    return { added, changed, removed };
  }

  /** Resolves with the exit code once every service has ended and the lease is released. */
  whenEnded(): Promise<number> {
    return this.#ended;
  }

  /** Graceful stop in reverse dependency order: a service stops after those that depend on it. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const stopping = new Map<string, Promise<void>>();
      const stopOne = (runner: ServiceRunner): Promise<void> => {
        let pending = stopping.get(runner.name);
        if (!pending) {
          const dependants = [...this.#runners.values()].filter((other) => other.config.dependsOn.includes(runner.name));
          pending = Promise.all(dependants.map(stopOne)).then(() => runner.stop());
          stopping.set(runner.name, pending);
        }
        return pending;
      };
      await Promise.all([...this.#runners.values()].map(stopOne));
      await this.#finish();
    })();
    return this.#stopping;
  }

  /** Whether the instance is stopping or has ended. */
  get stopping(): boolean {
    return this.#stopping !== null || this.#finished;
  }

  /** `berth stop SERVICE`: stops one service; it stays stopped (no restart policy) until started. */
  async stopService(name: string): Promise<ServiceSnapshot> {
    const runner = this.#serviceOrThrow(name);
    await runner.stop();
    return runner.snapshot();
  }

  /** `berth start SERVICE`: starts a stopped (or ended) service again, on the same ports. */
  startService(name: string): ServiceSnapshot {
    const runner = this.#serviceOrThrow(name);
    if (!this.stopping) runner.start();
    return runner.snapshot();
  }

  /** `berth restart SERVICE`: stop, then start, on the same ports. */
  async restartService(name: string): Promise<ServiceSnapshot> {
    const runner = this.#serviceOrThrow(name);
    if (!this.stopping) await runner.restart();
    return runner.snapshot();
  }

  #serviceOrThrow(name: string): ServiceRunner {
    const runner = this.#runners.get(name);
    if (!runner) throw new BerthError('UNKNOWN_SERVICE', `no service "${name}" in ${this.lease.project}/${this.lease.env}#${this.lease.instance} (services: ${[...this.#runners.keys()].join(', ')})`);
    return runner;
  }

  /** SIGKILL to every service's group at once (a second Ctrl-C). */
  kill(): void {
    for (const runner of this.#runners.values()) runner.kill();
    void this.stop();
  }

  resumeOutput(): void {
    for (const runner of this.#runners.values()) runner.resumeOutput();
  }

  #changed(snapshot: ServiceSnapshot): void {
    this.#emit({ type: 'state', service: snapshot });
    this.#recordGroups();
    // Ends by itself once every service has ended on its own; one stopped on request
    // (`berth stop`) keeps the instance alive so it can be started again.
    const runners = [...this.#runners.values()];
    if (!this.#stopping && runners.every((runner) => runner.isFinal) && !runners.some((runner) => runner.state === 'stopped')) void this.#finish();
  }

  async #finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.#clock.clearTimeout(this.#reRegister);
    this.#clock.clearTimeout(this.#groupsTimer);
    await Promise.all(this.#watches.splice(0).map((watch) => watch.close()));
    for (const message of this.#files.removeAll()) this.#emit({ type: 'note', service: null, message });
    await this.#options.allocation.holds.release();
    await this.#options.store.release(this.lease.id).catch((error: unknown) => {
      this.#emit({ type: 'note', service: null, message: `could not release lease ${this.lease.id}: ${(error as Error).message}` });
    });
    this.#watchdog?.close();
    const runners = [...this.#runners.values()];
    const exitCode = this.#stopping
      ? runners.some((runner) => runner.killedOnStop) ? 1 : 0
      : runners.every((runner) => runner.state === 'exited') ? 0 : 1;
    this.#emit({ type: 'ended', exitCode });
    this.#resolveEnded(exitCode);
  }

  #groupsTimer: unknown = null;
  #recordedGroups = '';

  /**
   * Keeps the lease's list of process groups (leader pid = pgid, with its start time) current,
   * so `berth gc` can end groups left behind if berth and its watchdog were both killed.
   * Batched: one registry write per 100 ms of changes.
   */
  #recordGroups(): void {
    if (this.#groupsTimer || this.#finished) return;
    this.#groupsTimer = backgroundTimeout(this.#clock, () => {
      this.#groupsTimer = null;
      if (this.#finished) return;
      const groups: LeaseGroup[] = [];
      for (const runner of this.#runners.values()) {
        const run = runner.currentRun;
        const startTime = run ? (readProcess(run.pgid)?.startTime ?? 0) : 0;
        if (run && startTime > 0) groups.push({ ...run, startTime, signal: runner.config.stopSignal, timeoutMs: runner.config.stopTimeoutMs });
      }
      const key = JSON.stringify(groups);
      if (key === this.#recordedGroups) return;
      this.#recordedGroups = key;
      this.lease.groups = groups;
      void this.#options.store.update(this.lease.id, { groups }).catch(() => {});
    }, 100);
  }

  /** Writes every service's write_env and templates (checked first, all or none); files no service writes any more are removed. */
  #writeFiles(): void {
    const ctx = this.#context();
    const files: FileToWrite[] = [...this.#runners.values()].flatMap((runner) =>
      filesToWrite(runner.config, ctx).map((file) => ({ path: file.path, kind: file.kind, content: file.content(), service: runner.name })),
    );
    for (const message of this.#files.write(files)) this.#emit({ type: 'note', service: null, message });
  }

  #emit(event: SupervisorEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

/** The folder of a store that keeps its leases in files (FileLeaseStore's `home`), else undefined. */
function storeHome(store: LeaseStore): string | undefined {
  const home = (store as { home?: unknown }).home;
  return typeof home === 'string' ? home : undefined;
}
