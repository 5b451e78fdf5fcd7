import type { ListenerReading } from './listeners.js';
import { runPosixCommand } from './posix-command.js';
import { SharedReading } from './shared-reading.js';

/**
 * Every other POSIX system (macOS, or Linux with BERTH_PLATFORM=posix): one
 * `lsof -nP -iTCP -sTCP:LISTEN -Fpn` for all ports (no name or port lookups), filtered here.
 */
export function posixListeners(ports: ReadonlySet<number>, maxAgeMs = 0): ListenerReading {
  const listeners = new Map<number, number[]>();
  if (ports.size === 0) return { listeners };
  const all = lsofReading.get(maxAgeMs);
  if (!all) return { listeners, unavailable: 'lsof is not installed: berth cannot tell which process holds a leased port (install lsof)' };
  for (const [port, pids] of all) if (ports.has(port)) listeners.set(port, pids);
  return { listeners };
}

/** Every listener lsof shows (null without lsof), shared by the callers within their `maxAgeMs` (lsof takes ~50-100 ms). */
const lsofReading = new SharedReading(() => {
  const output = runPosixCommand('lsof', ['-nP', '-iTCP', '-sTCP:LISTEN', '-Fpn']);
  return output.ok ? parseLsofListeners(output.stdout) : null;
});

/**
 * `lsof -F` output is one field a line, its first letter naming it: `p` starts a process,
 * `n` is a socket's name (`127.0.0.1:5432`, `*:5432`, `[::1]:5432`); other fields (`f`, the
 * descriptor, which some lsof builds always add) are skipped.
 */
export function parseLsofListeners(text: string): Map<number, number[]> {
  const listeners = new Map<number, number[]>();
  let pid: number | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('p')) {
      const value = Number(line.slice(1));
      pid = Number.isInteger(value) && value > 0 ? value : null;
    } else if (line.startsWith('n') && pid !== null) {
      const match = /:(\d+)$/.exec(line.slice(1).trim());
      if (!match || line.includes('->')) continue; // a connection, not a listening socket
      const port = Number(match[1]);
      const pids = listeners.get(port) ?? [];
      if (!pids.includes(pid)) pids.push(pid);
      listeners.set(port, pids);
    }
  }
  return listeners;
}
