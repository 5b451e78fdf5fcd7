import { isProcessAlive } from '../store/process-identity.js';
import { signalGroup, waitForGroupExit } from './process-group.js';

/**
 * Ends process groups a dead berth left behind (recorded in its lease), when its watchdog died
 * with it. Only a group whose leader is still the very process recorded — same pid, same start
 * time — is signalled, so a reused pid is never hit: SIGTERM, then SIGKILL after `graceMs`.
 * Returns the groups it ended.
 */
export async function reapGroups(groups: readonly { pgid: number; startTime: number }[], graceMs = 2000): Promise<number[]> {
  const ours = groups.filter((group) => isProcessAlive(group.pgid, group.startTime));
  for (const group of ours) signalGroup(group.pgid, 'SIGTERM');
  await Promise.all(
    ours.map(async (group) => {
      if (!(await waitForGroupExit(group.pgid, graceMs))) {
        signalGroup(group.pgid, 'SIGKILL');
        await waitForGroupExit(group.pgid, 1000);
      }
    }),
  );
  return ours.map((group) => group.pgid);
}
