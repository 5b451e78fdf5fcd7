import { randomBytes } from 'node:crypto';
import { BerthError, EXIT } from '../errors.js';
import { aliveIdentities } from '../platform/identity.js';
import { machineId } from '../platform/machine-id.js';
import type { Clock } from '../supervisor/clock.js';
import { leaseLabel, leasePorts, stickyKey, type Lease, type LeaseView, type Leftover } from './lease.js';
import type { ClaimView, CommitResult, LeaseStore } from './lease-store.js';
import { RedisConnection } from './redis-connection.js';
import { LeaseHeartbeat, type BeatResult } from './redis-heartbeat.js';
import { COMMIT, ENSURE, RECLAIM, RELEASE, REPLACE, VIEW } from './redis-scripts.js';
import { parseRedisTarget, type RedisTarget } from './redis-url.js';
import { parseLease } from './registry-schema.js';

export const DEFAULT_TTL_MS = 15_000;

export interface RedisStoreOptions {
  /** `redis://HOST:PORT/DB`, `rediss://…`, `unix:///path.sock`, or one already parsed. */
  target: string | RedisTarget;
  /** BERTH_HOME: files berth writes, logs and control sockets stay on this machine. */
  home: string;
  /** A lease with no heartbeat for this long is stale (default 15 s; beats every TTL / 3). */
  ttlMs?: number;
  /** Key prefix inside the database (default `berth:`). */
  prefix?: string;
  clock?: Clock;
  /** This machine's id, whose owners are also checked by process identity (default: machineId()). */
  host?: string;
  /** Whether a lease's owner on this machine lives (default: one batched identity check). */
  isAlive?: (lease: Lease) => boolean;
  /** Told of each heartbeat of this process's leases: its result, or the error of a failed one. */
  onBeat?: (lease: Lease, outcome: BeatResult | Error) => void;
}

type Kind = 'beat' | 'keep' | 'tied';
type Reply = string | number | null | Reply[];
interface Entry {
  lease: Lease;
  kind: Kind;
  beating: boolean;
}

/**
 * Leases in Redis, shared by every machine that points BERTH_STORE at it. Every change is one
 * Lua script (redis-scripts.ts), so claims are atomic on the server. A running berth's lease
 * has a heartbeat key with a TTL, refreshed by this process while it holds the lease: a lease
 * whose heartbeat expired is stale everywhere; on the owner's own machine a dead owner (pid
 * gone or reused) makes it stale at once. Reservations never expire; `--owner PID` ones are
 * stale once that process is gone, as seen on its machine.
 */
export class RedisLeaseStore implements LeaseStore {
  readonly home: string;
  readonly target: RedisTarget;
  readonly ttlMs: number;
  readonly #prefix: string;
  readonly #host: string;
  readonly #isAlive: ((lease: Lease) => boolean) | undefined;
  readonly #connection: RedisConnection;
  readonly #heartbeat: LeaseHeartbeat;
  /** Leases whose owners were found dead on this machine: reclaimed by the next script. */
  readonly #dead = new Set<string>();

