import type { ReadyCheck } from '../config/types.js';
import { systemClock, type Clock } from './clock.js';
import { runExecAttempt, type ExecResult } from './readiness-exec.js';
import { connectProbe, getProbe, LOOPBACKS, type HttpAnswer, type Probe } from './readiness-net.js';
import { backoffIntervals, pollUntil } from './readiness-poll.js';

/**
 * Readiness checks, polled until they pass or the signal aborts (the service exited, was
 * stopped, or its ready_timeout passed). Every attempt is bounded, every pause and bound runs
 * on the injected clock, and a failed wait says what was tried and what answered last.
 */

export type ReadyOutcome = { ready: true } | { ready: false; detail: string };

export interface ReadyTarget {
  /** The service's first port. */
  port: number | undefined;
  /** For exec: the service's cwd and its full environment (berth's own plus the service's). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** LaunchSpec.readyExec: the interpolated `ready.exec` command. */
  exec: string | null;
  clock: Clock;
  /** Bound of one attempt; default 1 s for a connect, 2 s for a GET, 5 s for an exec command. */
  attemptTimeoutMs?: number;
}

export type WaitableCheck = Exclude<ReadyCheck, { kind: 'log' }>;

const CONNECT_TIMEOUT_MS = 1000;
const HTTP_TIMEOUT_MS = 2000;
export const EXEC_TIMEOUT_MS = 5000;

/** Port and http polls start fast (most services bind within milliseconds) and back off to 100 ms. */
const socketIntervals = () => backoffIntervals(5, 100);
/** A command costs a process per attempt: from 50 ms to 500 ms. */
const execIntervals = () => backoffIntervals(50, 500);

/** Polls `check` until it passes (ready) or `signal` aborts (then ready:false with what was tried and the last result). */
export async function waitForReady(check: WaitableCheck, target: ReadyTarget, signal: AbortSignal): Promise<ReadyOutcome> {
  if (check.kind === 'none') return { ready: true };
  if (check.kind === 'exec') return waitForExec(target.exec ?? check.command, target, signal);
  const port = target.port;
  if (port === undefined) return { ready: false, detail: `ready: ${check.kind} needs a port, but the service has none` };
  return check.kind === 'http' ? waitForGet(port, check.path, target, signal) : waitForConnect(port, target, signal);
}

async function waitForConnect(port: number, target: ReadyTarget, signal: AbortSignal): Promise<ReadyOutcome> {
  const options = { timeoutMs: target.attemptTimeoutMs ?? CONNECT_TIMEOUT_MS, clock: target.clock };
  /** Why the last attempt on each address failed. */
  const last: (string | undefined)[] = [];
  const attempt = async (attemptSignal: AbortSignal) => {
    const results = await firstPassing(LOOPBACKS.map((address) => () => connectProbe(port, address.host, options)), (why) => why === null, target.clock, attemptSignal);
    results.forEach((why, index) => {
      if (typeof why === 'string') last[index] = why;
    });
    return results.some((why) => why === null);
  };
  if (await pollUntil(attempt, socketIntervals(), target.clock, signal)) return { ready: true };
  const tried = LOOPBACKS.map((address, index) => `${address.host}: ${last[index] ?? 'no answer yet'}`).join('; ');
  return { ready: false, detail: `port ${port} never accepted a connection on 127.0.0.1 or ::1 (${tried})` };
}

async function waitForGet(port: number, path: string, target: ReadyTarget, signal: AbortSignal): Promise<ReadyOutcome> {
  const options = { timeoutMs: target.attemptTimeoutMs ?? HTTP_TIMEOUT_MS, clock: target.clock };
  const ok = (answer: HttpAnswer | undefined) => answer !== undefined && 'status' in answer && answer.status >= 200 && answer.status < 400;
  /** The last answer from each address; a status beats an error in the report. */
  const last: (HttpAnswer | undefined)[] = [];
  const attempt = async (attemptSignal: AbortSignal) => {
    const results = await firstPassing(LOOPBACKS.map((address) => () => getProbe(port, path, address, options)), ok, target.clock, attemptSignal);
    results.forEach((answer, index) => {
      if (answer) last[index] = answer;
    });
    return results.some(ok);
  };
  if (await pollUntil(attempt, socketIntervals(), target.clock, signal)) return { ready: true };
  const where = `GET ${path} on 127.0.0.1:${port} and [::1]:${port}`;
  return { ready: false, detail: `${where} never answered 2xx/3xx: ${describeAnswers(last, port)}` };
}

