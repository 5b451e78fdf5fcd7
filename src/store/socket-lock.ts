import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, linkSync, lstatSync, mkdirSync, openSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * The registry lock when the native flock module cannot load (musl, a platform without a
 * prebuild): a listening Unix-domain socket is the lock. Listening is exclusive (a second bind
 * of the name fails with EADDRINUSE) and the kernel closes the socket when its holder dies, so
 * like the flock it frees itself on SIGKILL, with no timeout to guess and no pid to trust.
 * (mkdir + owner identity was the other candidate: it must judge a holder dead from its pid and
 * start time, and two waiters that both judge it dead race to remove it.)
 *
 * - `abstract-socket` (Linux, where every realistic fallback runs): a name in the abstract
 *   namespace, derived from the lock file's device and inode. The kernel frees the name itself
 *   when the socket closes; there is no file, so nothing stale to remove and no race. Abstract
 *   names belong to the network namespace: berths in two network namespaces sharing one
 *   BERTH_HOME would not exclude each other.
 * - `socket-file` (elsewhere): a socket file beside the lock file. A taker listens on a private
 *   name first and then hard-links it to the lock's name (link fails if the name exists), so
 *   the name never shows a socket that is bound but not yet listening: measured, a waiter's
 *   connect lands in that bind-to-listen gap often enough to lose updates. A holder unlinks
 *   the name before it closes the socket. So a lock file that refuses connections belongs to
 *   a dead holder; a waiter removes it, but only inside a second-level guard (mkdir, broken
 *   when older than GUARD_STALE_MS) and only if it still refuses there: without the guard, two
 *   waiters could both see it stale and one remove the other's new lock. (On BSD a full
 *   accept queue also refuses; a holder accepts between transactions, and waiters connect at
 *   most once per try.)
 */
export type SocketLockKind = 'abstract-socket' | 'socket-file';

export interface LockAttempt {
  /** Takes the lock if nobody holds it: returns the function that lets it go, or null. */
  take(): Promise<(() => void) | null>;
  /** Stops trying (closes whatever take() keeps open between tries). */
  abandon(): void;
}

const GUARD_STALE_MS = 2000;
/** sun_path holds 104 bytes on macOS and 108 on Linux, with the final NUL; the private name adds ~20. */
const MAX_SOCKET_PATH = 80;

export function socketLockAttempt(kind: SocketLockKind, lockFile: string): LockAttempt {
  const fd = openSync(lockFile, 'a+', 0o600);
  const { dev, ino } = fstatSync(fd);
  closeSync(fd);
  const id = createHash('sha256').update(`${dev}:${ino}`).digest('hex').slice(0, 16);
  if (kind === 'abstract-socket') {
    const name = `\0berth-lock-${id}`;
    return {
      take: async () => {
        const server = await listenOn(name);
        return server ? () => void server.close() : null;
      },
      abandon: () => {},
    };
  }
  const besideLock = `${lockFile}.sock`;
  return socketFileAttempt(Buffer.byteLength(besideLock) <= MAX_SOCKET_PATH ? besideLock : path.join('/tmp', `berth-${os.userInfo().uid}-${id}.sock`));
}

/** Listens on `name`: the server, or null when another socket holds the name. */
function listenOn(name: string): Promise<net.Server | null> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(null) : reject(error)));
    server.listen({ path: name, backlog: 511 }, () => resolve(server));
  });
}

function socketFileAttempt(socketPath: string): LockAttempt {
  let mine: { server: net.Server; name: string; ino: number } | null = null;
  const publish = (): boolean => {
    if (!mine) return false;
    try {
      linkSync(mine.name, socketPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    return true;
  };
  const abandon = () => {
    mine?.server.close(); // unlinks the private name
    mine = null;
  };
  return {
    async take() {
      if (!mine) {
        const name = `${socketPath}.${process.pid}.${randomBytes(3).toString('hex')}`;
        const server = await listenOn(name);
        if (!server) throw new Error(`cannot listen on ${name}: it exists`);
        mine = { server, name, ino: lstatSync(name).ino };
      }
      let taken = publish();
      if (!taken) {
        const state = await socketState(socketPath);
        taken = (state === 'gone' || (state === 'refused' && (await removeStale(socketPath)))) && publish();
      }
      if (!taken) return null;
      const { server, name, ino } = mine as { server: net.Server; name: string; ino: number };
      mine = null;
      unlinkQuietly(name);
      return () => {
        // The name first, then the socket: a name that refuses connections is a dead holder's.
        if (lstatOrNull(socketPath)?.ino === ino) unlinkQuietly(socketPath);
        server.close();
      };
    },
    abandon,
  };
}

type SocketState = 'live' | 'refused' | 'gone';

/** Whether a socket file is listened on: connected (or its queue is full) = live. */
function socketState(socketPath: string): Promise<SocketState> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath });
    socket.once('connect', () => {
      socket.destroy();
      resolve('live');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      if (error.code === 'ECONNREFUSED') resolve('refused');
      else if (error.code === 'ENOENT') resolve('gone');
      else resolve('live'); // EAGAIN (a full queue) or anything else: never take it for stale
    });
  });
}

/** Removes a socket file left by a dead holder, inside the guard; true when it is gone. */
async function removeStale(socketPath: string): Promise<boolean> {
  const guard = `${socketPath}.guard`;
  try {
    mkdirSync(guard, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    breakOldGuard(guard);
    return false;
  }
  try {
    if ((await socketState(socketPath)) === 'live') return false;
    unlinkQuietly(socketPath);
    return true;
  } finally {
    try {
      rmdirSync(guard);
    } catch {
      // broken meanwhile by a waiter that judged it old
    }
  }
}

/** A guard is held for a connect and an unlink: one older than GUARD_STALE_MS lost its holder. */
function breakOldGuard(guard: string): void {
  try {
    if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) rmdirSync(guard);
  } catch {
    // gone meanwhile
  }
}

function lstatOrNull(file: string): { ino: number } | null {
  try {
    return lstatSync(file);
  } catch {
    return null;
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