  constructor(options: RedisStoreOptions) {
    this.home = options.home;
    this.target = typeof options.target === 'string' ? parseRedisTarget(options.target) : options.target;
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.#prefix = options.prefix ?? 'berth:';
    this.#host = options.host ?? machineId();
    this.#isAlive = options.isAlive;
    this.#heartbeat = new LeaseHeartbeat({
      clock: options.clock,
      intervalMs: Math.max(50, Math.floor(this.ttlMs / 3)),
      retryMs: Math.min(500, Math.max(50, Math.floor(this.ttlMs / 30))),
      beat: (lease) => this.#ensure(lease),
      ...(options.onBeat ? { onBeat: options.onBeat } : {}),
    });
    this.#connection = new RedisConnection(this.target, { keepReconnecting: () => this.#heartbeat.size > 0, onReconnect: () => this.#heartbeat.nudge() });
  }

  /** Where the leases are, for messages: the URL with its password masked. */
  get where(): string {
    return this.target.display;
  }

  async snapshot(): Promise<ClaimView> {
    const { entries, sticky } = await this.#view(true);
    const live = entries.filter((entry) => !this.#stale(entry));
    return {
      seen: new Set(entries.map((entry) => entry.lease.id)),
      leases: live.map((entry) => entry.lease),
      sticky: (root, env, instance) => sticky.get(stickyKey(root, env, instance)),
    };
  }

  /** Ports of the leases committed since `view` (one read of the store, no lock): checked before each probe. */
  async portsLeasedSince(view: ClaimView): Promise<Set<number>> {
    const ports = new Set<number>();
    let entries: Entry[];
    try {
      ({ entries } = await this.#view(false));
    } catch {
      return ports; // the commit decides
    }
    for (const { lease } of entries) if (!view.seen?.has(lease.id)) for (const port of leasePorts(lease)) ports.add(port);
    return ports;
  }

  async commit(draft: Lease, options: { fixedInstance: boolean }): Promise<CommitResult> {
    const placeholder = `@@instance-${randomBytes(6).toString('hex')}@@`;
    const template = JSON.stringify({ ...draft, instance: placeholder });
    const kind = kindOf(draft);
    const reply = await this.#script(COMMIT, [
      draft.id,
      template,
      JSON.stringify(placeholder),
      portsText(draft),
      kind,
      String(this.ttlMs),
      `${draft.project}\u0000${draft.env}\u0000`,
      String(draft.instance),
      options.fixedInstance ? '1' : '0',
      `${draft.root}\u0000${draft.env}\u0000`,
      JSON.stringify(Object.fromEntries(draft.blocks.map((block) => [block.group, block.ports[0]]))),
      ...this.#dead,
    ]);
    const [status, ...rest] = asList(reply);
    if (status === 'conflict') return { ok: false, conflicts: this.#conflicts(rest) };
    if (status === 'taken') {
      const holder = this.#parse(String(rest[0]), String(rest[1] ?? ''), '');
      const by = holder.reserved ? 'reserved (berth release frees it)' : `running (berth pid ${holder.owner.pid})`;
      throw new BerthError('INSTANCE_TAKEN', `instance ${draft.instance} of ${draft.project}/${draft.env} is already ${by}`, { exitCode: EXIT.failed });
    }
    const lease = this.#parse(draft.id, String(rest[0]), portsText(draft));
    if (kind === 'beat') this.#heartbeat.add(lease);
    return { ok: true, lease };
  }

  async amend(id: string, change: Pick<Lease, 'services' | 'blocks'>): Promise<CommitResult> {
    const outcome = await this.#replace(id, (lease) => ({ ...lease, services: change.services, blocks: change.blocks }), true);
    if (outcome === null) throw new BerthError('NO_LEASE', `lease ${id} is not in the lease store (${this.where})`);
    return outcome;
  }

  async update(id: string, patch: Partial<Pick<Lease, 'socket' | 'groups'>>): Promise<Lease | null> {
    const outcome = await this.#replace(id, (lease) => ({ ...lease, ...patch }), false);
    return outcome?.ok ? outcome.lease : null;
  }

  async release(id: string): Promise<Lease | null> {
    this.#heartbeat.remove(id);
    const reply = await this.#script(RELEASE, [id]);
    return typeof reply === 'string' ? this.#parse(id, reply, '') : null;
  }

  async list(): Promise<LeaseView[]> {
    const { entries } = await this.#view(false);
    return entries.map((entry) => ({ ...entry.lease, stale: this.#stale(entry) }));
  }

  async reclaimStale(): Promise<Lease[]> {
    await this.#view(false); // finds this machine's dead owners
    const reply = await this.#script(RECLAIM, [...this.#dead]);
    return asList(reply).map((json) => this.#parse('', String(json), ''));
  }

  async leftovers(): Promise<Leftover[]> {
    const [leases, times] = await Promise.all([this.#send(['HGETALL', this.#key('reclaimed')]), this.#send(['HGETALL', this.#key('reclaimed-at')])]);
    const since = pairs(times);
    const leftovers: Leftover[] = [];
    for (const [id, json] of pairs(leases)) {
      const lease = this.#parse(id, json, '');
      if (!lease.groups?.length) continue;
      const at = Number(since.get(id));
      leftovers.push({ lease: id, label: leaseLabel(lease), since: new Date(Number.isFinite(at) ? at : 0).toISOString(), groups: lease.groups });
    }
    return leftovers.sort((a, b) => a.since.localeCompare(b.since));
  }

  async forgetLeftovers(leaseIds: readonly string[]): Promise<void> {
    if (leaseIds.length === 0) return;
    await this.#send(['HDEL', this.#key('reclaimed'), ...leaseIds]);
    await this.#send(['HDEL', this.#key('reclaimed-at'), ...leaseIds]);
  }

  async ensure(lease: Lease): Promise<'present' | 'restored' | 'conflict'> {
    const result = await this.#ensure(lease);
    if (result !== 'conflict' && kindOf(lease) === 'beat' && !this.#heartbeat.has(lease.id)) this.#heartbeat.add(lease);
    return result;
  }

  /** Stops the heartbeat and closes the connection (a library user done with the store). */
  async close(): Promise<void> {
    this.#heartbeat.stop();
    await this.#connection.close();
  }

  async #ensure(lease: Lease): Promise<BeatResult> {
    const reply = await this.#script(ENSURE, [
      lease.id,
      JSON.stringify(lease),
      portsText(lease),
      kindOf(lease),
      `${lease.project}\u0000${lease.env}\u0000${lease.instance}`,
      String(this.ttlMs),
      ...this.#dead,
    ]);
    const status = asList(reply)[0];
    return status === 'present' || status === 'restored' ? status : 'conflict';
  }

  /** Compare-and-set on one lease's JSON, retried while another writer changed it in between. */
  async #replace(id: string, change: (lease: Lease) => Lease, check: boolean): Promise<CommitResult | null> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.#send(['HGET', this.#key('lease'), id]);
      if (typeof current !== 'string') return null;
      const lease = change(this.#parse(id, current, ''));
      const reply = await this.#script(REPLACE, [id, current, JSON.stringify(lease), check ? portsText(lease) : '', check ? '1' : '0', ...this.#dead]);
      const [status, ...rest] = asList(reply);
      if (status === 'missing') return null;
      if (status === 'conflict') return { ok: false, conflicts: this.#conflicts(rest) };
      if (status === 'ok') return { ok: true, lease };
    }
    throw new BerthError('STORE_CONTENDED', `lease ${id} kept changing in the lease store (${this.where})`);
  }

  async #view(withSticky: boolean): Promise<{ entries: Entry[]; sticky: Map<string, Record<string, number>> }> {
    const [rows, stickyRows] = asList(await this.#script(VIEW, [withSticky ? '1' : '0'])) as [Reply[], Reply[]];
    const entries: Entry[] = asList(rows).map((row) => {
      const [id, json, ports, kind, beating] = asList(row).map(String) as [string, string, string, string, string];
      return { lease: this.#parse(id, json, ports), kind: (['beat', 'keep', 'tied'].includes(kind) ? kind : 'keep') as Kind, beating: beating === '1' };
    });
    entries.sort((a, b) => a.lease.createdAt.localeCompare(b.lease.createdAt));
    this.#findDead(entries);
    const sticky = new Map<string, Record<string, number>>();
    for (const [key, json] of pairs(stickyRows)) {
      try {
        const value = JSON.parse(json) as unknown;
        if (typeof value === 'object' && value !== null) sticky.set(key, value as Record<string, number>);
      } catch {
        // a damaged entry: no block is remembered for it
      }
    }
    return { entries, sticky };
  }

  /** Owners on this machine are checked by process identity, all in one batch. */
  #findDead(entries: readonly Entry[]): void {
    const local = entries.filter((entry) => entry.kind !== 'keep' && !entry.lease.invalid && entry.lease.owner.host === this.#host);
    const isAlive = this.#isAlive;
    const alive = isAlive ? local.map((entry) => isAlive(entry.lease)) : aliveIdentities(local.map((entry) => entry.lease.owner));
    local.forEach((entry, index) => {
      if (alive[index] === false) this.#dead.add(entry.lease.id);
    });
    const present = new Set(entries.map((entry) => entry.lease.id));
    for (const id of this.#dead) if (!present.has(id)) this.#dead.delete(id);
  }

  #stale(entry: Entry): boolean {
    if (entry.lease.invalid) return false;
    if (this.#dead.has(entry.lease.id)) return true;
    return entry.kind === 'beat' && !entry.beating;
  }

  #conflicts(rest: Reply[]): Lease[] {
    const leases: Lease[] = [];
    for (let i = 0; i + 2 < rest.length; i += 3) leases.push(this.#parse(String(rest[i]), String(rest[i + 1] ?? ''), String(rest[i + 2] ?? '')));
    return leases;
  }

  /** A lease from its JSON; one that does not parse stands in as invalid, holding `ports`. */
  #parse(id: string, json: string, ports: string): Lease {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      raw = undefined;
    }
    const parsed = parseLease(raw);
    if (parsed.ok) return parsed.lease;
    const held = (ports.match(/\d+/g) ?? []).map(Number);
    return {
      id: id || `invalid-${randomBytes(3).toString('hex')}`,
      project: '?',
      root: '',
      env: '?',
      instance: 0,
      ports: null,
      blocks: [],
      services: { '?': held },
      owner: { pid: 0, startTime: 0, host: '' },
      createdAt: '',
      reserved: true,
      invalid: raw === undefined ? 'not JSON' : parsed.reason,
    };
  }

  #key(name: string): string {
    return `${this.#prefix}${name}`;
  }

  #send(args: readonly string[]): Promise<Reply> {
    return this.#connection.send(args);
  }

  #script(source: string, args: readonly string[]): Promise<Reply> {
    return this.#connection.script(source, [this.#prefix, ...args]);
  }
}

function kindOf(lease: Lease): Kind {
  if (!lease.reserved) return 'beat';
  return lease.ownerTied ? 'tied' : 'keep';
}

function portsText(lease: Pick<Lease, 'services'>): string {
  return leasePorts(lease).join(',');
}

function asList(reply: Reply): Reply[] {
  return Array.isArray(reply) ? reply : [];
}

/** A hash as the server sent it: a flat list of fields and values (RESP2), or a map (RESP3). */
function pairs(reply: Reply | Map<unknown, unknown> | Record<string, unknown>): Map<string, string> {
  if (reply instanceof Map) return new Map([...reply].map(([field, value]) => [String(field), String(value)]));
  if (reply !== null && typeof reply === 'object' && !Array.isArray(reply)) return new Map(Object.entries(reply).map(([field, value]) => [field, String(value)]));
  const list = asList(reply);
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < list.length; i += 2) map.set(String(list[i]), String(list[i + 1]));
  return map;
}
