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
/** Every endpoint takes its input in the URL; a request with a body larger than this is refused. */
const MAX_BODY = 64 * 1024;
/** The longest a client may take to send its request line and headers. */
const HEADERS_TIMEOUT_MS = 5000;
/** Clients served at once; the rest wait in the listen backlog. */
const MAX_CONNECTIONS = 128;

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
    this.#server = http.createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: HEADERS_TIMEOUT_MS * 2, maxHeaderSize: 16 * 1024 }, (req, res) => this.#guarded(req, res));
    this.#server.maxConnections = MAX_CONNECTIONS;
    // A request line or header Node cannot parse: 400 and close, never an exception.
    this.#server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      if (socket.writable && !socket.destroyed) {
        const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      }
      socket.destroy();
    });
    this.#server.on('error', () => {
      // a failing accept: the listener stays; the client sees its connection refused
    });
  }

  /** The one path every request takes: whatever it holds, it ends in a response or a closed connection. */
  #guarded(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.on('error', () => res.destroy());
    res.on('error', () => res.destroy());
    const length = Number(req.headers['content-length'] ?? 0);
    if (req.headers['transfer-encoding'] !== undefined || !Number.isFinite(length) || length > MAX_BODY) {
      res.shouldKeepAlive = false;
      json(res, 413, { code: 'TOO_LARGE', message: 'berth control requests have no body' });
      req.resume();
      return;
    }
    req.resume(); // nothing reads a body; drain what a small one holds
    this.#handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { code: 'INTERNAL', message: (error as Error)?.message ?? String(error) });
      else res.destroy();
    });
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
    const control = this.#control;
    try {
      const url = parseTarget(req.url);
      const parts = url.pathname.split('/').filter(Boolean);
      if (parts[0] !== API) throw notFound(url.pathname);
      const route = `${req.method} /${parts.slice(1).join('/')}`;
      if (route === 'GET /instance') return json(res, 200, await control.instance());
      if (route === 'GET /events') {
        const { send, stop } = this.#stream(res, 'application/x-ndjson');
        return void control.events((event) => send(`${JSON.stringify(event)}\n`), stop.signal).then(() => res.end());
      }
      if (route === 'GET /logs') {
        const service = url.searchParams.get('service') ?? undefined;
        const tail = parseTail(url.searchParams.get('tail'));
        if (url.searchParams.get('format') === 'json') {
          if (url.searchParams.get('follow') !== '1') return json(res, 200, { entries: await control.logEntries(service, tail) });
          await control.logEntries(service, 0); // an unknown service is a 404 before the stream starts
          const { send, stop } = this.#stream(res, 'application/x-ndjson');
          return void control.followLogEntries(service, tail, (entry) => send(`${JSON.stringify(entry)}\n`), stop.signal).then(() => res.end());
        }
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
        return json(res, 200, await control.service(decodePart(parts[2] as string), action));
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

/** The request target as a URL on the socket's one origin; a target that is no URL path is a 400. */
function parseTarget(target: string | undefined): URL {
  if (!target || !target.startsWith('/') || target.startsWith('//')) throw badRequest(`not a path: ${clip(target ?? '')}`);
  try {
    return new URL(target, 'http://berth');
  } catch {
    throw badRequest(`not a path: ${clip(target)}`);
  }
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw badRequest(`bad escape in ${clip(part)}`);
  }
}

function parseTail(value: string | null): number {
  if (value === null) return 100;
  const tail = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(tail)) throw badRequest(`tail must be a whole number of lines, not ${clip(value)}`);
  return tail;
}

function clip(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function badRequest(message: string): BerthError {
  return new BerthError('BAD_REQUEST', message);
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
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
