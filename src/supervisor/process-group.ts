/**
 * Signals to whole process groups. Every service runs as the leader of its own group, so
 * `npm run dev` → sh → node, or `sh -c "a & b"`, is signalled as one.
 */

/** Sends `signal` to every process of the group; false when the group is gone (or none of it is ours to signal). */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw error;
  }
}
