import 'node:dns'; // listen({ host }) resolves through dns.lookup: load it with this module, not mid-claim
import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Checks a port by binding it. Where a dual-stack `::` socket exists (Linux with
 * net.ipv6.bindv6only=0, the default), binding `::` conflicts with a listener on 127.0.0.1,
 * ::1, 0.0.0.0 or ::, so that one bind is the whole check. Elsewhere (macOS, where SO_REUSEADDR
 * lets a wildcard bind succeed beside a specific one; IPv6 turned off) each of 127.0.0.1, ::1,
 * 0.0.0.0 and :: is bound in turn.
 */
export const PROBE_ADDRESSES = ['127.0.0.1', '::1', '0.0.0.0', '::'] as const;

export type ProbeOutcome =
  | { port: number; free: true; hold: net.Server | null }
  | { port: number; free: false; reason: 'in-use' | 'denied'; address: string };

/** Errors that mean "this address does not exist here" (IPv6 off), not "port taken". */
const MISSING_ADDRESS = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EPROTONOSUPPORT', 'EINVAL']);

net.isIP('::'); // compiles the address patterns now rather than inside the first claim

let dualStackOnly: boolean | undefined;

/** Whether one `::` bind sees every listener (Linux with dual-stack sockets by default). */
function wildcardSeesAll(): boolean {
  if (dualStackOnly === undefined) {
    dualStackOnly = false;
    if (process.platform === 'linux') {
      try {
        dualStackOnly = readFileSync('/proc/sys/net/ipv6/bindv6only', 'utf8').trim() === '0';
      } catch {
        dualStackOnly = false;
      }
    }
  }
  return dualStackOnly;
}

/** A held port is not a service: a client that connects to it is reset at once, never left hanging. */
function refuse(socket: net.Socket): void {
  socket.resetAndDestroy();
}

function listen(port: number, host: string): Promise<net.Server | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const server = net.createServer(refuse);
    server.unref();
    const onError = (error: NodeJS.ErrnoException) => resolve(error);
    server.once('error', onError);
    server.listen({ port, host, backlog: 1 }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Binds `port` to see whether it is free. When `hold` is set and it is, a wildcard socket stays
 * bound and listening, so no other process can take the port until the caller closes it.
 */
export async function probePort(port: number, options: { hold?: boolean } = {}): Promise<ProbeOutcome> {
  const addresses = wildcardSeesAll() ? (['::'] as const) : PROBE_ADDRESSES;
  let lastBound: string | undefined;
  for (const address of addresses) {
    const result = await listen(port, address);
    if (result instanceof net.Server) {
      lastBound = address;
      if (options.hold && address === '::') return { port, free: true, hold: result };
      await closeServer(result);
      continue;
    }
    if (result.code && MISSING_ADDRESS.has(result.code)) {
      if (addresses.length === 1) return probeEach(port, options); // no IPv6 after all
      continue;
    }
    if (result.code === 'EACCES' || result.code === 'EPERM') return { port, free: false, reason: 'denied', address };
    return { port, free: false, reason: 'in-use', address };
  }
  if (!options.hold || lastBound === undefined) return { port, free: true, hold: null };
  // No IPv6 here: hold the IPv4 wildcard instead.
  const held = await listen(port, lastBound);
  if (held instanceof net.Server) return { port, free: true, hold: held };
  return { port, free: false, reason: 'in-use', address: lastBound };
}

function probeEach(port: number, options: { hold?: boolean }): Promise<ProbeOutcome> {
  dualStackOnly = false;
  return probePort(port, options);
}

/** Probes many ports at once. */
export function probePorts(ports: readonly number[], options: { hold?: boolean } = {}): Promise<ProbeOutcome[]> {
  return Promise.all(ports.map((port) => probePort(port, options)));
}
