import http from 'node:http';
import net from 'node:net';

/**
 * Readiness probes, polled until they pass or the signal aborts (the service exited, was
 * stopped, or its ready_timeout passed). Each attempt is bounded; nothing here sleeps longer
 * than the poll interval.
 */

/** Polls start fast (most services bind within milliseconds) and back off to 100 ms. */
function* pollIntervals(): Generator<number> {
  for (let ms = 5; ; ms = Math.min(ms * 2, 100)) yield ms;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Whether something accepts a TCP connection on host:port. */
export function canConnect(port: number, host: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** Resolves true once the port accepts on 127.0.0.1 or ::1; false if aborted first. */
export async function waitForPort(port: number, signal: AbortSignal): Promise<boolean> {
  const intervals = pollIntervals();
  while (!signal.aborted) {
    if ((await canConnect(port, '127.0.0.1')) || (await canConnect(port, '::1'))) return true;
    await pause(intervals.next().value as number, signal);
  }
  return false;
}

/** One GET; the status code, or undefined when there was no answer. */
function get(port: number, path: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path, timeout: timeoutMs, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(undefined));
  });
}

/** Resolves true once GET http://127.0.0.1:port/path answers 2xx or 3xx; false if aborted first. */
export async function waitForHttp(port: number, path: string, signal: AbortSignal): Promise<boolean> {
  const intervals = pollIntervals();
  while (!signal.aborted) {
    const status = await get(port, path, 2000);
    if (status !== undefined && status >= 200 && status < 400) return true;
    await pause(intervals.next().value as number, signal);
  }
  return false;
}
