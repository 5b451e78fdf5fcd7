import { isProcessRunning, processOwnerUid, processTable, type ProcessEntry, type ProcessTable } from '../platform/index.js';
import { findListeners } from '../platform/listeners.js';
import { signalGroup } from './process-group.js';

/** The OS operations a tree needs; injectable so stop sequences run against a fake OS in virtual time. */
export interface ProcessOps {
  /** Every live process (a read shared within `maxAgeMs`). */
  table(maxAgeMs: number): ProcessTable;
  isRunning(pid: number): boolean;
  /** A signal to one process, or to a group when `target.group` is set; gone or not ours is no error. */
  signal(target: { pid: number; group?: boolean }, signal: NodeJS.Signals): void;
  /** Pids listening on each of `ports` (a reading shared within `maxAgeMs`). */
  listeners(ports: ReadonlySet<number>, maxAgeMs: number): Map<number, number[]>;
  ownerUid(pid: number): number | null;
}

export const systemProcesses: ProcessOps = {
  table: processTable,
  isRunning: isProcessRunning,
  signal(target, signal) {
    if (target.group) signalGroup(target.pid, signal);
    else {
      try {
        process.kill(target.pid, signal);
      } catch {
        // gone meanwhile, or not ours to signal
      }
    }
  },
  listeners: (ports, maxAgeMs) => findListeners(ports, { maxAgeMs }),
  ownerUid: processOwnerUid,
};

/**
 * How old a shared read of the process table or the sockets may be when a tree is checked or
 * signalled during a stop: every tree of a stack stopping at once shares one read per round.
 * A shared read never hides a member: a process a member forks is in every read made after the
 * member died, and a read from before shows the member itself.
 */
export const SHARED_READ_AGE_MS = 50;

/** One read of the table, looked up by pid, group, marker and parent. */
interface TableIndex {
  byPid: Map<number, ProcessEntry>;
  byGroup: Map<number, ProcessEntry[]>;
  byRun: Map<string, ProcessEntry[]>;
  children: Map<number, ProcessEntry[]>;
}

const indexes = new WeakMap<ProcessTable, TableIndex>();

/**
 * The index of one read, built once and shared by every tree that scans that read: 200 trees
 * stopping together cost one pass over the table, not 200 (each scan is then as cheap as its
 * own members).
 */
function indexOf(table: ProcessTable): TableIndex {
  let index = indexes.get(table);
  if (index) return index;
  index = { byPid: new Map(), byGroup: new Map(), byRun: new Map(), children: new Map() };
  const push = <K>(map: Map<K, ProcessEntry[]>, key: K, entry: ProcessEntry) => {
    const list = map.get(key);
    if (list) list.push(entry);
    else map.set(key, [entry]);
  };
  for (const entry of table.entries) {
    index.byPid.set(entry.pid, entry);
    push(index.byGroup, entry.pgid, entry);
    if (entry.run !== null) push(index.byRun, entry.run, entry);
    push(index.children, entry.ppid, entry);
  }
  indexes.set(table, index);
  return index;
}

/** What a tree knows of its run beyond group and marker: its ports and the user it runs as. */
export interface TreeTraits {
  ports?: readonly number[];
  uid?: number;
}

/**
 * Every process one run of a service started: its process group, every process carrying the
 * run's marker (which left the group or the session: `setsid` daemons, helpers spawned
 * `detached`), and every descendant of those by parent pid (one that also cleared its
 * environment). A program that daemonizes and overwrites its environment for its process title
 * (redis-server --daemonize yes) is found by what it holds: once nothing else of the tree is left,
 * a process of the run's user still listening on one of the service's ports is adopted with its
 * descendants — berth gave those ports to this service alone. Reading the whole table is the
 * costly part, so between reads the tree checks only the pids it already knows.
 */
