import http from 'node:http';
import net from 'node:net';
import type { Clock } from './clock.js';

/**
 * One bounded probe of a loopback address: a TCP connect, or one HTTP GET. Every probe ends by
 * its timeout (on the clock) or when it is cancelled, and leaves no socket open.
 */

/** The loopback addresses a port or http check tries: `localhost` is ::1 on macOS and many Linux setups. */
export const LOOPBACKS = [
  { host: '127.0.0.1', family: 4, label: '127.0.0.1' },
  { host: '::1', family: 6, label: '[::1]' },
] as const;

export type Loopback = (typeof LOOPBACKS)[number];

/** A probe under way: its answer, and a way to stop it early (what it answers then is not to be read). */
export interface Probe<T> {
  readonly answer: Promise<T>;
  cancel(): void;
}

export interface ProbeOptions {
  timeoutMs: number;
  clock: Clock;
}

const CANCELLED = 'cancelled';

/** Why a socket probe failed, in a few words: `ECONNREFUSED`, `EHOSTUNREACH`, … */
function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}

const noAnswer = (options: ProbeOptions) => `no answer within ${options.timeoutMs} ms`;

/** Connects to host:port; the answer is null once connected, else why not. */
export function connectProbe(port: number, host: string, options: ProbeOptions): Probe<string | null> {
  let resolve!: (why: string | null) => void;
  const answer = new Promise<string | null>((settle) => (resolve = settle));
  const socket = net.connect({ port, host });
  // the first call answers; a promise settles once, and the rest only repeats the clean-up
  const finish = (why: string | null) => {
    options.clock.clearTimeout(timer);
    socket.destroy();
    resolve(why);
  };
  const timer = options.clock.setTimeout(() => finish(noAnswer(options)), options.timeoutMs);
  socket.once('connect', () => finish(null));
  socket.on('error', (error) => finish(reason(error)));
  return { answer, cancel: () => finish(CANCELLED) };
}

export type HttpAnswer = { status: number } | { error: string };

/**
 * One GET http://ADDRESS:port/path on its own connection (no keep-alive agent). Answers with
 * the status as soon as the headers arrive; the body is drained, and the socket closed at the
 * latest when the probe's time is up.
 */
export function getProbe(port: number, path: string, address: Loopback, options: ProbeOptions): Probe<HttpAnswer> {
  let resolve!: (answer: HttpAnswer) => void;
  const answer = new Promise<HttpAnswer>((settle) => (resolve = settle));
  const close = () => {
    options.clock.clearTimeout(timer);
    request.destroy();
  };
  const fail = (error: string) => {
    resolve({ error });
    close();
  };
  const timer = options.clock.setTimeout(() => fail(noAnswer(options)), options.timeoutMs);
  const request = http.get({ host: address.host, family: address.family, port, path, agent: false, headers: { connection: 'close' } }, (response) => {
    resolve({ status: response.statusCode ?? 0 });
    response.once('end', close);
    response.on('error', close);
    response.resume();
  });
  request.on('error', (error) => fail(reason(error)));
  return { answer, cancel: () => fail(CANCELLED) };
}
