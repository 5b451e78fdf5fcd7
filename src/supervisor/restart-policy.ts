import type { ServiceConfig } from '../config/types.js';
import type { RestartBackoff } from './backoff.js';

/** How one run ended, as far as the restart policy cares. */
export interface RunOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the run never became ready, when its readiness check failed. */
  notReady: string | null;
  /** Whether the run had become ready. */
  wasReady: boolean;
  startedAt: number;
  endedAt: number;
}

export type AfterExit =
  | { action: 'exited' }
  | { action: 'failed'; reason: string }
  | { action: 'restart'; delayMs: number; reason: string };

/**
 * What happens after a run ended on its own: `restart: never | on-failure | always`, with
 * exponential backoff, and failed after `max_restarts` restarts in a row. Pure.
 */
export function decideAfterExit(config: Pick<ServiceConfig, 'restart' | 'maxRestarts'>, outcome: RunOutcome, backoff: RestartBackoff): AfterExit {
  const success = outcome.code === 0 && outcome.notReady === null;
  const how = outcome.notReady ?? (outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`);
  const when = outcome.wasReady || outcome.notReady ? '' : ' before it was ready';
  const restart = config.restart === 'always' || (config.restart === 'on-failure' && !success);
  if (!restart) return success ? { action: 'exited' } : { action: 'failed', reason: `${how}${when}` };
  if (config.maxRestarts !== null && backoff.streak >= config.maxRestarts) {
    return { action: 'failed', reason: `${how}; gave up after ${config.maxRestarts} restarts in a row` };
  }
  const delayMs = backoff.next(outcome.startedAt, outcome.endedAt);
  return { action: 'restart', delayMs, reason: `${how}${when}; restarting in ${delayMs} ms` };
}
