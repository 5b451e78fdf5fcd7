import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { BerthError, UsageError } from '../errors.js';
import { socketLockAttempt, type LockAttempt } from './socket-lock.js';

/**
 * An exclusive lock on a sidecar file that is never renamed, freed by the kernel when its
 * holder dies, so a SIGKILLed berth never blocks the next one:
 *
 * - `native`: an OFD lock on Linux, flock on macOS (fs-native-extensions).
 * - when that module cannot load (musl without a usable prebuild, a platform it has none for):
 *   a listening Unix-domain socket (socket-lock.ts says which kind and why), with a one-line
 *   warning, once per process. `BERTH_LOCK=fallback` picks it as if the module had failed
 *   (`fallback-file`: the socket-file kind, even on Linux), `BERTH_LOCK=native` insists on the
 *   module.
 *
 * Waiting is bounded: the lock is tried, with a growing pause of at most MAX_PAUSE_MS between
 * tries, until `timeoutMs`, then LockTimeoutError names the holder's pid when it is known
 * (every holder writes its pid into the lock file). The native blocking wait is not used: it
 * cannot be cancelled, and the thread-pool request it leaves keeps the process alive until the
 * holder lets go. (Measured, 50 processes × 5 transactions on a loaded 2-core machine: polling
 * cut the median wait from ~200 ms to under 20 ms and about doubled the slowest, 2.2 s against
 * 1.1 s, as tries are not queued in arrival order.)
 * The work done under the lock is synchronous.
 */
export type LockKind = 'native' | 'abstract-socket' | 'socket-file';

export interface LockImplementation {
  readonly kind: LockKind;
  attempt(lockFile: string): LockAttempt;
}

export interface LockOptions {
  /** How long to wait for the holder to let go (default DEFAULT_LOCK_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Default: the one chosen for this process (lockApi()). */
  lock?: LockImplementation;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
const MAX_PAUSE_MS = 10;

export class LockTimeoutError extends BerthError {
  override name = 'LockTimeoutError';
  readonly holderPid: number | null;

  constructor(lockFile: string, waitedMs: number, holderPid: number | null) {
    const by = holderPid === null ? 'another process' : `pid ${holderPid}`;
    super('LOCK_TIMEOUT', `${lockFile} is still locked by ${by} after ${(waitedMs / 1000).toFixed(1)} s`);
    this.holderPid = holderPid;
  }
}

/** fs-native-extensions 1.5.x, reduced to the two calls berth makes. */
interface NativeLock {
  /** Takes the lock without waiting; false when another holds it. */
  tryLock(fd: number): boolean;
  unlock(fd: number): void;
}

/** The prebuilt addon's own entry points (fs-native-extensions 1.5.x binding.c). */
interface Binding {
  tryLock(fd: number, offset: number, length: number, exclusive: boolean): void;
  unlock(fd: number, offset: number, length: number): void;
}

/**
 * The package's entry resolves its addon through a general resolver that costs ~10 ms per
 * process; when the prebuilt binary for this platform is where the package ships it, it is
 * loaded directly and driven the way the package's own index.js drives it.
 */
export function loadNativeLock(): NativeLock {
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('fs-native-extensions/package.json'));
  const prebuilt = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'fs-native-extensions.node');
  if (!existsSync(prebuilt)) return require('fs-native-extensions') as NativeLock;
  const binding = require(prebuilt) as Binding;
  return {
    tryLock(fd) {
      try {
        binding.tryLock(fd, 0, 0, true);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return false;
        throw error;
      }
    },
    unlock: (fd) => binding.unlock(fd, 0, 0),
  };
}

function nativeImplementation(native: NativeLock): LockImplementation {
  return {
    kind: 'native',
    attempt(lockFile) {
      let fd: number | null = openSync(lockFile, 'a+', 0o600);
      const close = () => {
        if (fd !== null) closeSync(fd);
        fd = null;
      };
      return {
        async take() {
          if (fd === null) fd = openSync(lockFile, 'a+', 0o600);
          const held = fd;
          if (!native.tryLock(held)) return null;
          return () => {
            try {
              native.unlock(held);
            } finally {
              close();
            }
          };
        },
        abandon: close,
      };
    },
  };
}

