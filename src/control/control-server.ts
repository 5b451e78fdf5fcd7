import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { BerthError } from '../errors.js';
import type { Supervisor, SupervisorEvent } from '../supervisor/supervisor.js';
import { API, type ErrorBody, type InstanceEvent, type InstanceSnapshot } from './protocol.js';

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
  readonly #supervisor: Supervisor;
  readonly #streams = new Set<http.ServerResponse>();

  private constructor(socketPath: string, supervisor: Supervisor) {
    this.socketPath = socketPath;
    this.#supervisor = supervisor;
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
    const control = new ControlServer(socketPath, supervisor);
    await new Promise<void>((resolve, reject) => {
      control.#server.once('error', reject);
      control.#server.listen(socketPath, () => resolve());
    });
    chmodSync(socketPath, 0o600);
    control.#server.unref();
    return control;
  }

  async close(): Promise<void> {
    for (const res of this.#streams) res.end();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    try {
      unlinkSync(this.socketPath);
    } catch {
      // already gone
    }
  }

  snapshot(): InstanceSnapshot {
    return { lease: this.#supervisor.lease, pid: process.pid, stopping: this.#supervisor.stopping, services: this.#supervisor.services() };
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://berth');
    const parts = url.pathname.split('/').filter(Boolean);
    try {
      if (parts[0] !== API) throw notFound(url.pathname);
      const route = `${req.method} /${parts.slice(1).join('/')}`;
      if (route === 'GET /instance') return json(res, 200, this.snapshot());
      if (route === 'GET /events') return this.#events(res);
      if (route === 'GET /logs') return this.#logs(url, res);
      if (route === 'POST /down') {
        void this.#supervisor.stop();
        return json(res, 202, { stopping: true });
      }
      if (req.method === 'POST' && parts[1] === 'services' && parts.length === 4) {
        const name = decodeURIComponent(parts[2] as string);
        if (parts[3] === 'stop') return json(res, 200, await this.#supervisor.stopService(name));
        if (parts[3] === 'start') return json(res, 200, this.#supervisor.startService(name));
        if (parts[3] === 'restart') return json(res, 200, await this.#supervisor.restartService(name));
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

  #events(res: http.ServerResponse): void {
    const send = this.#stream(res, 'application/x-ndjson');
    // Subscribe first, then send the snapshot, both in this tick: nothing falls in between.
    const unsubscribe = this.#supervisor.on((event: SupervisorEvent) => {
      if (event.type !== 'output') send(`${JSON.stringify(event satisfies InstanceEvent)}\n`);
      if (event.type === 'ended') res.end();
    });
    send(`${JSON.stringify({ type: 'snapshot', instance: this.snapshot() } satisfies InstanceEvent)}\n`);
    res.once('close', unsubscribe);
  }

  #logs(url: URL, res: http.ServerResponse): void {
    const service = url.searchParams.get('service');
    const tail = Number(url.searchParams.get('tail') ?? 100);
    const follow = url.searchParams.get('follow') === '1';
    const names = service ? [service] : this.#supervisor.services().map((snapshot) => snapshot.name);
    const runners = names.map((name) => {
      const runner = this.#supervisor.runner(name);
      if (!runner) throw new BerthError('UNKNOWN_SERVICE', `no service "${name}" in this instance`);
      return runner;
    });
    const width = Math.max(...names.map((name) => name.length));
    const prefix = (name: string) => (service ? '' : `${name.padEnd(width)} │ `);
    const lines = runners.flatMap((runner) => runner.log.tail(tail).map((line) => `${prefix(runner.name)}${line}`));
    if (!follow) return json(res, 200, { lines });

    const send = this.#stream(res, 'text/plain; charset=utf-8');
    const unsubscribe = this.#supervisor.on((event) => {
      if (event.type === 'output' && names.includes(event.service)) {
        const text = event.lines.toString('utf8');
        send(service ? text : text.replace(/^(?=.)/gm, prefix(event.service)));
      }
      if (event.type === 'ended') res.end();
    });
    send(lines.map((line) => `${line}\n`).join(''));
    res.once('close', unsubscribe);
  }

  /** Starts a streaming response; the returned writer cuts the client off when it lags too far. */
  #stream(res: http.ServerResponse, type: string): (text: string) => void {
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    this.#streams.add(res);
    res.once('close', () => this.#streams.delete(res));
    return (text) => {
      if (!text || res.destroyed) return;
      if (res.writableLength > MAX_CLIENT_BACKLOG) {
        res.destroy();
        return;
      }
      res.write(text);
    };
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
