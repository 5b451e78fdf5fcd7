import path from 'node:path';
import { checkConfigFile } from '../config/load-config.js';
import type { PortRange } from '../config/port-range.js';
import type { BerthConfig } from '../config/types.js';
import { rangeUse, type RangeUse } from '../ports/lease-report.js';
import type { Lease, LeaseView } from '../store/lease.js';

/** The ranges an instance's environment takes its blocks from (its own and its services'), in order. */
export function environmentRanges(config: BerthConfig, envName: string): PortRange[] {
  const env = config.environments.get(envName);
  if (!env) return [];
  const ranges = new Map<string, PortRange>();
  for (const range of env.ranges) ranges.set(range.name, range);
  for (const service of env.services) for (const range of service.ranges ?? []) ranges.set(range.name, range);
  return [...ranges.values()];
}

/**
 * Each range of an instance's environment with its use by every lease on this machine, for the
 * dashboard's header. The project's ports.yaml is read again at most every `ttlMs`; one that
 * cannot be read (moved, being edited) gives no ranges, never an error.
 */
export class InstanceRanges {
  readonly #cache = new Map<string, { at: number; config: BerthConfig | null }>();
  readonly #vars: Readonly<Record<string, string | undefined>>;
  readonly #ttlMs: number;

  constructor(vars: Readonly<Record<string, string | undefined>>, ttlMs = 10_000) {
    this.#vars = vars;
    this.#ttlMs = ttlMs;
  }

  of(lease: Lease, leases: readonly LeaseView[], now = Date.now()): RangeUse[] | undefined {
    const config = this.#config(lease.root, now);
    return config ? rangeUse(environmentRanges(config, lease.env), leases) : undefined;
  }

  #config(root: string, now: number): BerthConfig | null {
    const cached = this.#cache.get(root);
    if (cached && now - cached.at < this.#ttlMs) return cached.config;
    let config: BerthConfig | null = null;
    for (const name of ['ports.yaml', 'ports.yml']) {
      try {
        config = checkConfigFile({ file: path.join(root, name), cwd: root, vars: this.#vars, ephemeral: null }).config ?? null;
        if (config) break;
      } catch {
        // not this name, or unreadable
      }
    }
    this.#cache.set(root, { at: now, config });
    return config;
  }
}
