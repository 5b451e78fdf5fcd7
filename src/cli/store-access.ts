import { openLeaseStore, type OpenedStore } from '../store/open-store.js';
import { warn, type CliIo } from './io.js';

/**
 * The lease store BERTH_STORE names: the registry in BERTH_HOME (default), or Redis. Its own
 * file, so commands that need no ports.yaml do not load the YAML stack that context.ts brings.
 */
export function openStore(io: CliIo): OpenedStore {
  return openLeaseStore({ env: io.env, warn: (message) => warn(io, message) });
}