function describeAnswers(last: (HttpAnswer | undefined)[], port: number): string {
  const labelled = LOOPBACKS.map((address, index) => ({ at: `${address.label}:${port}`, answer: last[index] }));
  const statuses = labelled.filter((each) => each.answer !== undefined && 'status' in each.answer);
  if (statuses.length === 0) {
    const errors = labelled.map((each) => `${each.at}: ${each.answer && 'error' in each.answer ? each.answer.error : 'no answer yet'}`);
    return `no answer (${errors.join('; ')})`;
  }
  const answers = statuses.map((each) => `${(each.answer as { status: number }).status} from ${each.at}`);
  return `last answer ${answers.join(', ')}`;
}

async function waitForExec(command: string, target: ReadyTarget, signal: AbortSignal): Promise<ReadyOutcome> {
  const timeoutMs = target.attemptTimeoutMs ?? EXEC_TIMEOUT_MS;
  /** The last attempt that ran to its end, else the one the abort cut short. */
  let last: ExecResult | null = null;
  const attempt = async (attemptSignal: AbortSignal) => {
    const result = await runExecAttempt(command, { cwd: target.cwd, env: target.env, timeoutMs, clock: target.clock, signal: attemptSignal });
    if (!result.aborted || last === null) last = result;
    return result.code === 0 && !result.aborted;
  };
  if (await pollUntil(attempt, execIntervals(), target.clock, signal)) return { ready: true };
  const result = last as ExecResult | null;
  if (result === null) return { ready: false, detail: `${command} was never run (the wait ended first)` };
  const output = result.output === '' ? 'no output' : result.output.split('\n').join(' | ');
  return { ready: false, detail: `${command} ${result.ending}: ${output}` };
}

/** How long one address may go unanswered before the next is tried beside it (as in Happy Eyeballs). */
export const NEXT_ADDRESS_AFTER_MS = 250;

/**
 * Tries the addresses in order, as Happy Eyeballs does: the next starts once the one before has
 * failed, or has not answered within NEXT_ADDRESS_AFTER_MS. A server on 127.0.0.1 costs one
 * socket per attempt; one on ::1 alone, a refused connect more. Resolves once one passes (any
 * still running is cancelled), every one has ended, or `signal` aborts: each one's answer, or
 * undefined for one not started or cancelled.
 */
function firstPassing<T>(starts: (() => Probe<T>)[], passed: (answer: T) => boolean, clock: Clock, signal: AbortSignal): Promise<(T | undefined)[]> {
  const results: (T | undefined)[] = starts.map(() => undefined);
  return new Promise((resolve) => {
    const running = new Set<Probe<T>>();
    let next = 0;
    let timer: unknown = null;
    let over = false;
    const stopTimer = () => {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    };
    const end = () => {
      if (over) return;
      over = true;
      stopTimer();
      signal.removeEventListener('abort', end);
      for (const probe of running) probe.cancel();
      resolve(results);
    };
    const startNext = () => {
      stopTimer();
      const index = next++;
      const probe = (starts[index] as () => Probe<T>)();
      running.add(probe);
      if (next < starts.length) timer = clock.setTimeout(startNext, NEXT_ADDRESS_AFTER_MS);
      void probe.answer.then((answer) => {
        running.delete(probe);
        if (over) return;
        results[index] = answer;
        if (passed(answer)) end();
        else if (next < starts.length) startNext();
        else if (running.size === 0) end();
      });
    };
    if (signal.aborted) return end();
    signal.addEventListener('abort', end, { once: true });
    startNext();
  });
}

/** Whether something accepts a TCP connection on host:port. */
export async function canConnect(port: number, host: string, timeoutMs = CONNECT_TIMEOUT_MS, clock: Clock = systemClock): Promise<boolean> {
  return (await connectProbe(port, host, { timeoutMs, clock }).answer) === null;
}

const legacyTarget = (port: number): ReadyTarget => ({ port, cwd: process.cwd(), env: process.env, exec: null, clock: systemClock });

/** Resolves true once the port accepts on 127.0.0.1 or ::1; false if aborted first. */
export async function waitForPort(port: number, signal: AbortSignal): Promise<boolean> {
  return (await waitForReady({ kind: 'port' }, legacyTarget(port), signal)).ready;
}

/** Resolves true once GET /path answers 2xx or 3xx on 127.0.0.1 or [::1]; false if aborted first. */
export async function waitForHttp(port: number, path: string, signal: AbortSignal): Promise<boolean> {
  return (await waitForReady({ kind: 'http', path }, legacyTarget(port), signal)).ready;
}
