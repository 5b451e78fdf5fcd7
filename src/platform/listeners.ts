import { platformName } from './index.js';
import { posixListeners } from './listeners-posix.js';
import { procfsListeners } from './listeners-procfs.js';

/** Which processes listen on which TCP ports. */
export interface ListenerReading {
  /** port → pids listening on it (on any address), for the ports asked for. */
  listeners: Map<number, number[]>;
  /** Set when this platform could not tell (a tool is missing): why the map is empty. */
  unavailable?: string;
}

let toldUnavailable = false;

/**
 * The pids listening on each of `ports` (TCP, any address, IPv4 or IPv6), from /proc on Linux
 * and `lsof` elsewhere. Where it cannot tell, the map is empty and `warn` hears why, once per
 * process: the bind probe still sees such a port as taken, only not by whom. With `maxAgeMs`,
 * a reading of the sockets up to that old is shared (fresh by default).
 */
export function findListeners(ports: ReadonlySet<number>, options: { warn?: (message: string) => void; maxAgeMs?: number } = {}): Map<number, number[]> {
  const maxAgeMs = options.maxAgeMs ?? 0;
  const reading = platformName() === 'procfs' ? procfsListeners(ports, maxAgeMs) : posixListeners(ports, maxAgeMs);
  if (reading.unavailable && options.warn && !toldUnavailable) {
    toldUnavailable = true;
    options.warn(reading.unavailable);
  }
  return reading.listeners;
}