/** The fallback of this kind (socket-lock.ts). */
function socketImplementation(kind: 'abstract-socket' | 'socket-file'): LockImplementation {
  return { kind, attempt: (lockFile) => socketLockAttempt(kind, lockFile) };
}

/** One lock of the given kind, whatever this process chose (for tests and benchmarks). */
export function lockImplementation(kind: LockKind): LockImplementation {
  return kind === 'native' ? nativeImplementation(loadNativeLock()) : socketImplementation(kind);
}

export interface LockChoice {
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the fallback's warning goes. Default: process.emitWarning. */
  warn?: (message: string) => void;
  /** Default: loadNativeLock (a test injects a failing one). */
  loadNative?: () => NativeLock;
}

/** Which lock this process uses: the native one when it loads, else the fallback, with a warning. */
export function chooseLock(options: LockChoice = {}): LockImplementation {
  const forced = (options.env ?? process.env).BERTH_LOCK;
  if (forced !== undefined && forced !== '' && !['native', 'fallback', 'fallback-file'].includes(forced)) {
    throw new UsageError(`BERTH_LOCK must be native, fallback or fallback-file, not "${forced}"`);
  }
  const load = options.loadNative ?? loadNativeLock;
  let reason: string;
  if (forced === 'native') return nativeImplementation(load());
  if (forced === 'fallback' || forced === 'fallback-file') {
    reason = `BERTH_LOCK=${forced}`;
  } else {
    try {
      return nativeImplementation(load());
    } catch (error) {
      reason = `fs-native-extensions did not load: ${firstLine(error)}`;
    }
  }
  const kind = forced === 'fallback-file' || process.platform !== 'linux' ? 'socket-file' : 'abstract-socket';
  const warn = options.warn ?? ((message: string) => process.emitWarning(message, { code: 'BERTH_LOCK' }));
  warn(`registry lock: ${reason}; using a Unix-socket lock instead (${kind === 'abstract-socket' ? 'abstract namespace' : 'socket file'}), which also frees itself when its holder dies`);
  return socketImplementation(kind);
}

let chosen: LockImplementation | undefined;

/** The lock this process uses, chosen (and any warning given) on the first call. */
export function lockApi(options: Omit<LockChoice, 'loadNative'> = {}): LockImplementation {
  chosen ??= chooseLock(options);
  return chosen;
}

/** Takes the lock on `lockFile`, waiting at most `timeoutMs`; returns the function that lets it go. */
export async function acquireFileLock(lockFile: string, options: LockOptions = {}): Promise<() => void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const attempt = (options.lock ?? lockApi()).attempt(lockFile);
  const started = Date.now();
  let wait = 1;
  try {
    for (;;) {
      const release = await attempt.take();
      if (release) {
        recordHolder(lockFile);
        return release;
      }
      const left = started + timeoutMs - Date.now();
      if (left <= 0) throw new LockTimeoutError(lockFile, Date.now() - started, readHolder(lockFile));
      await pause(Math.min(left, wait * (0.5 + Math.random())));
      wait = Math.min(wait * 2, MAX_PAUSE_MS);
    }
  } catch (error) {
    attempt.abandon();
    throw error;
  }
}

export async function withFileLock<T>(lockFile: string, fn: () => T, options: LockOptions = {}): Promise<T> {
  const release = await acquireFileLock(lockFile, options);
  try {
    return fn();
  } finally {
    release();
  }
}

/** The holder's pid, for a waiter that gives up; the lock file holds nothing else. Best effort. */
function recordHolder(lockFile: string): void {
  try {
    const fd = openSync(lockFile, 'r+');
    try {
      ftruncateSync(fd, 0);
      writeSync(fd, `${process.pid}\n`, 0);
    } finally {
      closeSync(fd); // another descriptor: closing it leaves the OFD/flock lock alone
    }
  } catch {
    // the lock holds without it; a waiter that gives up then names no pid
  }
}

/** The pid written by the holder, when that process still lives. */
export function readHolder(lockFile: string): number | null {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
}
