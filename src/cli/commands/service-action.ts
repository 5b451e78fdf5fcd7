import type { InstanceControl } from '../../control/instance-control.js';
import { EXIT } from '../../errors.js';
import { leaseLabel, type LeaseView } from '../../store/lease.js';
import type { ServiceSnapshot } from '../../supervisor/service-state.js';
import { parseInstance } from '../context.js';
import { pickInstance } from '../instances.js';
import { printJson, printLine, type CliIo } from '../io.js';

/** How long a service may sit in a state that no start can explain before `--wait` gives up. */
export const UNSETTLED_MS = 3000;
const LAST_LINES = 20;

/** `berth restart|stop|start SERVICE [ENV] [--instance N] [--wait]` on a running instance. */
export async function serviceActionCommand(
  io: CliIo,
  action: 'restart' | 'stop' | 'start',
  service: string,
  envName: string | undefined,
  options: { file?: string; instance?: string; json?: boolean; wait?: boolean },
): Promise<number> {
  const { lease, client, snapshot } = await pickInstance(io, { env: envName, instance: parseInstance(options.instance), file: options.file });
  const before = snapshot.services.find((each) => each.name === service) ?? null;
  const result = await client.service(service, action);
  if (!options.wait || action === 'stop') {
    show(io, lease, result, options.json);
    return EXIT.ok;
  }
  const outcome = await waitForService(client, action, before, result);
  if (outcome.snapshot) show(io, lease, outcome.snapshot, options.json);
  if (outcome.ok) return EXIT.ok;
  const lines = outcome.lastLines ? await client.logs(service, LAST_LINES).catch(() => []) : [];
  io.stderr.write(`berth: ${service} of ${leaseLabel(lease)} ${outcome.why.replace('INSTANCE', leaseLabel(lease))}${lines.length ? '; its last lines:' : ''}\n`);
  for (const line of lines) io.stderr.write(`  ${line}\n`);
  return EXIT.failed;
}

function show(io: CliIo, lease: LeaseView, snapshot: ServiceSnapshot, json: boolean | undefined): void {
  if (json) return printJson(io, snapshot);
  const where = snapshot.pid ? ` (pid ${snapshot.pid}${snapshot.ports.length ? `, ports ${snapshot.ports.join(', ')}` : ''})` : '';
  printLine(io.stdout, `${snapshot.name} of ${leaseLabel(lease)}: ${snapshot.state}${where}`);
}

/** `why` completes "api of shop/dev#1 …"; INSTANCE stands for the instance's label. */
export type WaitOutcome = { ok: true; snapshot: ServiceSnapshot } | { ok: false; snapshot: ServiceSnapshot | null; why: string; lastLines: boolean };

/** What one snapshot of the service, seen after the action, says about the wait. */
type Verdict = WaitOutcome | 'progress' | 'unsettled';

/**
 * Judges snapshots of the service taken after `restart`/`start` returned. Only a run that
 * began after `before` counts as ready for a restart (the old run's readiness never does);
 * `start` of a service that was already running accepts that run. A final state counts as the
 * outcome when it is new: a state event that came after the action, or a state that differs
 * from `before`. A state no start explains (still stopped or pending, the old run still up)
 * is "unsettled": the caller gives it UNSETTLED_MS to change.
 */
export function judgeService(
  action: 'restart' | 'start',
  before: ServiceSnapshot | null,
  snapshot: ServiceSnapshot,
  seen: { fresh: boolean; previous: ServiceSnapshot | null },
): Verdict {
  const newRun = isNewRun(before, snapshot);
  const runAccepted = newRun || (action === 'start' && (before?.state === 'starting' || before?.state === 'ready'));
  switch (snapshot.state) {
    case 'ready':
      return runAccepted ? { ok: true, snapshot } : 'unsettled';
    case 'starting':
      return runAccepted ? 'progress' : 'unsettled';
    case 'backoff':
    case 'stopping':
      return 'progress';
    case 'pending':
      return 'unsettled';
    case 'stopped':
      // Stopped after the old run's stopping may be a restart on its way; any other stop is not.
      return seen.fresh && (seen.previous?.state !== 'stopping' || isNewRun(before, seen.previous)) ? { ok: false, snapshot, why: 'was stopped while waiting for it to be ready', lastLines: true } : 'unsettled';
    case 'failed':
    case 'exited':
    case 'skipped': {
      const changed = seen.fresh || newRun || snapshot.state !== before?.state || snapshot.reason !== before?.reason || snapshot.exitCode !== before?.exitCode;
      return changed ? { ok: false, snapshot, why: describeEnd(snapshot), lastLines: true } : 'unsettled';
    }
  }
}

