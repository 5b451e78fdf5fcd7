import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { BerthError } from '../errors.js';
import type { Lease } from './lease.js';

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
}

export const REGISTRY_VERSION = 1;
const STICKY_LIMIT = 1000;

export function emptyRegistry(): Registry {
  return { version: REGISTRY_VERSION, leases: [], sticky: {} };
}

export type ReadResult = { registry: Registry; corrupt: false } | { registry: Registry; corrupt: true; text: string };

/** Reads the registry; a file that is not one (bad JSON, wrong shape) comes back as `corrupt`. */
export function readRegistry(file: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { registry: emptyRegistry(), corrupt: false };
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (!isRegistry(data)) return { registry: emptyRegistry(), corrupt: true, text };
  if (data.version > REGISTRY_VERSION) {
    throw new BerthError('REGISTRY_TOO_NEW', `${file} was written by a newer berth (registry version ${data.version}); upgrade berth`);
  }
  return { registry: { version: REGISTRY_VERSION, leases: data.leases, sticky: data.sticky ?? {} }, corrupt: false };
}

/** Moves a corrupt registry aside as `registry.json.corrupt-<time>`; returns the new name. */
export function moveAside(file: string): string {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(file, aside);
  return aside;
}

function isRegistry(data: unknown): data is Registry {
  if (typeof data !== 'object' || data === null) return false;
  const candidate = data as Partial<Registry>;
  return typeof candidate.version === 'number' && Array.isArray(candidate.leases) && candidate.leases.every(isLease);
}

function isLease(value: unknown): value is Lease {
  if (typeof value !== 'object' || value === null) return false;
  const lease = value as Partial<Lease>;
  return (
    typeof lease.id === 'string' &&
    typeof lease.env === 'string' &&
    typeof lease.instance === 'number' &&
    typeof lease.services === 'object' &&
    lease.services !== null &&
    typeof lease.owner === 'object' &&
    lease.owner !== null
  );
}

/** Writes by temp file + rename, so a reader sees the old registry or the new one, never half. */
export function writeRegistry(file: string, registry: Registry): void {
  const keys = Object.keys(registry.sticky);
  for (const key of keys.slice(0, Math.max(0, keys.length - STICKY_LIMIT))) delete registry.sticky[key];
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${JSON.stringify(registry, null, 1)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}
