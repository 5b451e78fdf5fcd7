import type net from 'node:net';
import { closeServer } from './bind-probe.js';

/**
 * Probe sockets kept bound on allocated ports, so nothing else takes a port between the check
 * and the start of the service that owns it. A port may be held by several sockets (one per
 * address where one `::` bind does not cover them all: see bind-probe.ts); releasing the port
 * closes every one. Release a service's ports just before spawning it.
 */
export class PortHolds {
  readonly #servers = new Map<number, readonly net.Server[]>();

  add(port: number, servers: net.Server | readonly net.Server[]): void {
    const next = Array.isArray(servers) ? [...servers] : [servers as net.Server];
    for (const previous of this.#servers.get(port) ?? []) {
      if (!next.includes(previous)) void closeServer(previous);
    }
    this.#servers.set(port, next);
  }

  has(port: number): boolean {
    return this.#servers.has(port);
  }

  get ports(): number[] {
    return [...this.#servers.keys()].sort((a, b) => a - b);
  }

  /** How many sockets are bound in all (each one a file descriptor). */
  get socketCount(): number {
    let count = 0;
    for (const servers of this.#servers.values()) count += servers.length;
    return count;
  }

  /** Closes every hold on these ports (all ports when omitted) and waits until they are unbound. */
  async release(ports?: Iterable<number>): Promise<void> {
    const chosen = ports === undefined ? [...this.#servers.keys()] : [...ports];
    const closing: Promise<void>[] = [];
    for (const port of chosen) {
      const servers = this.#servers.get(port);
      if (!servers) continue;
      this.#servers.delete(port);
      for (const server of servers) closing.push(closeServer(server));
    }
    await Promise.all(closing);
  }

  /** Moves every hold of `other` into this set. */
  absorb(other: PortHolds): void {
    for (const [port, servers] of other.#servers) this.add(port, servers);
    other.#servers.clear();
  }
}
