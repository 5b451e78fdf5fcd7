import os from 'node:os';
import { TICKS_LIMIT, validPid, type IdentityBackend, type ProcessInfo, type RecordedStart } from './identity-backend.js';
import { posixIdentity } from './identity-posix.js';
import { procfsIdentity } from './identity-procfs.js';
import { platformName, type PlatformName } from './index.js';
import { machineId } from './machine-id.js';

export type { ProcessInfo } from './identity-backend.js';

/**
 * Who owns a lease, and whether that process still lives. A pid alone is not enough (pids are
 * reused), so the owner's start is recorded with it, in a form no clock step and no locale
 * changes: see identity-procfs.ts (Linux) and identity-posix.ts (macOS, BERTH_PLATFORM=posix).
 */
export interface OwnerIdentity {
  pid: number;
  /**
   * procfs: clock ticks since boot (/proc/PID/stat field 22); posix: ms since the epoch from ps
   * lstart, 1 s resolution. Leases of berth 0.1 hold ms since the epoch (btime + ticks on Linux).
   */
  startTime: number;
  /** A stable id of the machine (machine-id.ts), not its hostname. Leases of berth 0.1 hold the hostname. */
  host: string;
  /** procfs: the kernel's boot id; posix: `init:SECONDS`, the start of pid 1. Absent in leases of berth 0.1. */
  boot?: string;
  /** The hostname when the lease was taken, for display. */
  hostname?: string;
}

/** The backends and facts a check runs with (injected by tests). */
export interface IdentityContext {
  /** Linux only: procfs identities can be checked wherever /proc is, whichever backend records. */
  procfs: ReturnType<typeof procfsIdentity> | null;
  posix: IdentityBackend;
  /** The backend that records new identities (platformName()). */
  active: PlatformName;
  machineId: string;
  hostname: string;
}

const contexts = new Map<PlatformName, Omit<IdentityContext, 'machineId' | 'hostname'>>();

export function identityContext(): IdentityContext {
  const active = platformName();
  let backends = contexts.get(active);
  if (!backends) {
    backends = { procfs: process.platform === 'linux' ? procfsIdentity() : null, posix: posixIdentity(), active };
    contexts.set(active, backends);
  }
  return { ...backends, machineId: machineId(), hostname: os.hostname() };
}

const activeBackend = (ctx: IdentityContext): IdentityBackend => (ctx.active === 'procfs' && ctx.procfs ? ctx.procfs : ctx.posix);

/** The identity of process `pid` as a lease records it; null when it does not run. */
export function identityOf(pid: number, ctx = identityContext()): OwnerIdentity | null {
  const start = activeBackend(ctx).starts([pid])[0];
  if (!start) return null;
  return { pid, startTime: start.startTime, host: ctx.machineId, ...(start.boot ? { boot: start.boot } : {}), hostname: ctx.hostname };
}

let own: { platform: PlatformName; identity: OwnerIdentity } | null = null;

/** This process as a lease's owner. */
export function currentIdentity(): OwnerIdentity {
  const ctx = identityContext();
  if (own?.platform !== ctx.active) {
    // Unreadable only if ps is missing: then the pid alone is recorded (see planCheck).
    own = { platform: ctx.active, identity: identityOf(process.pid, ctx) ?? { pid: process.pid, startTime: NaN, host: ctx.machineId } };
  }
  return { ...own.identity, host: ctx.machineId, hostname: ctx.hostname };
}

/** How one owner is checked. */
type Check =
  | { by: 'unchecked' }
  | { by: 'procfs'; pid: number; recorded: RecordedStart }
  | { by: 'posix'; pid: number; recorded: RecordedStart }
  | { by: 'legacy-ms'; pid: number; startTime: number }
  | { by: 'pid'; pid: number };

/** berth 0.1's start times moved with the clock; this much drift still counts as the same process. */
export const LEGACY_TOLERANCE_MS = 5000;

/**
 * Migration on read: leases written by berth 0.1 (owner `{pid, startTime, host}`, no `boot`)
 * keep working. Their host is the hostname: equal to this machine's hostname counts as this
 * machine. Their startTime is ms since the epoch: on Linux, btime + ticks, compared with the
 * same formula today within LEGACY_TOLERANCE_MS (btime moves with clock steps; a pid reused by
 * a process that started within 5 s of the first is not a real risk); on macOS, ps lstart,
 * compared to the second as before. A null startTime (0.1 under a non-English macOS locale
 * wrote NaN) leaves the pid alone to decide. Once the old berth ends, its lease goes.
 *
 * An owner that cannot be checked here counts as alive: another machine's (as before), or a
 * malformed one (missing pid, wrong types…) — its ports stay taken and nothing throws.
 */
