import type { Clock } from './clock.js';
import { SHARED_READ_AGE_MS, type ProcessTree } from './process-tree.js';

/** How a staged stop ended: the tree went on the stop signal, needed SIGKILL, or outlived even that. */
export type StopOutcome = 'stopped' | 'killed' | 'stuck';

export interface StageOptions {
  signal: NodeJS.Signals;
  timeoutMs: number;
  clock: Clock;
  /** How long to wait for the tree to go after SIGKILL (default 2 s). */
  killWaitMs?: number;
}

/**
 * Stops a whole process tree in stages: `signal` to every member, up to `timeoutMs` for them to
 * go, then SIGKILL to whatever is left. Members that appear meanwhile (a daemon forking while it
 * shuts down) get the current stage's signal too. Every wait goes through the Clock.
 */
export async function stopInStages(tree: ProcessTree, options: StageOptions): Promise<StopOutcome> {
  await signalStage(tree, options.signal, options.clock);
  if (await waitUntilGone(tree, options.timeoutMs, options.clock, options.signal)) return 'stopped';
  await signalStage(tree, 'SIGKILL', options.clock);
  if (await waitUntilGone(tree, options.killWaitMs ?? 2000, options.clock, 'SIGKILL')) return 'killed';
  return 'stuck';
}

/**
 * One stage's signal: the group (and the members already known) first, then the read of the
 * table (~35 ms for a few hundred processes, shared by every tree of a stack stopping at once)
 * for the members that left it, which follow. The read waits a turn, so that every tree
 * stopping with this one has signalled its group before it.
 */
async function signalStage(tree: ProcessTree, signal: NodeJS.Signals, clock: Clock): Promise<void> {
  tree.signal(signal);
  await pause(clock, 0);
  tree.scan(SHARED_READ_AGE_MS);
  tree.signalFound(signal);
}

/** Resolves true once the tree is gone, false when `timeoutMs` passed first; re-reads the table every 250 ms. */
export async function waitUntilGone(tree: ProcessTree, timeoutMs: number, clock: Clock, resend?: NodeJS.Signals): Promise<boolean> {
  const deadline = clock.now() + timeoutMs;
  let interval = 2;
  for (;;) {
    if (tree.isGone()) return true;
    if (tree.sinceScan >= 250) {
      tree.scan(SHARED_READ_AGE_MS);
      if (resend) tree.signal(resend);
    }
    const left = deadline - clock.now();
    if (left <= 0) return false;
    await pause(clock, Math.min(interval, left));
    interval = Math.min(interval * 2, 50);
  }
}

export function pause(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
