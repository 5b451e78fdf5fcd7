import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { BerthError } from '../errors.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { LocalControl } from './local-control.js';
import { API, type ErrorBody } from './protocol.js';

/** A streaming client further behind than this is cut off rather than buffered for. */
const MAX_CLIENT_BACKLOG = 1024 * 1024;

/**
 * Serves one running instance on a Unix socket: its state, its logs, and stop / start /
 * restart of it and its services. Nothing listens on TCP. A client that reads too slowly is
 * disconnected, so it can never hold up the supervisor or a service's output.
 */
export class ControlServer {
  readonly socketPath: string;
  readonly #server: http.Server;
  readonly #control: LocalControl;
  readonly #streams = new Set<{ res: http.ServerResponse; stop: AbortController }>();

  private constructor(socketPath: string, control: LocalControl) {
    this.socketPath = socketPath;
    this.#control = control;
    this.#server = http.createServer((req, res) => void this.#handle(req, res));
  }

  /** Binds `socketPath` (0600, in a 0700 folder); refuses when another berth answers there. */
  static async listen(socketPath: string, supervisor: Supervisor): Promise<ControlServer> {
    mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
    chmodSync(path.dirname(socketPath), 0o700);
    if (await answers(socketPath)) {
      throw new BerthError('SOCKET_IN_USE', `another berth is serving ${socketPath}`);
    }
    try {
      unlinkSync(socketPath); // a stale file left by a berth that died
    } catch {
      // none
    }
    const server = new ControlServer(socketPath, new LocalControl(supervisor));
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject);
      server.#server.listen(socketPath, () => resolve());
    });
    chmodSync(socketPath, 0o600);
    server.#server.unref();
    return server;
  }

  async close(): Promise<void> {
    for (const stream of this.#streams) {
      stream.stop.abort();
      stream.res.end();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    try {
      unlinkSync(this.socketPath);
    } catch {
      // already gone
    }
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://berth');
    const parts = url.pathname.split('/').filter(Boolean);
    const control = this.#control;
    try {
      if (parts[0] !== API) throw notFound(url.pathname);
      const route = `${req.method} /${parts.slice(1).join('/')}`;
      if (route === 'GET /instance') return json(res, 200, await control.instance());
      if (route === 'GET /events') {
        const { send, stop } = this.#stream(res, 'application/x-ndjson');
        return void control.events((event) => send(`${JSON.stringify(event)}\n`), stop.signal).then(() => res.end());
      }
      if (route === 'GET /logs') {
        const service = url.searchParams.get('service') ?? undefined;
        const tail = Number(url.searchParams.get('tail') ?? 100);
        if (url.searchParams.get('follow') !== '1') return json(res, 200, { lines: await control.logs(service, tail) });
        await control.logs(service, 0); // an unknown service is a 404 before the stream starts
        const { send, stop } = this.#stream(res, 'text/plain; charset=utf-8');
        return void control.followLogs(service, tail, send, stop.signal).then(() => res.end());
      }
      if (route === 'POST /down') {
        await control.down();
        return json(res, 202, { stopping: true });
      }
      const action = parts[3];
      if (req.method === 'POST' && parts[1] === 'services' && parts.length === 4 && (action === 'stop' || action === 'start' || action === 'restart')) {
        return json(res, 200, await control.service(decodeURIComponent(parts[2] as string), action));
      }
      throw notFound(url.pathname);
    } catch (error) {
      const known = error instanceof BerthError;
      const status = known ? (error.code === 'NOT_FOUND' || error.code === 'UNKNOWN_SERVICE' ? 404 : 400) : 500;
      const body: ErrorBody = { code: known ? error.code : 'INTERNAL', message: (error as Error).message };
      if (!res.headersSent) json(res, status, body);
      else res.destroy();
    }
  }

  /**
   * Starts a streaming response. The writer cuts the client off when it lags too far behind;
   * `stop` aborts when the client goes away, which ends the subscription behind it.
   */
  #stream(res: http.ServerResponse, type: string): { send: (text: string) => void; stop: AbortController } {
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    const stream = { res, stop: new AbortController() };
    this.#streams.add(stream);
    res.once('close', () => {
      this.#streams.delete(stream);
      stream.stop.abort();
    });
    const send = (text: string) => {
      if (!text || res.destroyed) return;
      if (res.writableLength > MAX_CLIENT_BACKLOG) {
        res.destroy();
        return;
      }
      res.write(text);
    };
    return { send, stop: stream.stop };
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function notFound(what: string): BerthError {
  return new BerthError('NOT_FOUND', `no such endpoint: ${what}`);
}

/** Whether something accepts connections on the Unix socket. */
export function answers(socketPath: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
