import { createHash } from 'node:crypto';
import type { RedisClientType } from '@redis/client';
import { BerthError, EXIT } from '../errors.js';
import type { RedisTarget } from './redis-url.js';

export interface RedisConnectionOptions {
  /** Whether to keep reconnecting after the connection is lost (a heartbeat still runs). */
  keepReconnecting: () => boolean;
  /** How long one command may take before it fails (default 5 s): a slow Redis fails a step, it never hangs it. */
  commandTimeoutMs?: number;
  /** How long a connection attempt may take (default 3 s). */
  connectTimeoutMs?: number;
  /** Told when a lost connection is back. */
  onReconnect?: () => void;
}

type Reply = string | number | null | Reply[];

/**
 * One client connection to the Redis of `BERTH_STORE`, opened on first use. Commands fail at
 * once while it is down (no offline queue: a heartbeat retries, nothing waits on a dead
 * server). The socket holds the process open only while a command is under way, so a quick
 * command ends when its work is done and a supervisor is not kept alive by its store.
 */
export class RedisConnection {
  readonly target: RedisTarget;
  readonly #options: RedisConnectionOptions;
  #client: RedisClientType | null = null;
  #connecting: Promise<RedisClientType> | null = null;
  #inFlight = 0;
  /** The last connection error, for messages. */
  lastError: Error | null = null;

  constructor(target: RedisTarget, options: RedisConnectionOptions) {
    this.target = target;
    this.#options = options;
  }

  /** Sends one command; its reply, or a STORE_UNAVAILABLE error naming the URL. */
  async send(args: readonly string[]): Promise<Reply> {
    this.#inFlight += 1;
    try {
      const client = await this.#connected();
      client.ref();
      return (await client.sendCommand(args, { timeout: this.#options.commandTimeoutMs ?? 5000 })) as Reply;
    } catch (error) {
      throw this.#unavailable(error);
    } finally {
      this.#inFlight -= 1;
      if (this.#inFlight === 0) this.#client?.unref();
    }
  }

  /** Runs a Lua script by its SHA1, loading it on the server first when it does not know it. */
  async script(source: string, args: readonly string[]): Promise<Reply> {
    const sha = sha1(source);
    try {
      return await this.send(['EVALSHA', sha, '0', ...args]);
    } catch (error) {
      if (!/NOSCRIPT/.test(String((error as Error).cause ?? error))) throw error;
      return this.send(['EVAL', source, '0', ...args]);
    }
  }

  /** Closes the connection (tests, library users); the next command opens a new one. */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    this.#connecting = null;
    if (client?.isOpen) await client.close().catch(() => client.destroy());
  }

  async #connected(): Promise<RedisClientType> {
    if (this.#client?.isOpen) return this.#client;
    this.#connecting ??= this.#open().finally(() => (this.#connecting = null));
    return this.#connecting;
  }

  async #open(): Promise<RedisClientType> {
    let wasReady = false;
    const socketCommon = {
      connectTimeout: this.#options.connectTimeoutMs ?? 3000,
      // Once connected, reconnect with a capped backoff while a heartbeat needs it; never on the first attempt.
      reconnectStrategy: (retries: number, cause: Error): number | Error => {
        this.lastError = cause;
        if (!wasReady || !this.#options.keepReconnecting()) return cause;
        return Math.min(100 * 2 ** retries, 1000) + Math.floor(Math.random() * 100);
      },
    };
    const { target } = this;
    // Loaded here, not at startup: berth on the file store never pays for the client.
    const { createClient } = await import('@redis/client');
    const client = (
      target.socketPath !== undefined
        ? createClient({ socket: { path: target.socketPath, ...socketCommon }, database: target.database, disableOfflineQueue: true })
        : createClient({ url: target.url as string, socket: socketCommon, database: target.database, disableOfflineQueue: true })
    ) as RedisClientType;
    client.on('error', (error: Error) => (this.lastError = error));
    client.on('ready', () => {
      if (wasReady) this.#options.onReconnect?.();
      wasReady = true;
      this.lastError = null;
    });
    await client.connect();
    client.unref();
    this.#client = client;
    return client;
  }

  #unavailable(error: unknown): unknown {
    if (error instanceof BerthError) return error;
    const cause = error instanceof Error ? error : new Error(String(error));
    const reason = describe(cause, this.lastError);
    return new BerthError('STORE_UNAVAILABLE', `cannot use the lease store at ${this.target.display} (BERTH_STORE): ${reason}`, { exitCode: EXIT.failed, cause });
  }
}

function describe(error: Error, last: Error | null): string {
  const code = (error as NodeJS.ErrnoException).code ?? (last as NodeJS.ErrnoException | null)?.code;
  const message = error.message || last?.message || 'unreachable';
  if (code && !message.includes(code)) return `${message} (${code})`;
  return message;
}

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
