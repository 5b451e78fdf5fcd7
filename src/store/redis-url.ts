import { UsageError } from '../errors.js';

/** Where a Redis lease store is, from `BERTH_STORE`. */
export interface RedisTarget {
  /** `redis://` and `rediss://` (TLS) connect by URL; `unix://` by socket path. */
  url?: string;
  socketPath?: string;
  database: number;
  /** The URL with any password masked, for messages. */
  display: string;
}

/**
 * Parses `redis://[USER:PASSWORD@]HOST[:PORT][/DB]`, `rediss://…` (TLS) or
 * `unix:///path/to/redis.sock[?db=N]`. Anything else is a usage error naming BERTH_STORE.
 */
export function parseRedisTarget(value: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw badTarget(value);
  }
  const display = masked(parsed);
  if (parsed.protocol === 'unix:') {
    const socketPath = decodeURIComponent(parsed.pathname);
    if (parsed.host !== '' || !socketPath.startsWith('/') || socketPath === '/') throw badTarget(value);
    return { socketPath, database: database(parsed.searchParams.get('db') ?? '0', value), display };
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw badTarget(value);
  if (parsed.hostname === '') throw badTarget(value);
  const db = parsed.pathname.replace(/^\//, '') || '0';
  return { url: value, database: database(db, value), display };
}

function database(text: string, value: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new UsageError(`BERTH_STORE=${value}: the database must be a number (redis://HOST:PORT/DB), not "${text}"`, 'BAD_STORE');
  return Number(text);
}

function masked(url: URL): string {
  if (url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.password = '***';
  return copy.href;
}

function badTarget(value: string): UsageError {
  return new UsageError(`BERTH_STORE=${value}: expected redis://HOST:PORT/DB, rediss://HOST:PORT/DB or unix:///path/to/redis.sock (unset: the file store in BERTH_HOME)`, 'BAD_STORE');
}
