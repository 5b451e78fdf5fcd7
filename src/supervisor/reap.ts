import { isProcessAlive } from '../platform/identity.js';
import type { LeaseGroup } from '../store/lease.js';
import { systemClock, type Clock } from './clock.js';
import { ProcessTree } from './process-tree.js';
import { stopInStages } from './staged-stop.js';

/**
 * Ends the service runs a dead berth left behind (recorded in its lease), when its watchdog
 * died with it. Each run is stopped as berth would (its stop signal, its stop timeout, SIGKILL):
 * the processes carrying its run marker, and its process group only while the group's leader is
 * still the very process recorded (same pid, same start time), so a reused pid is never hit.
 * Returns the groups it ended.
 */
export async function reapGroups(groups: readonly LeaseGroup[], options: { clock?: Clock; defaultTimeoutMs?: number } = {}): Promise<number[]> {
  const clock = options.clock ?? systemClock;
  const ended = await Promise.all(
    groups.map(async (group) => {
      const leaderIsOurs = isProcessAlive(group.pgid, group.startTime);
      const tree = new ProcessTree(leaderIsOurs ? group.pgid : null, group.marker ?? null);
      if (tree.scan(0).length === 0) return null;
      await stopInStages(tree, { signal: (group.signal ?? 'SIGTERM') as NodeJS.Signals, timeoutMs: Math.min(group.timeoutMs ?? options.defaultTimeoutMs ?? 2000, 10_000), clock });
      return group.pgid;
    }),
  );
  return ended.filter((pgid): pgid is number => pgid !== null);
}
