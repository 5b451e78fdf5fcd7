import { existsSync, readFileSync } from 'node:fs';
import type { PlatformName } from './index.js';

/**
 * How binding a port behaves here: the two facts the bind probe (ports/bind-probe.ts) needs.
 */

/**
 * Whether one dual-stack `::` bind covers 127.0.0.1, ::1, 0.0.0.0 and :: on its port: it fails
 * while any of them is bound, and while it is held nobody can bind any of them.
 *
 * - procfs (Linux): yes when /proc/sys/net/ipv6/bindv6only is 0 (`::` sockets are dual-stack by
 *   default) and IPv6 exists at all (/proc/net/if_inet6; it is missing when the kernel runs
 *   with ipv6.disable=1).
 * - POSIX backend: no. On macOS (BSD sockets) SO_REUSEADDR, which Node sets on every listening
 *   socket, lets another program bind 127.0.0.1:P beside a socket on [::]:P, so every address
 *   is probed and held on its own. Linux with BERTH_PLATFORM=posix takes this path too.
 */
export function dualStackCoversAll(platform: PlatformName, read: (file: string) => string = readText): boolean {
  if (platform !== 'procfs') return false;
  try {
    if (read('/proc/sys/net/ipv6/bindv6only').trim() !== '0') return false;
    return existsSync('/proc/net/if_inet6');
  } catch {
    return false; // no IPv6 sysctls: no IPv6
  }
}

/**
 * Whether a listening socket on a wildcard address (0.0.0.0, or :: with IPV6_V6ONLY) keeps every
 * other socket off the specific addresses of its family on that port, and the reverse. This
 * is the kernel's rule, whichever backend reads the process table:
 *
 * - Linux: yes, even with SO_REUSEADDR on both (measured: with 0.0.0.0:P and [::]:P (v6only)
 *   held, binding 127.0.0.1:P or [::1]:P fails with EADDRINUSE, in this process or any other).
 *   So holding the two wildcards keeps out all four addresses, and a socket on 127.0.0.1 and
 *   one on 0.0.0.0 cannot both be held.
 * - BSD / macOS: no. SO_REUSEADDR lets a specific address share a port with the wildcard, so
 *   all four must be held, and they can be.
 */
export function wildcardExcludesSpecific(platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'linux' || platform === 'android';
}

function readText(file: string): string {
  return readFileSync(file, 'utf8');
}
