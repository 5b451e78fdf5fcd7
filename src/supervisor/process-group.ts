import { readdirSync, readFileSync } from 'node:fs';

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

/**
 * Whether any process of the group still runs. `kill(-pgid, 0)` also succeeds for a group of
 * only zombies (Linux), which are dead for every purpose here, so on Linux a positive answer is
 * checked against the process states in /proc.
 */
export function isGroupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (process.platform !== 'linux') return true;
  return groupMembers(pgid).length > 0;
}

/** Live (non-zombie) pids of a process group, from /proc. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
  }
  return members;
}

/** Resolves true once the group is gone, or false when `timeoutMs` passes first (polled). */
export async function waitForGroupExit(pgid: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let interval = 5;
  for (;;) {
    if (!isGroupAlive(pgid)) return true;
    if (Date.now() >= deadline || signal?.aborted) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(interval, Math.max(1, deadline - Date.now()))));
    interval = Math.min(interval * 2, 50);
  }
}