function planCheck(owner: unknown, ctx: IdentityContext): Check {
  const unchecked = { by: 'unchecked' } as const;
  if (typeof owner !== 'object' || owner === null) return unchecked;
  const { pid, startTime, host, boot } = owner as Record<string, unknown>;
  if (!validPid(pid) || typeof host !== 'string' || (boot !== undefined && typeof boot !== 'string')) return unchecked;
  const legacy = boot === undefined;
  if (host !== ctx.machineId && !(legacy && host === ctx.hostname)) return unchecked;
  if (typeof startTime !== 'number' || !Number.isFinite(startTime)) return legacy ? { by: 'pid', pid } : unchecked;
  if (typeof boot === 'string') {
    if (boot.startsWith('init:')) return { by: 'posix', pid, recorded: { startTime, boot } };
    return ctx.procfs ? { by: 'procfs', pid, recorded: { startTime, boot } } : unchecked;
  }
  if (startTime < TICKS_LIMIT) return ctx.procfs ? { by: 'procfs', pid, recorded: { startTime } } : unchecked;
  return ctx.procfs ? { by: 'legacy-ms', pid, startTime } : { by: 'posix', pid, recorded: { startTime } };
}

/**
 * Whether each owner lives, in one batch: every procfs identity from /proc, every POSIX one
 * from a single `ps` call, however many leases there are. Never throws: an owner whose check
 * fails counts as alive.
 */
export function aliveIdentities(owners: readonly unknown[], ctx = identityContext()): boolean[] {
  const checks = owners.map((owner) => planCheck(owner, ctx));
  const alive = checks.map(() => true);
  const batch = <B extends Check['by']>(by: B, answer: (picked: Extract<Check, { by: B }>[]) => boolean[]): void => {
    const indexes = checks.flatMap((check, index) => (check.by === by ? [index] : []));
    if (indexes.length === 0) return;
    try {
      const answers = answer(indexes.map((index) => checks[index] as Extract<Check, { by: B }>));
      indexes.forEach((index, at) => (alive[index] = answers[at] ?? true));
    } catch {
      // cannot tell (ps missing or hung): they stay alive
    }
  };
  const byStart = (backend: IdentityBackend) => (picked: { pid: number; recorded: RecordedStart }[]) => {
    const starts = backend.starts(picked.map((check) => check.pid));
    return picked.map((check, at) => {
      const start = starts[at];
      return start ? backend.same(check.recorded, start) : false;
    });
  };
  if (ctx.procfs) batch('procfs', byStart(ctx.procfs));
  batch('posix', byStart(ctx.posix));
  batch('legacy-ms', (picked) => {
    const now = ctx.procfs?.legacyStartsMs(picked.map((check) => check.pid)) ?? [];
    return picked.map((check, at) => {
      const start = now[at];
      return typeof start === 'number' && Math.abs(start - check.startTime) <= LEGACY_TOLERANCE_MS;
    });
  });
  batch('pid', (picked) => activeBackend(ctx).starts(picked.map((check) => check.pid)).map((start) => start !== null));
  return alive;
}

/** A lease owner is alive when its process is; owners on another machine cannot be checked and count as alive. */
export function isOwnerAlive(owner: unknown): boolean {
  return aliveIdentities([owner])[0] ?? true;
}

/** Start time (as `readProcess` gives it), state, parent and group of a live process; null when there is none. */
export function readProcess(pid: number): ProcessInfo | null {
  return activeBackend(identityContext()).readProcess(pid);
}

/**
 * True when `pid` runs (not a zombie) and is the process that started at `startTime`, as
 * `readProcess` gave it — a lease's process group records only that number: clock ticks on
 * Linux, ms since the epoch from ps elsewhere (and from berth 0.1 on Linux).
 */
export function isProcessAlive(pid: number, startTime: number, ctx = identityContext()): boolean {
  if (!validPid(pid) || !Number.isFinite(startTime)) return false;
  try {
    if (startTime < TICKS_LIMIT) {
      const start = ctx.procfs?.starts([pid])[0];
      return start ? ctx.procfs?.same({ startTime }, start) === true : false;
    }
    if (ctx.active === 'procfs' && ctx.procfs) {
      const start = ctx.procfs.legacyStartsMs([pid])[0];
      return typeof start === 'number' && Math.abs(start - startTime) <= LEGACY_TOLERANCE_MS;
    }
    const start = ctx.posix.starts([pid])[0];
    return start && Number.isFinite(start.startTime) ? ctx.posix.same({ startTime }, start) : false;
  } catch {
    return false; // cannot tell: not treated as ours, so nothing is signalled
  }
}

/** The name berth 0.1's library used. */
export const currentOwner = currentIdentity;
