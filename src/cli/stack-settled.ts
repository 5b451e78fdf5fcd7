import type { Supervisor } from '../supervisor/supervisor.js';

const LAST_LINES = 20;
const SETTLING: ReadonlySet<string> = new Set(['ready', 'exited', 'failed', 'skipped']);

/** How a starting instance settled: every service ready (or ended on its own), or one did not make it. */
export interface Settled {
  ok: boolean;
  /** The service that failed, was skipped, or stayed unready too long, with its last lines. */
  failed?: { name: string; reason: string | null; lines: string[] };
}

/**
 * Calls `settled` once, as soon as every service of the instance is ready or has exited, or
 * one has failed or been skipped, or — after `capMs` — with the first service still not ready.
 * Subscribe before `supervisor.start()`. Returns a cancel that drops the subscription and timer.
 */
export function onceSettled(supervisor: Supervisor, capMs: number, settled: (outcome: Settled) => void): () => void {
  let done = false;
  const finish = (failedName?: string) => {
    if (done) return;
    done = true;
    cancel();
    const services = supervisor.services();
    const failed = services.find((service) => service.name === failedName) ?? services.find((service) => service.state === 'failed' || service.state === 'skipped');
    settled({
      ok: failed === undefined && failedName === undefined,
      ...(failed ? { failed: { name: failed.name, reason: failed.reason, lines: supervisor.runner(failed.name)?.log.tail(LAST_LINES) ?? [] } } : {}),
    });
  };
  const check = () => {
    const services = supervisor.services();
    const failed = services.find((service) => service.state === 'failed' || service.state === 'skipped');
    if (failed) return finish(failed.name);
    if (services.every((service) => service.ready || service.state === 'exited')) finish();
  };
  const off = supervisor.on((event) => {
    // Only these can settle the stack; the rest (starting, stopping, …) skip a read of every service.
    if (event.type === 'state' && SETTLING.has(event.service.state)) check();
  });
  const cap = setTimeout(() => {
    const late = supervisor.services().find((service) => !service.ready && service.state !== 'exited');
    finish(late?.name);
  }, capMs);
  cap.unref();
  const cancel = () => {
    done = true;
    clearTimeout(cap);
    off();
  };
  return cancel;
}
