import type { ServiceConfig } from '../config/types.js';
import type { Clock } from './clock.js';
import { waitForReady } from './readiness.js';
import type { LaunchSpec } from './service-env.js';
import type { ServiceRun } from './service-run.js';
import { mergeEnv } from './spawn-process.js';

/** ready, or why not; `detail` is null when the run ended before its check could conclude. */
export type RunReadiness = { ready: true } | { ready: false; detail: string | null };

/**
 * Waits for one run's readiness check within `ready_timeout`. The wait ends early, with no
 * verdict, when the run ends first (its exit is reported instead).
 */
export async function awaitReadiness(run: ServiceRun, config: ServiceConfig, launch: LaunchSpec, clock: Clock): Promise<RunReadiness> {
  const check = config.ready;
  const abort = new AbortController();
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, config.readyTimeoutMs);
  let ended = false;
  void run.ended.then(() => {
    ended = true;
    abort.abort();
  });
  try {
    if (check.kind === 'log') {
      if (await run.waitForText(check.text, abort.signal)) return { ready: true };
      return { ready: false, detail: timedOut && !ended ? `not ready after ${config.readyTimeoutMs} ms: "${check.text}" never appeared in its output` : null };
    }
    // The full environment only for a command: it holds every sibling's port (~240 keys with 200 services).
    const env = check.kind === 'exec' ? mergeEnv(process.env, launch.env) : process.env;
    const outcome = await waitForReady(check, { port: launch.ports[0], cwd: launch.cwd, env, exec: launch.readyExec, clock }, abort.signal);
    if (outcome.ready) return outcome;
    return { ready: false, detail: timedOut && !ended ? `not ready after ${config.readyTimeoutMs} ms: ${outcome.detail}` : null };
  } finally {
    clock.clearTimeout(timer);
  }
}
