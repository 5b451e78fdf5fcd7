import type { ServiceSnapshot } from '../supervisor/service-state.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { RunOutput } from './run-output.js';

const LAST_LINES = 20;

/**
 * While CMD of `berth run` runs: a service that stops running (crashed, restarting, exited,
 * stopped with `berth stop`) is reported once, with its last lines; CMD is left running — it
 * sees the service gone and fails or not by itself, and its exit code stays berth's. The whole
 * stack being stopped from outside (`berth down`) calls `stackStopping` once. Returns the unsubscribe.
 */
export function watchWhileCommandRuns(supervisor: Supervisor, output: RunOutput, command: string, stackStopping: () => void): () => void {
  const reported = new Set<string>();
  let stopping = false;
  return supervisor.on((event) => {
    if (event.type !== 'state') return;
    const service = event.service;
    if (supervisor.stopping) {
      if (!stopping && service.state === 'stopping') {
        stopping = true;
        stackStopping();
      }
      return;
    }
    const problem = describe(service, command);
    if (problem === null || reported.has(service.name)) return;
    reported.add(service.name);
    const crashed = service.state === 'failed' || service.state === 'backoff';
    output.problem(problem, crashed ? (supervisor.runner(service.name)?.log.tail(LAST_LINES) ?? []) : []);
  });
}

function describe(service: ServiceSnapshot, command: string): string | null {
  const during = `while ${command} ran`;
  switch (service.state) {
    case 'failed':
      return `${service.name} failed ${during}: ${service.reason ?? 'unknown reason'}`;
    case 'backoff':
      return `${service.name} ended ${during} (${service.reason ?? 'restarting'}); it is restarted by its restart policy`;
    case 'exited':
      return `${service.name} exited with code ${service.exitCode ?? 0} ${during}`;
    case 'stopped':
      return `${service.name} was stopped ${during}`;
    default:
      return null;
  }
}
