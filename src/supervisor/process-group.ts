import { readdirSync, readFileSync } from 'node:fs';
import { statFields } from '../store/process-identity.js';

/**
 * Signals and liveness of whole process groups. Every service runs as the leader of its own
 * group, so `npm run dev` → sh → node, or `sh -c "a & b"`, is stopped as one.
 */

/** Sends `signal` to every process of the group; false when the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

let scan: { at: number; groups: Set<number> } | null = null;

/**
 * Process groups with at least one live (non-zombie) member, from one /proc scan shared by every
 * caller within 20 ms, so many groups stopping at once cost one scan per tick, not one each.
 */
function groupsWithLiveMembers(): Set<number> {
  const now = Date.now();
  if (scan && now - scan.at < 20) return scan.groups;
  const groups = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = statFields(stat);
    if (fields[0] !== 'Z') groups.add(Number(fields[2]));
  }
  scan = { at: now, groups };
  return groups;
}

/**
 * Whether any process of the group still runs. `kill(-pgid, 0)` also succeeds for a group of
 * only zombies (Linux); with `thorough`, a positive answer is checked against /proc, where a
 * zombie is dead for every purpose here.
 */
export function isGroupAlive(pgid: number, thorough = false): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (!thorough || process.platform !== 'linux') return true;
  return groupsWithLiveMembers().has(pgid);
}

/**
 * Resolves true once the group is gone, or false when `timeoutMs` passes first. Polls
 * `kill(-pgid, 0)`, which answers at once when reaping works; after 100 ms it also reads
 * /proc, so zombies that nobody reaps (a container whose PID 1 does not) do not count.
 */
export async function waitForGroupExit(pgid: number, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let interval = 2;
  for (;;) {
    if (!isGroupAlive(pgid, Date.now() - started > 100)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(interval, Math.max(1, deadline - Date.now()))));
    interval = Math.min(interval * 2, 50);
  }
}
