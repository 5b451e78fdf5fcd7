import * as v from 'valibot';
import type { Lease } from './lease.js';

/**
 * The shape of a lease in registry.json. The registry is another process's output, on a disk
 * anyone with the user's rights can edit: every lease is parsed, never trusted.
 */
const port = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65_535));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const pair = v.tuple([port, port]);

const owner = v.looseObject({
  pid: v.pipe(v.number(), v.integer(), v.minValue(1)),
  // NaN is written as null when ps could not be read: the pid alone is then the identity.
  startTime: v.union([v.number(), v.null()]),
  host: v.string(),
  boot: v.optional(v.string()),
  hostname: v.optional(v.string()),
});

const group = v.looseObject({
  pgid: v.pipe(v.number(), v.integer(), v.minValue(1)),
  startTime: v.number(),
  marker: v.optional(v.string()),
  signal: v.optional(v.string()),
  timeoutMs: v.optional(count),
});

export const LeaseSchema = v.looseObject({
  id: v.pipe(v.string(), v.nonEmpty()),
  project: v.string(),
  root: v.string(),
  env: v.string(),
  instance: v.pipe(v.number(), v.integer(), v.minValue(1)),
  ports: v.nullable(pair),
  blocks: v.array(v.looseObject({ range: v.string(), ports: pair, group: v.string() })),
  services: v.record(v.string(), v.array(port)),
  owner,
  createdAt: v.string(),
  reserved: v.optional(v.boolean()),
  ownerTied: v.optional(v.boolean()),
  socket: v.optional(v.string()),
  groups: v.optional(v.array(group)),
  files: v.optional(v.array(v.string())),
});

/** `leftovers`: the process groups of reclaimed leases, until `berth gc` has ended them. */
export const LeftoversSchema = v.array(
  v.looseObject({ lease: v.string(), label: v.string(), since: v.string(), groups: v.array(group) }),
);

/** `sticky`: stickyKey → block group → first port. */
export const StickySchema = v.record(v.string(), v.record(v.string(), port));

export type LeaseParse = { ok: true; lease: Lease } | { ok: false; reason: string };

export function parseLease(raw: unknown): LeaseParse {
  const result = v.safeParse(LeaseSchema, raw);
  if (result.success) return { ok: true, lease: result.output as unknown as Lease };
  const issue = result.issues[0];
  const where = issue ? v.getDotPath(issue) : null;
  return { ok: false, reason: `${where ?? 'lease'}: ${issue?.message ?? 'not a lease'}` };
}

/**
 * Every port an unreadable lease still seems to hold (numbers or numeric strings in its
 * services, block and blocks): they stay taken until the lease is released.
 */
export function salvagePorts(raw: unknown): number[] {
  const found = new Set<number>();
  const add = (value: unknown) => {
    const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof number === 'number' && Number.isInteger(number) && number >= 1 && number <= 65_535) found.add(number);
  };
  const addRange = (value: unknown) => {
    if (!Array.isArray(value) || value.length !== 2) return;
    const [first, last] = value.map((end) => (typeof end === 'string' ? Number(end) : end)) as [unknown, unknown];
    if (typeof first !== 'number' || typeof last !== 'number' || !Number.isInteger(first) || !Number.isInteger(last)) return;
    // A block longer than any range berth hands out is not believed beyond its ends.
    if (last >= first && last - first < 4096) for (let p = first; p <= last; p++) add(p);
    else (add(first), add(last));
  };
  if (typeof raw !== 'object' || raw === null) return [];
  const lease = raw as Record<string, unknown>;
  if (typeof lease.services === 'object' && lease.services !== null) {
    for (const ports of Object.values(lease.services)) {
      if (Array.isArray(ports)) ports.forEach(add);
      else add(ports);
    }
  }
  addRange(lease.ports);
  if (Array.isArray(lease.blocks)) {
    for (const block of lease.blocks) if (typeof block === 'object' && block !== null) addRange((block as Record<string, unknown>).ports);
  }
  return [...found].sort((a, b) => a - b);
}
