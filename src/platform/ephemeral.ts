import { readFileSync } from 'node:fs';
import { platformName } from './index.js';
import { runPosixCommand } from './posix-command.js';

/** The kernel's ephemeral port range: ports an outgoing connection may take at any moment. */
export interface EphemeralRange {
  first: number;
  last: number;
}

/** This machine's ephemeral port range, or null where it cannot be read. */
export function readEphemeralRange(): EphemeralRange | null {
  return platformName() === 'procfs' ? procfsEphemeralRange() : posixEphemeralRange();
}

/** Linux: /proc/sys/net/ipv4/ip_local_port_range ("32768\t60999"). */
export function procfsEphemeralRange(): EphemeralRange | null {
  try {
    return parseEphemeralRange(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * One `sysctl -n`: `net.inet.ip.portrange.first` and `.last` on macOS and the BSDs (two
 * lines), `net.ipv4.ip_local_port_range` on Linux (one line, two numbers).
 */
export function posixEphemeralRange(): EphemeralRange | null {
  const names = process.platform === 'linux' ? ['net.ipv4.ip_local_port_range'] : ['net.inet.ip.portrange.first', 'net.inet.ip.portrange.last'];
  const output = runPosixCommand('sysctl', ['-n', ...names], { alsoIn: ['/usr/sbin', '/sbin'] });
  return output.ok ? parseEphemeralRange(output.stdout) : null;
}

export function parseEphemeralRange(text: string): EphemeralRange | null {
  const numbers = text.trim().split(/\s+/).map(Number);
  const [first, last] = numbers;
  if (numbers.length !== 2 || !Number.isInteger(first) || !Number.isInteger(last)) return null;
  return (first as number) > 0 && (first as number) <= (last as number) && (last as number) <= 65535 ? { first: first as number, last: last as number } : null;
}