export class ProcessTree {
  /** null when the group cannot be trusted to be the run's any more (its leader's pid was reused). */
  readonly pgid: number | null;
  readonly marker: string | null;
  readonly #ops: ProcessOps;
  readonly #traits: TreeTraits;
  /** Listeners on the service's ports taken in as members, with their descendants. */
  readonly #adopted = new Set<number>();
  #known: number[] = [];
  /** Known members outside the group: signalled one by one (the group is signalled as one). */
  #outside: number[] = [];
  #readAt = -Infinity;
  /** The last signal sent, and the members outside the group that got it. */
  #sent: { signal: NodeJS.Signals; outside: Set<number> } | null = null;

  constructor(pgid: number | null, marker: string | null, ops: ProcessOps = systemProcesses, traits: TreeTraits = {}) {
    this.pgid = pgid;
    this.marker = marker;
    this.#ops = ops;
    this.#traits = traits;
  }

  /** The members found by the last full read. */
  get known(): readonly number[] {
    return this.#known;
  }

  /** Reads the process table (shared with other trees within `maxAgeMs`) and returns every live member. */
  scan(maxAgeMs = 20): number[] {
    const index = indexOf(this.#ops.table(maxAgeMs));
    const members = new Set<number>();
    const add = (entries: readonly ProcessEntry[] | undefined) => {
      for (const entry of entries ?? []) members.add(entry.pid);
    };
    if (this.pgid !== null) add(index.byGroup.get(this.pgid));
    if (this.marker !== null) add(index.byRun.get(this.marker));
    for (const pid of this.#adopted) if (index.byPid.has(pid)) members.add(pid);
    // Descendants by parent pid; a Set grows while it is iterated, so this walks every level.
    for (const pid of members) add(index.children.get(pid));
    members.delete(process.pid);
    this.#known = [...members];
    this.#outside = this.#known.filter((pid) => index.byPid.get(pid)?.pgid !== this.pgid);
    this.#readAt = Date.now();
    return this.#known;
  }

  /** Milliseconds since the last full read. */
  get sinceScan(): number {
    return Date.now() - this.#readAt;
  }

  /**
   * Whether no member is left: known pids first (cheap), then a read of the table, then the
   * service's ports. The reads are shared by every tree checked within SHARED_READ_AGE_MS: a stack
   * of 200 services being stopped reads the table once per round, not 200 times.
   */
  isGone(): boolean {
    if (this.#known.some((pid) => this.#ops.isRunning(pid))) return false;
    if (this.scan(SHARED_READ_AGE_MS).length > 0) return false;
    return !this.#adoptListeners() || this.scan(SHARED_READ_AGE_MS).length === 0;
  }

  /** Takes in the processes of the run's user that still listen on the service's ports; whether there were any. */
  #adoptListeners(): boolean {
    const ports = this.#traits.ports ?? [];
    if (ports.length === 0) return false;
    let found = false;
    for (const pids of this.#ops.listeners(new Set(ports), SHARED_READ_AGE_MS).values()) {
      for (const pid of pids) {
        if (pid === process.pid || this.#adopted.has(pid)) continue;
        if (this.#traits.uid !== undefined && this.#ops.ownerUid(pid) !== this.#traits.uid) continue;
        this.#adopted.add(pid);
        found = true;
      }
    }
    return found;
  }

  /** Sends `signal` to the group and to every known member outside it, so each process gets it once. */
  signal(signal: NodeJS.Signals): void {
    if (this.pgid !== null) this.#ops.signal({ pid: this.pgid, group: true }, signal);
    for (const pid of this.#outside) this.#ops.signal({ pid }, signal);
    this.#sent = { signal, outside: new Set(this.#outside) };
  }

  /**
   * Sends `signal` to the members outside the group that the last read found and that did not get
   * it yet: the group is signalled before the table is read, and those found by the read follow.
   */
  signalFound(signal: NodeJS.Signals): void {
    const sent = this.#sent?.signal === signal ? this.#sent.outside : new Set<number>();
    for (const pid of this.#outside) {
      if (sent.has(pid)) continue;
      this.#ops.signal({ pid }, signal);
      sent.add(pid);
    }
    this.#sent = { signal, outside: sent };
  }
}
