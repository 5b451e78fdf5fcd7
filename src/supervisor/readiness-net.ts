import http from 'node:http';
import net from 'node:net';
import type { Clock } from './clock.js';
import { boundedSignal } from './readiness-poll.js';

/**
 * One bounded probe of a loopback address: a TCP connect, or one HTTP GET. Every attempt ends
 * by its timeout (on the clock) or when the caller's signal aborts, and leaves no socket open.
 */

/** The loopback addresses a port or http check tries: `localhost` is ::1 on macOS and many Linux setups. */
export const LOOPBACKS = [
  { host: '127.0.0.1', family: 4, label: '127.0.0.1' },
  { host: '::1', family: 6, label: '[::1]' },
] as const;

export type Loopback = (typeof LOOPBACKS)[number];

export interface AttemptOptions {
  timeoutMs: number;
  clock: Clock;
  signal: AbortSignal;
}

/** Why a socket attempt failed, in a few words: `ECONNREFUSED`, `no answer within 1000 ms`, … */
function reason(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no answer within ${timeoutMs} ms`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code ?? (error instanceof Error ? error.message : 'aborted');
}

/** Connects to host:port; null once connected, else why not. */
export function tryConnect(port: number, host: string, options: AttemptOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const bound = boundedSignal(options.timeoutMs, options.clock, options.signal);
    const socket = net.connect({ port, host });
    const finish = (result: string | null) => {
      bound.dispose();
      bound.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => finish(reason(undefined, bound.timedOut(), options.timeoutMs));
    if (bound.signal.aborted) return finish(reason(undefined, bound.timedOut(), options.timeoutMs));
    bound.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(null));
    socket.on('error', (error) => finish(reason(error, false, options.timeoutMs)));
  });
}

export type HttpAnswer = { status: number } | { error: string };

/**
 * One GET http://ADDRESS:port/path on its own connection (no keep-alive agent). Resolves with
 * the status as soon as the headers arrive; the body is drained and the socket closed at the
 * latest when the attempt's time is up.
 */
export function tryGet(port: number, path: string, address: Loopback, options: AttemptOptions): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const bound = boundedSignal(options.timeoutMs, options.clock, options.signal);
    let settled = false;
    const settle = (answer: HttpAnswer) => {
      if (settled) return;
      settled = true;
      resolve(answer);
    };
    const close = () => {
      bound.dispose();
      bound.signal.removeEventListener('abort', onAbort);
      request.destroy();
    };
    const onAbort = () => {
      settle({ error: reason(undefined, bound.timedOut(), options.timeoutMs) });
      close();
    };
    const request = http.get({ host: address.host, family: address.family, port, path, agent: false, headers: { connection: 'close' } }, (response) => {
      settle({ status: response.statusCode ?? 0 });
      response.once('end', close);
      response.on('error', close);
      response.resume();
    });
    request.on('error', (error) => {
      settle({ error: reason(error, false, options.timeoutMs) });
      close();
    });
    if (bound.signal.aborted) onAbort();
    else bound.signal.addEventListener('abort', onAbort, { once: true });
  });
}