/** Whether `snapshot` shows a run that began after `before` was taken. */
function isNewRun(before: ServiceSnapshot | null, snapshot: ServiceSnapshot): boolean {
  return snapshot.startedAt !== null && (snapshot.startedAt !== before?.startedAt || (snapshot.pid !== null && snapshot.pid !== before?.pid));
}

function describeEnd(snapshot: ServiceSnapshot): string {
  if (snapshot.state === 'failed') return `failed: ${snapshot.reason ?? 'unknown reason'}`;
  if (snapshot.state === 'skipped') return `was skipped: ${snapshot.reason ?? 'a dependency failed'}`;
  if (snapshot.state === 'exited') return `exited with code ${snapshot.exitCode ?? 0} while waiting for it to be ready`;
  return `is ${snapshot.state}${snapshot.reason ? `: ${snapshot.reason}` : ''}`;
}

/**
 * Waits, client-side, until the service a `restart`/`start` acted on is ready or has failed.
 * `result` is what the action returned; after it, a fresh event subscription (its snapshot is
 * taken after the action, so nothing on it predates the action) follows the service. The
 * instance ending, stopping or dropping the connection ends the wait with a failure.
 */
export async function waitForService(
  control: InstanceControl,
  action: 'restart' | 'start',
  before: ServiceSnapshot | null,
  result: ServiceSnapshot,
  unsettledMs = UNSETTLED_MS,
): Promise<WaitOutcome> {
  const name = result.name;
  const first = judgeService(action, before, result, { fresh: false, previous: null });
  if (typeof first === 'object') return first;

  const stop = new AbortController();
  let latest: ServiceSnapshot = result;
  let timer: NodeJS.Timeout | undefined;
  let settle!: (outcome: WaitOutcome) => void;
  const outcome = new Promise<WaitOutcome>((resolve) => (settle = resolve));
  const finish = (done: WaitOutcome) => {
    clearTimeout(timer);
    stop.abort();
    settle(done);
  };
  const consider = (snapshot: ServiceSnapshot, fresh: boolean) => {
    const previous = latest;
    latest = snapshot;
    const verdict = judgeService(action, before, snapshot, { fresh, previous });
    if (typeof verdict === 'object') return finish(verdict);
    if (verdict === 'progress') {
      clearTimeout(timer);
      timer = undefined;
    } else if (timer === undefined) {
      timer = setTimeout(() => finish({ ok: false, snapshot: latest, why: `is ${latest.state} and did not start (nothing changed for ${unsettledMs} ms after the ${action})`, lastLines: true }), unsettledMs);
    }
  };
  const subscription = control.events((event) => {
    if (event.type === 'snapshot') {
      if (event.instance.stopping) return finish({ ok: false, snapshot: null, why: 'will not become ready: INSTANCE is stopping', lastLines: false });
      const snapshot = event.instance.services.find((service) => service.name === name);
      if (snapshot) consider(snapshot, false);
    } else if (event.type === 'state' && event.service.name === name) consider(event.service, true);
    else if (event.type === 'ended') finish({ ok: false, snapshot: latest, why: `never became ready: INSTANCE ended (exit ${event.exitCode}) while waiting`, lastLines: false });
  }, stop.signal);
  subscription.then(
    () => finish({ ok: false, snapshot: null, why: 'never became ready: the connection to INSTANCE closed while waiting', lastLines: false }),
    (error: unknown) => finish({ ok: false, snapshot: null, why: `never became ready: lost the connection to INSTANCE while waiting (${(error as Error).message})`, lastLines: false }),
  );
  return outcome;
}
