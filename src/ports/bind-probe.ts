import 'node:dns'; // listen({ host }) resolves through dns.lookup: load it with this module, not mid-claim
import net from 'node:net';
import { BerthError } from '../errors.js';
import { dualStackCoversAll, wildcardExcludesSpecific } from '../platform/dual-stack.js';
import { platformName } from '../platform/index.js';

/**
 * Checks a port by binding it, and can keep it bound ("hold" it) so nobody takes it before the
 * service that owns it starts. Two modes, chosen from platform facts (platform/dual-stack.ts):
 *
 * - `dual-stack` (Linux with net.ipv6.bindv6only=0, the default): one `::` socket conflicts
 *   with a listener on 127.0.0.1, ::1, 0.0.0.0 or ::, and while held keeps all four out.
 * - `per-address` (macOS, the POSIX backend, bindv6only=1, no IPv6): each address is bound on
 *   its own, `::` with IPV6_V6ONLY so it does not collide with this probe's own 0.0.0.0. On
 *   BSD/macOS that is all four of 127.0.0.1, ::1, 0.0.0.0 and :: (SO_REUSEADDR lets a
 *   specific address share a port with a wildcard, so each must be held). On a Linux kernel
 *   the two wildcards are the whole check and the whole hold: a listening 0.0.0.0 or [::]
 *   socket conflicts with 127.0.0.1 / ::1 both ways, so a socket on 127.0.0.1 beside one on
 *   0.0.0.0 cannot even be bound. Addresses that do not exist here (IPv6 off) are skipped.
 *
 * A failure that says nothing about the port (out of file descriptors, anything unexpected)
 * is thrown, never reported as "in use".
 */
export const PROBE_ADDRESSES = ['127.0.0.1', '::1', '0.0.0.0', '::'] as const;

export type ProbeMode = 'dual-stack' | 'per-address';

export interface ProbeOptions {
  /** Keep the sockets of a free port bound; the caller closes them (PortHolds). */
  hold?: boolean;
  /** Default: this platform's mode (probeMode()). */
  mode?: ProbeMode;
}

export type ProbeOutcome =
  | { port: number; free: true; hold: net.Server[] | null }
  | { port: number; free: false; reason: 'in-use' | 'denied'; address: string };

/** Errors that mean "this address does not exist here" (IPv6 off), not "port taken". */
const MISSING_ADDRESS = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EPROTONOSUPPORT', 'EINVAL']);
const OUT_OF_FILES = new Set(['EMFILE', 'ENFILE']);
/** Ports probed at once: a wide `berth check` must not open thousands of sockets together. */
const PARALLEL = 256;

net.isIP('::'); // compiles the address patterns now rather than inside the first claim

let platformMode: ProbeMode | undefined;

/** This platform's mode, decided once per process. */
export function probeMode(): ProbeMode {
  platformMode ??= dualStackCoversAll(platformName()) ? 'dual-stack' : 'per-address';
  return platformMode;
}

/** The addresses bound for each port in per-address mode (see above). */
export function perAddressSet(): readonly string[] {
  return wildcardExcludesSpecific() ? ['0.0.0.0', '::'] : PROBE_ADDRESSES;
}

/** A held port is not a service: a client that connects to it is reset at once, never left hanging. */
function refuse(socket: net.Socket): void {
  socket.resetAndDestroy();
}

function listen(port: number, host: string, ipv6Only: boolean): Promise<net.Server | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const server = net.createServer(refuse);
    server.unref();
    const onError = (error: NodeJS.ErrnoException) => resolve(error);
    server.once('error', onError);
    server.listen({ port, host, backlog: 1, ipv6Only }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Binds `port` to see whether it is free. When `hold` is set and it is, its sockets stay bound
 * and listening, so no other process can take the port until the caller closes them.
 */
export async function probePort(port: number, options: ProbeOptions = {}): Promise<ProbeOutcome> {
  const mode = options.mode ?? probeMode();
  if (mode === 'per-address') return probeEach(port, options.hold === true);
  const result = await listen(port, '::', false);
  if (result instanceof net.Server) {
    if (options.hold) return { port, free: true, hold: [result] };
    await closeServer(result);
    return { port, free: true, hold: null };
  }
  if (isMissing(result)) {
    if (options.mode === undefined) platformMode = 'per-address'; // no IPv6 after all
    return probeEach(port, options.hold === true);
  }
  return refused(port, '::', result);
}

async function probeEach(port: number, hold: boolean): Promise<ProbeOutcome> {
  const addresses = perAddressSet();
  const results = await Promise.all(addresses.map((address) => listen(port, address, address === '::')));
  const servers = results.filter((result): result is net.Server => result instanceof net.Server);
  let outcome: ProbeOutcome | null = null;
  let failure: unknown = null;
  // The last address refused is named: the wildcard `::` for a dual-stack listener, as in the
  // dual-stack mode; 127.0.0.1 where only that one was taken (BSD).
  for (const [i, result] of results.entries()) {
    if (result instanceof net.Server || isMissing(result)) continue;
    try {
      outcome = refused(port, addresses[i] as string, result, addresses.length);
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure || outcome || !hold) await Promise.all(servers.map(closeServer));
  if (failure) throw failure;
  return outcome ?? { port, free: true, hold: hold && servers.length > 0 ? servers : null };
}

function isMissing(error: NodeJS.ErrnoException): boolean {
  return error.code !== undefined && MISSING_ADDRESS.has(error.code);
}

/** A bind that failed: taken, not ours to bind, or a failure that must not pass for either. */
function refused(port: number, address: string, error: NodeJS.ErrnoException, perPort = 1): ProbeOutcome {
  if (error.code === 'EADDRINUSE') return { port, free: false, reason: 'in-use', address };
  if (error.code === 'EACCES' || error.code === 'EPERM') return { port, free: false, reason: 'denied', address };
  if (error.code && OUT_OF_FILES.has(error.code)) {
    throw new BerthError(
      'TOO_MANY_OPEN_FILES',
      `out of file descriptors (${error.code}) while binding ${address}:${port} to check it: berth keeps ${perPort} socket${perPort === 1 ? '' : 's'} bound per allocated port until its service starts; raise the open-file limit (ulimit -n)`,
      { cause: error },
    );
  }
  throw new BerthError('PROBE_FAILED', `cannot bind ${address}:${port} to check it: ${error.message}`, { cause: error });
}

/**
 * Probes many ports, at most PARALLEL at a time. When one probe throws, every socket the others
 * hold is closed before the error is passed on.
 */
export async function probePorts(ports: readonly number[], options: ProbeOptions = {}): Promise<ProbeOutcome[]> {
  const outcomes: ProbeOutcome[] = [];
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < ports.length) {
      const index = next++;
      try {
        outcomes[index] = await probePort(ports[index] as number, options);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, ports.length) }, worker));
  if (failure !== null) {
    const held = outcomes.flatMap((outcome) => (outcome?.free && outcome.hold ? outcome.hold : []));
    await Promise.all(held.map(closeServer));
    throw (failure as { error: unknown }).error;
  }
  return outcomes;
}
