import http from 'node:http';
import { BerthError } from '../errors.js';
import type { ServiceSnapshot } from '../supervisor/service-state.js';
import type { InstanceControl } from './instance-control.js';
import { API, type ErrorBody, type InstanceEvent, type InstanceSnapshot, type LogEntry } from './protocol.js';

/** InstanceControl over a running instance's control socket. */
export class ControlClient implements InstanceControl {
  readonly socketPath: string;
  readonly #timeoutMs: number;

  constructor(socketPath: string, options: { timeoutMs?: number } = {}) {
    this.socketPath = socketPath;
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  instance(): Promise<InstanceSnapshot> {
    return this.#json('GET', 'instance');
  }

  /** Asks the instance to stop gracefully; returns once it has begun. */
  async down(): Promise<void> {
    await this.#json('POST', 'down');
  }

  service(name: string, action: 'stop' | 'start' | 'restart'): Promise<ServiceSnapshot> {
    return this.#json('POST', `services/${encodeURIComponent(name)}/${action}`, 120_000);
  }

  async logs(service: string | undefined, tail: number): Promise<string[]> {
    const body = await this.#json<{ lines: string[] }>('GET', `logs?${query(service, tail)}`);
    return body.lines;
  }

  /** Streams the tail and then new output to `write` until the instance ends or `signal` aborts. */
  followLogs(service: string | undefined, tail: number, write: (text: string) => void, signal?: AbortSignal): Promise<void> {
    return this.#stream(`logs?${query(service, tail)}&follow=1`, write, signal);
  }

  /** `logs` with the service and stream of each line. */
  async logEntries(service: string | undefined, tail: number): Promise<LogEntry[]> {
    const body = await this.#json<{ entries: LogEntry[] }>('GET', `logs?${query(service, tail)}&format=json`);
    return body.entries;
  }

  /** `followLogs` as entries, until the instance ends or `signal` aborts. */
  followLogEntries(service: string | undefined, tail: number, write: (entry: LogEntry) => void, signal?: AbortSignal): Promise<void> {
    return this.#stream(`logs?${query(service, tail)}&follow=1&format=json`, ndjson(write), signal);
  }

  /** Every change of the instance, a snapshot first. */
  events(onEvent: (event: InstanceEvent) => void, signal?: AbortSignal): Promise<void> {
    return this.#stream('events', ndjson(onEvent), signal);
  }

  #json<T>(method: string, path: string, timeoutMs = this.#timeoutMs): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: this.socketPath, path: `/${API}/${path}`, method, timeout: timeoutMs }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          try {
            resolve(parseAnswer(this.socketPath, res.statusCode, body) as T);
          } catch (error) {
            reject(error);
          }
        });
      });
      req.once('timeout', () => req.destroy(new Error('timed out')));
      req.once('error', (error) => reject(unreachable(this.socketPath, error)));
      req.end();
    });
  }

  #stream(path: string, write: (text: string) => void, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: this.socketPath, path: `/${API}/${path}` }, (res) => {
        if ((res.statusCode ?? 500) >= 400) {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => {
            try {
              parseAnswer(this.socketPath, res.statusCode, body);
            } catch (error) {
              reject(error);
            }
          });
          return;
        }
        res.setEncoding('utf8');
        res.on('data', write);
        res.on('end', () => resolve());
        res.on('close', () => resolve());
      });
      signal?.addEventListener('abort', () => req.destroy(), { once: true });
      req.once('error', (error) => (signal?.aborted ? resolve() : reject(unreachable(this.socketPath, error))));
      req.end();
    });
  }
}

/** The JSON an instance answered; a BerthError for an error status or an answer that is not JSON. */
function parseAnswer(socketPath: string, status: number | undefined, body: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BerthError('BAD_ANSWER', `the berth at ${socketPath} answered something that is not JSON (status ${status})`);
  }
  if ((status ?? 500) >= 400) {
    const error = parsed as Partial<ErrorBody>;
    throw new BerthError(error.code ?? 'FAILED', error.message ?? `status ${status}`);
  }
  return parsed;
}

/** Text chunks of an ndjson stream → one parsed value per whole line. */
function ndjson<T>(onValue: (value: T) => void): (text: string) => void {
  let partial = '';
  return (text) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line) onValue(JSON.parse(line) as T);
  };
}

function query(service: string | undefined, tail: number): string {
  const params = new URLSearchParams({ tail: String(tail) });
  if (service) params.set('service', service);
  return params.toString();
}

function unreachable(socketPath: string, error: Error): BerthError {
  return new BerthError('UNREACHABLE', `no berth answers at ${socketPath} (${error.message})`, { cause: error });
}
