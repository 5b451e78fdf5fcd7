import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A private redis-server on a unix socket in a temp folder: no TCP, no persistence. */
export interface RedisServer {
  socket: string;
  url: string;
  readonly child: ChildProcess;
  /** Starts it again on the same socket (after `kill`), empty. */
  restart(): Promise<void>;
  /** SIGKILLs it by pid and waits until it is gone. */
  kill(): Promise<void>;
  /** Kills it and removes its folder. */
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-redis-'));
  const socket = path.join(dir, 'redis.sock');
  let child = await launch(dir, socket);
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid as number, 'SIGKILL');
    await gone;
  };
  return {
    socket,
    url: `unix://${socket}`,
    get child() {
      return child;
    },
    kill,
    restart: async () => {
      await kill();
      child = await launch(dir, socket);
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launch(dir: string, socket: string): Promise<ChildProcess> {
  rmSync(socket, { force: true });
  const child = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxclients', '1000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 10_000;
  while (!/ready to accept connections/i.test(output) || !existsSync(socket)) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return child;
}
