import type { InstanceControl } from '../control/instance-control.js';
import type { InstanceEvent, InstanceSnapshot } from '../control/protocol.js';
import type { RangeUse } from '../ports/lease-report.js';
import type { Lease } from '../store/lease.js';

/** An instance on screen: its lease, how to reach it (null: it does not answer), its live state. */
export interface WatchedInstance {
  lease: Lease;
  control: InstanceControl | null;
  snapshot: InstanceSnapshot | null;
  /** Why the instance is stale (its owner is gone, its socket does not answer), or absent: it is not. */
  stale?: string | undefined;
  /** The ranges the instance's blocks come from, with their use on this machine. */
  ranges?: RangeUse[] | undefined;
}

/** An instance as a source finds it. */
export interface FoundInstance {
  lease: Lease;
  control: InstanceControl | null;
  stale?: string | undefined;
  ranges?: RangeUse[] | undefined;
}

/** Where the dashboard finds instances: every one on the machine (`top`), or one (`up`). */
export type InstanceSource = () => Promise<FoundInstance[]>;

/**
 * The instances the dashboard shows, kept live: each answering instance is followed through its
 * event stream (a snapshot, then every change); `refresh` finds instances that came or went.
 */
export class TopModel {
  instances: WatchedInstance[] = [];
  readonly #source: InstanceSource;
  readonly #changed: () => void;
  readonly #noted: (instance: WatchedInstance, service: string | null, message: string) => void;
  readonly #subscriptions = new Map<string, AbortController>();
  #closed = false;

  /** `noted` hears an instance's own messages (why a service restarted, failed, …). */
  constructor(source: InstanceSource, changed: () => void, noted: (instance: WatchedInstance, service: string | null, message: string) => void = () => {}) {
    this.#source = source;
    this.#changed = changed;
    this.#noted = noted;
  }

  async refresh(): Promise<void> {
    if (this.#closed) return;
    const found = await this.#source().catch(() => null);
    // A refresh still under way when the view closed opens nothing: a stream opened now would
    // keep the process alive after the terminal is restored.
    if (!found || this.#closed) return;
    const byId = new Map(this.instances.map((instance) => [instance.lease.id, instance]));
    this.instances = found
      .map((each) => {
        const known = byId.get(each.lease.id);
        if (!known) return { lease: each.lease, control: each.control, snapshot: null, stale: each.stale, ranges: each.ranges };
        known.stale = each.stale;
        known.ranges = each.ranges;
        return known;
      })
      .sort((a, b) => a.lease.project.localeCompare(b.lease.project) || a.lease.env.localeCompare(b.lease.env) || a.lease.instance - b.lease.instance);
    const live = new Set(this.instances.map((instance) => instance.lease.id));
    for (const [id, subscription] of this.#subscriptions) {
      if (!live.has(id)) {
        subscription.abort();
        this.#subscriptions.delete(id);
      }
    }
    for (const instance of this.instances) {
      if (instance.control && !this.#subscriptions.has(instance.lease.id)) this.#follow(instance);
    }
    this.#changed();
  }

  /** Ends every stream, and any refresh still under way opens none. */
  close(): void {
    this.#closed = true;
    for (const subscription of this.#subscriptions.values()) subscription.abort();
    this.#subscriptions.clear();
  }

  #follow(instance: WatchedInstance): void {
    const abort = new AbortController();
    this.#subscriptions.set(instance.lease.id, abort);
    const apply = (event: InstanceEvent) => {
      if (event.type === 'snapshot') instance.snapshot = event.instance;
      else if (event.type === 'state' && instance.snapshot) {
        instance.snapshot.services = instance.snapshot.services.map((service) => (service.name === event.service.name ? event.service : service));
      } else if (event.type === 'ended' && instance.snapshot) instance.snapshot.stopping = true;
      else if (event.type === 'note') this.#noted(instance, event.service, event.message);
      this.#changed();
    };
    instance.control
      ?.events(apply, abort.signal)
      .catch(() => {})
      .finally(() => {
        // The stream ended: the instance stopped, or stopped answering.
        if (this.#subscriptions.get(instance.lease.id) === abort) this.#subscriptions.delete(instance.lease.id);
        if (!abort.signal.aborted && !instance.stale) {
          this.instances = this.instances.filter((other) => other !== instance);
          this.#changed();
        }
      });
  }
}
