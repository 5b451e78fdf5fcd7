import type net from 'node:net';
import { closeServer } from './bind-probe.js';

/**
 * Probe sockets kept bound on allocated ports, so nothing else takes a port between the check
 * and the start of the service that owns it. Release a service's ports just before spawning it.
 */
export class PortHolds {
  readonly #servers = new Map<number, net.Server>();

  add(port: number, server: net.Server): void {
    const previous = this.#servers.get(port);
    if (previous && previous !== server) void closeServer(previous);
    this.#servers.set(port, server);
  }

  has(port: number): boolean {
    return this.#servers.has(port);
  }

  get ports(): number[] {
    return [...this.#servers.keys()].sort((a, b) => a - b);
  }

  /** Closes the holds on these ports (all when omitted) and waits until they are unbound. */
  async release(ports?: Iterable<number>): Promise<void> {
    const chosen = ports === undefined ? [...this.#servers.keys()] : [...ports];
    const closing: Promise<void>[] = [];
    for (const port of chosen) {
      const server = this.#servers.get(port);
      if (!server) continue;
      this.#servers.delete(port);
      closing.push(closeServer(server));
    }
    await Promise.all(closing);
  }

  /** Moves every hold of `other` into this set. */
  absorb(other: PortHolds): void {
    for (const port of other.ports) {
      const server = other.#servers.get(port);
      if (server) this.add(port, server);
    }
    other.#servers.clear();
  }
}
