import { parseDuration } from '../config/duration.js';
import { UsageError } from '../errors.js';
import { berthHome } from './berth-home.js';
import { FileLeaseStore } from './file-store.js';
import type { LeaseStore } from './lease-store.js';
import { DEFAULT_TTL_MS, RedisLeaseStore } from './redis-store.js';
import { parseRedisTarget } from './redis-url.js';

/** A store as the CLI uses it: its leases, and BERTH_HOME for the files that stay on this machine. */
export type OpenedStore = LeaseStore & { readonly home: string };

export interface OpenStoreOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the file store's warnings go. */
  warn?: (message: string) => void;
}

/**
 * The lease store `BERTH_STORE` names: unset (or `file`), the registry in BERTH_HOME;
 * `redis://HOST:PORT/DB`, `rediss://…` or `unix:///path.sock`, Redis. `BERTH_REDIS_TTL`
 * (a duration, default 15s) sets how long a Redis lease lives without a heartbeat.
 */
export function openLeaseStore(options: OpenStoreOptions = {}): OpenedStore {
  const env = options.env ?? process.env;
  const home = berthHome(env);
  const chosen = env.BERTH_STORE?.trim() ?? '';
  if (chosen === '' || chosen === 'file') return new FileLeaseStore({ home, ...(options.warn ? { warn: options.warn } : {}) });
  return new RedisLeaseStore({ target: parseRedisTarget(chosen), home, ttlMs: redisTtl(env.BERTH_REDIS_TTL) });
}

function redisTtl(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_TTL_MS;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 300) throw new UsageError(`BERTH_REDIS_TTL=${value}: expected a duration of 300ms or more (e.g. 15s)`, 'BAD_STORE');
  return ms;
}
