import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as v from 'valibot';
import { BerthError } from '../errors.js';
import type { Lease, Leftover } from './lease.js';
import { LeftoversSchema, parseLease, salvagePorts, StickySchema } from './registry-schema.js';

/**
 * The JSON file behind the file store. Reads and writes are synchronous on purpose: they run
 * inside the registry lock, and a critical section without event-loop hops cannot be stretched
 * by other work of the same process.
 */
export interface Registry {
  version: 1;
  leases: Lease[];
  /** stickyKey(root, env, instance) → block group → first port. Oldest first. */
  sticky: Record<string, Record<string, number>>;
  /** Process groups of reclaimed leases that may still run, until `berth gc` ends them. */
  leftovers?: Leftover[];
}

export const REGISTRY_VERSION = 1;
const STICKY_LIMIT = 1000;

export function emptyRegistry(): Registry {
  return { version: REGISTRY_VERSION, leases: [], sticky: {}, leftovers: [] };
}

export type ReadResult =
  /** `repairs`: what was wrong at the top level and has been put right in `registry` (to write back). */
  | { registry: Registry; corrupt: false; repairs: string[]; missing?: boolean }
  | { registry: Registry; corrupt: true; text: string };

/** What an unreadable lease was in the file: written back as it was, until released. */
const rawOf = new WeakMap<Lease, unknown>();

/**
 * Reads the registry. A file that is not one (bad JSON, no list of leases) comes back as
 * `corrupt`; a wrong-typed `sticky` is repaired; each lease is parsed, and one that does not
 * parse stands in as an `invalid` lease holding every port that can be read from it.
 */
/**
 * The ports of the leases in `file` whose ids `seen` does not hold, read without the lock and
 * without validating each lease (a claim asks this before every probe): any port a lease names
 * counts, read as leniently as a malformed lease's are. Unreadable: none (the commit decides).
 */
export function readPortsOfUnseen(file: string, seen: ReadonlySet<string> | undefined): Set<number> {
  const ports = new Set<number>();
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return ports;
  }
  if (!isRegistryShape(data)) return ports;
  for (const raw of data.leases) {
    const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
    if (typeof id === 'string' && seen?.has(id)) continue;
    for (const port of salvagePorts(raw)) ports.add(port);
  }
  return ports;
}

export function readRegistry(file: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { registry: emptyRegistry(), corrupt: false, repairs: [], missing: true };
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (!isRegistryShape(data)) return { registry: emptyRegistry(), corrupt: true, text };
  if (data.version > REGISTRY_VERSION) {
    throw new BerthError('REGISTRY_TOO_NEW', `${file} was written by a newer berth (registry version ${data.version}); upgrade berth`);
  }
  const repairs: string[] = [];
  let sticky: Registry['sticky'] = {};
  if (data.sticky !== undefined) {
    const parsed = v.safeParse(StickySchema, data.sticky);
    if (parsed.success) sticky = parsed.output;
    else repairs.push('its remembered blocks ("sticky") were not a map of ports: forgotten');
  }
  let leftovers: Leftover[] = [];
  if (data.leftovers !== undefined) {
    const parsed = v.safeParse(LeftoversSchema, data.leftovers);
    if (parsed.success) leftovers = parsed.output;
    else repairs.push('its list of leftover process groups was unreadable: dropped (berth gc can no longer end them)');
  }
  const leases = data.leases.map((raw, index) => {
    const parsed = parseLease(raw);
    return parsed.ok ? parsed.lease : invalidLease(raw, index, parsed.reason);
  });
  return { registry: { version: REGISTRY_VERSION, leases, sticky, leftovers }, corrupt: false, repairs };
}

/** A stand-in for an unreadable lease: never stale, holding the ports it seems to hold. */
function invalidLease(raw: unknown, index: number, reason: string): Lease {
  const field = (key: string): unknown => (typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[key] : undefined);
  const text = (key: string, fallback: string) => {
    const value = field(key);
    return typeof value === 'string' && value !== '' ? value : fallback;
  };
  const instance = field('instance');
  const lease: Lease = {
    id: text('id', `invalid-${index + 1}`),
    project: text('project', '?'),
    root: text('root', ''),
    env: text('env', '?'),
    instance: typeof instance === 'number' && Number.isInteger(instance) && instance > 0 ? instance : 0,
    ports: null,
    blocks: [],
    services: { '?': salvagePorts(raw) },
    owner: { pid: 0, startTime: 0, host: '' },
    createdAt: text('createdAt', ''),
    reserved: true,
    invalid: reason,
  };
  rawOf.set(lease, raw);
  return lease;
}

/** Moves a corrupt registry aside as `registry.json.corrupt-<time>`; returns the new name. */
export function moveAside(file: string): string {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(file, aside);
  return aside;
}

/** A registry at the top: a version number and a list of leases (each checked on its own). */
function isRegistryShape(data: unknown): data is { version: number; leases: unknown[]; sticky?: unknown; leftovers?: unknown } {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const candidate = data as { version?: unknown; leases?: unknown };
  return typeof candidate.version === 'number' && Number.isInteger(candidate.version) && candidate.version >= 1 && Array.isArray(candidate.leases);
}

/** Writes by temp file + rename, so a reader sees the old registry or the new one, never half. */
export function writeRegistry(file: string, registry: Registry): void {
  const keys = Object.keys(registry.sticky);
  for (const key of keys.slice(0, Math.max(0, keys.length - STICKY_LIMIT))) delete registry.sticky[key];
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const leases = registry.leases.map((lease) => (rawOf.has(lease) ? rawOf.get(lease) : lease));
  writeFileSync(temp, `${JSON.stringify({ ...registry, leases }, null, 1)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}
